"""Copies and casts: ``to``/``type`` (ToCopy), ``clone``, in-place ``fill_``/``copy_`` records."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._device import to_device
from .._tensor import Tensor
from ..autograd.function import Op
from .shape import sum_to


class ToCopy(Op):
    """Cast and/or move; backward casts and moves the gradient back."""

    @staticmethod
    def forward(ctx: Any, a: Tensor, dtype: Any = None, device: Any = None) -> Any:
        x = a._array
        if ctx.recording:
            ctx.src_dtype, ctx.src_device = a.dtype, (a.device if device is not None else None)
        if device is not None:
            x = to_device(x, device)
        if dtype is not None:
            from .._dtype import to_np  # noqa: PLC0415

            x = x.astype(to_np(dtype), copy=device is None)
        elif device is None:
            x = x.copy()
        return x

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        g = grad
        if ctx.src_device is not None:
            g = ToCopy.apply(g, device=ctx.src_device)
        if g.dtype is not ctx.src_dtype:
            g = ToCopy.apply(g, dtype=ctx.src_dtype)
        return g


class Clone(Op):
    inplace_needs_copy = False

    @staticmethod
    def forward(ctx: Any, a: Tensor) -> Any:
        return a._array.copy()

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        return grad


class Fill(Op):
    inplace_needs_copy = False

    @staticmethod
    def forward(ctx: Any, a: Tensor, value: Any = 0) -> Any:
        xp = np if type(a._array) is np.ndarray else None
        return (xp or _xp(a._array)).full_like(a._array, value)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        return grad * 0


class CopyFrom(Op, node_name="CopyBackwards"):
    """``dst.copy_(src)``: the gradient goes to ``src`` (cast back, summed over broadcasting)."""

    inplace_needs_copy = False

    @staticmethod
    def forward(ctx: Any, dst: Tensor, src: Tensor) -> Any:
        s = src._array
        if type(s) is not type(dst._array):
            s = to_device(s, dst.device)
        ctx.src_shape, ctx.src_dtype = src._array.shape, src.dtype
        xp = np if type(dst._array) is np.ndarray else _xp(dst._array)
        return xp.broadcast_to(s.astype(dst._array.dtype, copy=False), dst._array.shape).copy()

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any, Any]:
        gd, gs = ctx.needs_input_grad
        g = sum_to(grad, ctx.src_shape) if gs else None
        if g is not None and g.dtype is not ctx.src_dtype:
            g = g.to(ctx.src_dtype)
        return (grad * 0 if gd else None), g


def _xp(a: Any) -> Any:
    from .._device import array_namespace  # noqa: PLC0415

    return array_namespace(a)

"""Fused softmax and log-softmax (forward and backward in one op each, for speed and stability)."""

from __future__ import annotations

from typing import Any

from .._tensor import Tensor
from ..autograd.function import Op
from .shape import _dim, _xp

__all__ = ["softmax", "log_softmax"]


class Softmax(Op):
    save_output = True

    @staticmethod
    def forward(ctx: Any, a: Tensor, dim: int = -1) -> Any:
        x = a._array
        ctx.dim = dim
        xp = _xp(x)
        e = x - x.max(axis=dim, keepdims=True)
        xp.exp(e, out=e)
        e /= e.sum(axis=dim, keepdims=True)
        return e

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        y = ctx.output
        # d softmax: y * (g - sum(g * y))
        return y * (grad - (grad * y).sum(ctx.dim, keepdim=True))


class LogSoftmax(Op):
    save_output = True

    @staticmethod
    def forward(ctx: Any, a: Tensor, dim: int = -1) -> Any:
        x = a._array
        ctx.dim = dim
        xp = _xp(x)
        s = x - x.max(axis=dim, keepdims=True)
        s -= xp.log(xp.exp(s).sum(axis=dim, keepdims=True))
        return s

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        from .elementwise import exp  # noqa: PLC0415

        y = ctx.output
        return grad - exp(y) * grad.sum(ctx.dim, keepdim=True)


def _prep(input: Tensor, dim: Any, dtype: Any, name: str) -> tuple[Tensor, int]:
    if dim is None:
        import warnings  # noqa: PLC0415

        warnings.warn(
            f"Implicit dimension choice for {name} has been deprecated. Change the call to include "
            "dim=X as an argument.",
            UserWarning,
            stacklevel=3,
        )
        dim = 0 if input.ndim in (0, 1, 3) else 1
    x = input.to(dtype) if dtype is not None else input
    if x.dtype._cat < 2:
        raise RuntimeError(f'"{name}_lastdim_kernel_impl" not implemented for \'{x.dtype.name.capitalize()}\'')  # noqa: E501
    return x, _dim(dim, x.ndim)


def softmax(input: Tensor, dim: Any = None, dtype: Any = None, *, _stacklevel: int = 3) -> Tensor:
    r"""``exp(x) / sum(exp(x))`` along ``dim``."""
    x, d = _prep(input, dim, dtype, "softmax")
    if x.ndim == 0:
        return Softmax.apply(x.reshape(1), dim=0).reshape(())
    return Softmax.apply(x, dim=d)


def log_softmax(input: Tensor, dim: Any = None, dtype: Any = None, *, _stacklevel: int = 3) -> Tensor:  # noqa: E501
    r"""``log(softmax(x))`` along ``dim``, computed stably."""
    x, d = _prep(input, dim, dtype, "log_softmax")
    if x.ndim == 0:
        return LogSoftmax.apply(x.reshape(1), dim=0).reshape(())
    return LogSoftmax.apply(x, dim=d)

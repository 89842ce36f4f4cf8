"""Fused normalisation ops: batch norm, layer norm, group norm and RMS norm.

Each forward computes the statistics, the normalised ``xhat`` and the affine output on arrays in
one pass; each backward is the closed form of the normalisation's gradient,

    gx = rstd * (gxhat - mean(gxhat) - xhat * mean(gxhat * xhat))     (mean over the reduced axes)

written once, in Tensor ops. Without ``create_graph`` it runs on the ``xhat``/``rstd`` saved by
forward; with it, they are recomputed from ``x`` in Tensor ops, so double backward is exact.
"""

from __future__ import annotations

from typing import Any

from .._tensor import Tensor, _wrap
from ..autograd.function import Op
from ..autograd.grad_mode import _state
from .shape import _xp

__all__ = ["NativeBatchNorm", "NativeLayerNorm", "NativeGroupNorm", "RmsNorm"]

Ints = tuple[int, ...]


def _stats(x: Any, axes: Ints, eps: float, center: bool) -> tuple[Any, Any, Any, Any]:
    """``(xhat, mean, rstd, var)`` over ``axes`` (keepdims) on arrays; no ``mean`` without centering."""  # noqa: E501
    xp_ = _xp(x)
    if center:
        mean = x.mean(axis=axes, keepdims=True)
        xc = x - mean
        var = (xc * xc).mean(axis=axes, keepdims=True)
    else:
        mean, xc = None, x
        var = (x * x).mean(axis=axes, keepdims=True)
    rstd = (1.0 / xp_.sqrt(var + eps)).astype(x.dtype, copy=False)
    if center:  # xc is our own temporary: normalise it in place
        xc *= rstd
        return xc, mean, rstd, var
    return xc * rstd, mean, rstd, var


def _stats_t(x: Tensor, axes: Ints, eps: float, center: bool) -> tuple[Tensor, Tensor]:
    """``(xhat, rstd)`` recomputed in Tensor ops (differentiable, for double backward)."""
    xc = x - x.mean(axes, keepdim=True) if center else x
    rstd = ((xc * xc).mean(axes, keepdim=True) + eps).rsqrt()
    return xc * rstd, rstd


def _gx(gxhat: Tensor, xhat: Tensor, rstd: Tensor, axes: Ints, center: bool) -> Tensor:
    """The normalisation's input gradient, given the gradient with respect to ``xhat``."""
    proj = xhat * (gxhat * xhat).mean(axes, keepdim=True)
    if center:
        return rstd * (gxhat - gxhat.mean(axes, keepdim=True) - proj)
    return rstd * (gxhat - proj)


def _saved(ctx: Any, x: Tensor, axes: Ints, center: bool) -> tuple[Tensor, Tensor]:
    if _state.enabled:  # create_graph: rebuild the statistics so that they carry a graph
        return _stats_t(x, axes, ctx.eps, center)
    return _wrap(ctx.xhat), _wrap(ctx.rstd)


def _affine(xhat: Any, w: Tensor | None, b: Tensor | None, shape: Ints) -> Any:
    y = xhat
    if w is not None:
        y = y * w._array.reshape(shape)
    if b is not None:
        y = y + b._array.reshape(shape) if w is None else _iadd(y, b._array.reshape(shape))
    return y


def _iadd(y: Any, b: Any) -> Any:
    y += b
    return y


class NativeBatchNorm(Op):
    """Batch norm over every axis but 1; training also updates the running stats in place."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, w: Tensor | None, b: Tensor | None,
                running_mean: Tensor | None = None, running_var: Tensor | None = None,
                training: bool = True, momentum: float = 0.1, eps: float = 1e-5) -> Any:
        a = x._array
        axes = (0, *range(2, a.ndim))
        shape = (-1, *(1,) * (a.ndim - 2))
        if training:
            xhat, mean, rstd, var = _stats(a, axes, eps, True)
            n = a.size // a.shape[1]
            if running_mean is not None:
                _update(running_mean, mean.reshape(-1), momentum)
            if running_var is not None:  # torch: the running variance is the unbiased one
                _update(running_var, var.reshape(-1) * (n / max(n - 1, 1)), momentum)
        else:
            rm, rv = running_mean._array, running_var._array  # type: ignore[union-attr]
            rstd = (1.0 / _xp(a).sqrt(rv + eps)).astype(a.dtype).reshape(shape)
            xhat = (a - rm.reshape(shape)) * rstd
            if ctx.recording:
                ctx.rm = rm.reshape(shape).copy()
        ctx.xhat, ctx.rstd, ctx.eps, ctx.training = xhat, rstd, eps, training
        ctx.save_for_backward(x, w)
        return _affine(xhat, w, b, shape)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any, Any, Any]:
        x, w = ctx.saved_tensors
        nx, nw, nb = ctx.needs_input_grad
        axes = (0, *range(2, x.ndim))
        shape = (-1, *(1,) * (x.ndim - 2))
        if ctx.training and not _state.enabled:
            return _bn_backward_arrays(ctx, grad._array, w, axes, shape)
        if ctx.training:
            xhat, rstd = _saved(ctx, x, axes, True)
        else:
            # eval: the running stats are constants, so xhat is affine in x
            rstd = _wrap(ctx.rstd)
            xhat = (x - _wrap(ctx.rm)) * rstd if _state.enabled else _wrap(ctx.xhat)
        gxhat = grad * w.view(shape) if w is not None else grad
        gx = None
        if nx:
            gx = _gx(gxhat, xhat, rstd, axes, True) if ctx.training else gxhat * rstd
        gw = (grad * xhat).sum(axes) if nw else None
        gb = grad.sum(axes) if nb else None
        return gx, gw, gb


def _bn_backward_arrays(ctx: Any, g: Any, w: Tensor | None, axes: Ints,
                        shape: Ints) -> tuple[Any, Any, Any]:
    """Training batch norm's backward on arrays (no ``create_graph``), in a few fused passes.

    With ``gxhat = g * w`` the closed form collapses to per-channel coefficients:
    ``gx = w * rstd * (g - sum(g) / n - xhat * sum(g * xhat) / n)``; ``sum(g)`` and
    ``sum(g * xhat)`` are also the bias and weight gradients.
    """
    nx, nw, nb = ctx.needs_input_grad
    xhat, rstd = ctx.xhat, ctx.rstd
    n = g.size // g.shape[1]
    gb = g.sum(axis=axes)
    tmp = g * xhat
    gw = tmp.sum(axis=axes)
    gx = None
    if nx:
        a = rstd if w is None else rstd * w._array.reshape(shape)
        gx = g * a
        _xp(g).multiply(xhat, (a * gw.reshape(shape)) * (-1.0 / n), out=tmp)
        gx += tmp
        gx += (a * gb.reshape(shape)) * (-1.0 / n)
        gx = _wrap(gx)
    return gx, (_wrap(gw) if nw else None), (_wrap(gb) if nb else None)


def _update(stat: Tensor, value: Any, momentum: float) -> None:
    """``stat = (1 - momentum) * stat + momentum * value``, in place (bumps the version)."""
    s = stat._array
    s *= 1.0 - momentum
    s += (momentum * value).astype(s.dtype, copy=False)
    if stat._vc is not None:
        stat._vc[0] += 1


class NativeLayerNorm(Op):
    """Layer norm over the trailing ``ndim_norm`` axes, with elementwise affine on them."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, w: Tensor | None, b: Tensor | None, ndim_norm: int = 1,
                eps: float = 1e-5) -> Any:
        a = x._array
        axes = tuple(range(a.ndim - ndim_norm, a.ndim))
        xhat, _, rstd, _ = _stats(a, axes, eps, True)
        ctx.xhat, ctx.rstd, ctx.eps, ctx.axes = xhat, rstd, eps, axes
        ctx.save_for_backward(x, w)
        return _affine(xhat, w, b, a.shape[a.ndim - ndim_norm:])

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any, Any, Any]:
        return _trailing_backward(ctx, grad, True)


def _trailing_backward(ctx: Any, grad: Tensor, center: bool) -> tuple[Any, Any, Any]:
    """Backward of a norm over the trailing axes (layer norm, RMS norm)."""
    x, w = ctx.saved_tensors
    nx, nw, nb = ctx.needs_input_grad
    axes = ctx.axes
    lead = tuple(range(x.ndim - len(axes)))
    xhat, rstd = _saved(ctx, x, axes, center)
    gxhat = grad * w if w is not None else grad
    gx = _gx(gxhat, xhat, rstd, axes, center) if nx else None
    gw = (grad * xhat).sum(lead) if nw and lead else ((grad * xhat) if nw else None)
    gb = (grad.sum(lead) if lead else grad) if nb else None
    return gx, gw, gb


class RmsNorm(Op, node_name="MulBackward0"):
    """RMS norm over the trailing axes (torch composes it, so its node is a ``MulBackward0``)."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, w: Tensor | None, b: None = None, ndim_norm: int = 1,
                eps: float = 1e-6) -> Any:
        a = x._array
        axes = tuple(range(a.ndim - ndim_norm, a.ndim))
        xhat, _, rstd, _ = _stats(a, axes, eps, False)
        ctx.xhat, ctx.rstd, ctx.eps, ctx.axes = xhat, rstd, eps, axes
        ctx.save_for_backward(x, w)
        return _affine(xhat, w, None, a.shape[a.ndim - ndim_norm:])

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any, Any, Any]:
        return _trailing_backward(ctx, grad, False)


class NativeGroupNorm(Op):
    """Group norm: statistics per (sample, group of channels), affine per channel."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, w: Tensor | None, b: Tensor | None, groups: int = 1,
                eps: float = 1e-5) -> Any:
        a = x._array
        n, c = a.shape[:2]
        xhat, _, rstd, _ = _stats(a.reshape(n, groups, -1), (2,), eps, True)
        ctx.xhat, ctx.rstd, ctx.eps, ctx.groups = xhat, rstd, eps, groups
        ctx.save_for_backward(x, w)
        return _affine(xhat.reshape(a.shape), w, b, (-1, *(1,) * (a.ndim - 2)))

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any, Any, Any]:
        x, w = ctx.saved_tensors
        nx, nw, nb = ctx.needs_input_grad
        n, c = x.shape[:2]
        g = ctx.groups
        shape = (-1, *(1,) * (x.ndim - 2))
        axes = (0, *range(2, x.ndim))
        xhat, rstd = _saved(ctx, x.reshape(n, g, -1), (2,), True)
        gxhat = grad * w.view(shape) if w is not None else grad
        gx = _gx(gxhat.reshape(n, g, -1), xhat, rstd, (2,), True).view(x.shape) if nx else None
        gw = (grad * xhat.view(x.shape)).sum(axes) if nw else None
        gb = grad.sum(axes) if nb else None
        return gx, gw, gb

"""Fused normalisation ops: batch norm, layer norm, group norm and RMS norm.

Each forward computes the statistics, the normalised ``xhat`` and the affine output on arrays in
one pass; each backward is the closed form of the normalisation's gradient,

    gx = rstd * (gxhat - mean(gxhat) - xhat * mean(gxhat * xhat))     (mean over the reduced axes)

written once in Tensor ops (``_gx``). With ``create_graph`` the statistics are recomputed from
``x`` in Tensor ops, so double backward is exact. Without it, batch norm and the trailing-axes
norms (layer norm, RMS norm) run the same formula on the arrays saved by forward, a few fused
passes and BLAS row sums (``_bn_backward_arrays``, ``_trailing_backward_arrays``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

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
            if a.size:
                xhat, mean, rstd, var = _bn_stats(a, eps)
            else:
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


def _bn_stats(a: Any, eps: float) -> tuple[Any, Any, Any, Any]:
    """Training batch norm's ``(xhat, mean, rstd, var)`` over every axis but 1.

    perf: the per-channel sums are GEMVs of the ``(N * C, L)`` rows with a vector of ones, then
    a sum over N (NumPy's reductions over non-trailing axes are slower); the sums of squares
    are dot products of those rows, never written out (``_channel_dot``).
    """
    xp_ = _xp(a)
    c = a.shape[1]
    inv = 1.0 / (a.size // c)
    mean = _channel_sum(a) * inv
    keep = (1, c, *(1,) * (a.ndim - 2))
    xc = a - mean.reshape(keep).astype(a.dtype, copy=False)
    var = _channel_dot(xc, xc) * inv
    rstd = (1.0 / xp_.sqrt(var + eps)).astype(a.dtype, copy=False).reshape(keep)
    xc *= rstd  # xc is our own temporary: normalise it in place
    return xc, mean.reshape(keep), rstd, var.reshape(keep)


def _channel_sum(a: Any) -> Any:
    """Sum over every axis but 1 of a non-empty ``a``: a GEMV of its ``(N * C, L)`` rows."""
    n, c = a.shape[:2]
    rows = a.reshape(n * c, -1)
    return (rows @ _xp(a).ones(rows.shape[1], dtype=a.dtype)).reshape(n, c).sum(0)


def _channel_dot(a: Any, b: Any) -> Any:
    """``(a * b)`` summed over every axis but 1, for non-empty ``a`` and ``b`` of one shape.

    perf: on NumPy, a dot product per ``(N * C)`` row (``vecdot``) never writes the product
    out: one pass instead of two (ResNet-20's batch norms: 1.5-2x faster than multiply + GEMV).
    """
    xp_ = _xp(a)
    if xp_ is not np:
        return _channel_sum(xp_.multiply(a, b))
    n, c = a.shape[:2]
    return np.vecdot(a.reshape(n * c, -1), b.reshape(n * c, -1)).reshape(n, c).sum(0)


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
    if g.size:  # perf: per-channel sums as GEMVs, as in _bn_stats (~3x faster than sum(axes))
        gb, gw = _channel_sum(g), _channel_dot(g, xhat)
    else:
        gb, gw = g.sum(axis=axes), (g * xhat).sum(axis=axes)
    gx = None
    if nx:
        a = rstd if w is None else rstd * w._array.reshape(shape)
        gx = g * a
        gx += xhat * ((a * gw.reshape(shape)) * (-1.0 / n))
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
        return _trailing_forward(ctx, x, w, b, ndim_norm, eps, True)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any, Any, Any]:
        return _trailing_backward(ctx, grad, True)


def _trailing_forward(ctx: Any, x: Tensor, w: Tensor | None, b: Tensor | None, ndim_norm: int,
                      eps: float, center: bool) -> Any:
    """Forward of a norm over the trailing axes, on the ``(rows, features)`` matrix of ``x``.

    # perf: the row statistics are GEMVs with a vector of ones (BLAS; NumPy's short-row sums
    # are several times slower), and the output buffer doubles as the squares' scratch space.
    """
    a = x._array
    d = math.prod(a.shape[a.ndim - ndim_norm:])
    m = a.reshape(-1, d)
    xp = _xp(a)
    ones = xp.ones(d, dtype=a.dtype)
    y = xp.empty(m.shape, dtype=a.dtype)
    if center:
        mean = m @ ones
        mean *= 1.0 / d
        xc = m - mean[:, None]
    else:
        xc = m
    xp.multiply(xc, xc, out=y)
    var = y @ ones
    var *= 1.0 / d
    rstd = (1.0 / xp.sqrt(var + eps)).astype(a.dtype, copy=False)
    if center:  # xc is our own temporary: normalise it in place
        xc *= rstd[:, None]
        xhat = xc
    else:
        xhat = xc * rstd[:, None]
    if ctx.recording:
        ctx.xhat, ctx.rstd, ctx.eps = xhat, rstd, eps
        ctx.axes = tuple(range(a.ndim - ndim_norm, a.ndim))
        ctx.save_for_backward(x, w)
    if w is None and b is None:
        return xhat.reshape(a.shape)
    if w is not None:
        xp.multiply(xhat, w._array.reshape(-1), out=y)
        if b is not None:
            y += b._array.reshape(-1)
    else:
        xp.add(xhat, b._array.reshape(-1), out=y)
    return y.reshape(a.shape)


def _trailing_backward(ctx: Any, grad: Tensor, center: bool) -> tuple[Any, Any, Any]:
    """Backward of a norm over the trailing axes (layer norm, RMS norm)."""
    x, w = ctx.saved_tensors
    if not _state.enabled:
        return _trailing_backward_arrays(ctx, grad._array, w, center)
    nx, nw, nb = ctx.needs_input_grad
    axes = ctx.axes
    lead = tuple(range(x.ndim - len(axes)))
    xhat, rstd = _stats_t(x, axes, ctx.eps, center)  # create_graph: statistics with a graph
    gxhat = grad * w if w is not None else grad
    gx = _gx(gxhat, xhat, rstd, axes, center) if nx else None
    gw = (grad * xhat).sum(lead) if nw and lead else ((grad * xhat) if nw else None)
    gb = (grad.sum(lead) if lead else grad) if nb else None
    return gx, gw, gb


def _trailing_backward_arrays(ctx: Any, grad: Any, w: Tensor | None,
                              center: bool) -> tuple[Any, Any, Any]:
    """Trailing-axes norm backward on arrays (no ``create_graph``), on rows of ``d`` features.

    With ``gxhat = g * w`` the closed form is ``gx = rstd * (gxhat - m1 - xhat * m2)``, where
    ``m1 = mean(gxhat)`` (layer norm only) and ``m2 = mean(gxhat * xhat)`` per row: GEMVs of
    ``g`` and ``g * xhat`` with ``w / d``. ``g * xhat`` summed over the rows is also the weight
    gradient, and ``g`` summed over them the bias gradient.
    """
    nx, nw, nb = ctx.needs_input_grad
    xhat, rstd = ctx.xhat, ctx.rstd
    n, d = xhat.shape
    shape = grad.shape
    pshape = shape[len(shape) - len(ctx.axes):]  # the affine parameters' shape
    g = grad.reshape(n, d)
    xp = _xp(g)
    gx_xhat = g * xhat  # g * xhat; scratch space once its sums are taken
    gx = gw = gb = None
    if nw or nb:
        ones = xp.ones(n, dtype=g.dtype)
        gw = _wrap((ones @ gx_xhat).reshape(pshape)) if nw else None
        gb = _wrap((ones @ g).reshape(pshape)) if nb else None
    if nx:
        wa = w._array.reshape(-1) if w is not None else None
        wd = wa * (1.0 / d) if wa is not None else xp.full(d, 1.0 / d, dtype=g.dtype)
        proj = xp.multiply(xhat, (gx_xhat @ wd)[:, None], out=gx_xhat)
        if center:
            proj += (g @ wd)[:, None]
        gx = g * wa if wa is not None else g.copy()
        gx -= proj
        gx *= rstd[:, None]
        gx = _wrap(gx.reshape(shape))
    return gx, gw, gb


class RmsNorm(Op, node_name="MulBackward0"):
    """RMS norm over the trailing axes (torch composes it, so its node is a ``MulBackward0``)."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, w: Tensor | None, b: None = None, ndim_norm: int = 1,
                eps: float = 1e-6) -> Any:
        return _trailing_forward(ctx, x, w, None, ndim_norm, eps, False)

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

"""2-D pooling ops (max with indices, average, adaptive average/max); 1-D pools reuse them.

Every window is read through a zero-copy strided view of the (padded) input; the only Python
loops run over kernel offsets or, for adaptive max pooling of uneven sizes, over output cells.
"""

from __future__ import annotations

import math
from typing import Any

from .._tensor import Tensor
from ..autograd.function import Op
from .shape import _xp

__all__ = ["MaxPool2D", "AvgPool2D", "AdaptiveAvgPool2D", "AdaptiveMaxPool2D", "pool_out_size"]

Ints = tuple[int, ...]


def _batched(fn: Any) -> Any:
    """Run a 4-D array kernel on a 3-D (unbatched) array too, as torch's pooling kernels do."""
    def wrapper(x: Any, *args: Any, **kw: Any) -> Any:
        if x.ndim == 4:
            return fn(x, *args, **kw)
        out = fn(x[None], *args, **kw)
        return tuple(o[0] for o in out) if isinstance(out, tuple) else out[0]
    return wrapper


def pool_out_size(size: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    """torch's pooling output length (a window may not start in the right padding)."""
    num = size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)
    out = num // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def _padded(x: Any, p: Ints, out: Ints, k: Ints, s: Ints, d: Ints, fill: float) -> Any:
    """Pad H, W by ``p`` on the left and enough on the right for every (ceil-mode) window."""
    xp_ = _xp(x)
    n, c, h, w = x.shape
    need = [(o - 1) * st + dd * (kk - 1) + 1 for o, st, dd, kk in zip(out, s, d, k)]
    full = (max(h + 2 * p[0], need[0]), max(w + 2 * p[1], need[1]))
    if full == (h, w):
        return x
    buf = xp_.full((n, c, *full), fill, dtype=x.dtype)
    buf[:, :, p[0]:p[0] + h, p[1]:p[1] + w] = x
    return buf


def _windows(x: Any, out: Ints, k: Ints, s: Ints, d: Ints) -> Any:
    """Zero-copy view ``(N, C, oH, oW, kH, kW)`` of the pooling windows."""
    xp_ = _xp(x)
    st = x.strides
    shape = (*x.shape[:2], *out, *k)
    strides = (st[0], st[1], st[2] * s[0], st[3] * s[1], st[2] * d[0], st[3] * d[1])
    return xp_.lib.stride_tricks.as_strided(x, shape, strides)


@_batched
def _max_fwd(x: Any, k: Ints, s: Ints, p: Ints, d: Ints, out: Ints) -> tuple[Any, Any]:
    """Max over each window, and its flat index into the unpadded ``H*W`` plane."""
    xp_ = _xp(x)
    w = x.shape[3]
    win = _windows(_padded(x, p, out, k, s, d, -math.inf), out, k, s, d)
    val, arg = _scan(xp_, win, k, d, w, p, out, s, nan=False)
    if bool(xp_.isnan(val).any()):  # rare: redo with torch's NaN rule (the last NaN wins)
        val, arg = _scan(xp_, win, k, d, w, p, out, s, nan=True)
    row = (xp_.arange(out[0]) * s[0] - p[0]) * w
    arg += row.reshape(-1, 1) + (xp_.arange(out[1]) * s[1] - p[1])
    return val, arg


def _scan(xp_: Any, win: Any, k: Ints, d: Ints, w: int, p: Ints, out: Ints, s: Ints,
          nan: bool) -> tuple[Any, Any]:
    """Running max over the kernel offsets; ``arg`` is the winner's offset from the window start.

    perf: each offset is a strided view (nothing copied), which beats copying the windows out
    and calling argmax on a short last axis.
    """
    if any(p):
        # torch: the scan starts from -inf at the window's first in-bounds element, so padding
        # is never picked, not even over an all -inf window.
        val = xp_.full(win.shape[:4], -math.inf, dtype=win.dtype)
        first = [xp_.maximum(-(-(pp - xp_.arange(o) * st) // dd), 0) * dd
                 for pp, o, st, dd in zip(p, out, s, d)]
        arg = xp_.broadcast_to(first[0].reshape(-1, 1) * w + first[1], val.shape).copy()
        start = 0
    else:
        val = win[..., 0, 0].copy()
        arg = xp_.zeros(val.shape, dtype=xp_.int64)
        start = 1
    for j in range(start, k[0] * k[1]):
        ki, kj = divmod(j, k[1])
        v = win[..., ki, kj]
        m = v > val  # torch: only a strictly larger value (or a NaN) takes over
        if nan:
            m |= v != v
        xp_.maximum(val, v, out=val)
        # perf: arg = where(m, off, arg) as arithmetic; a masked store is several times slower
        step = ki * d[0] * w + kj * d[1] - arg
        step *= m
        arg += step
    return val, arg


def _scatter_plane(g: Any, idx: Any, shape: Ints, unique: bool = False) -> Any:
    """Sum ``g`` into zeros of ``shape`` at flat per-plane indices ``idx`` (max-pool backward)."""
    xp_ = _xp(g)
    plane = shape[-2] * shape[-1]
    planes = g.size // (g.shape[-2] * g.shape[-1]) if g.size else 0
    base = (xp_.arange(planes, dtype=xp_.int64) * plane).reshape(*idx.shape[:-2], 1, 1)
    flat = (idx + base).ravel()
    if unique:  # perf: windows that do not overlap pick distinct positions: a plain store
        out = xp_.zeros(planes * plane, dtype=g.dtype)
        out[flat] = g.ravel()
    elif xp_.__name__ == "numpy":
        out = xp_.bincount(flat, weights=g.ravel(), minlength=planes * plane).astype(g.dtype)
    else:
        out = xp_.zeros(planes * plane, dtype=g.dtype)
        xp_.add.at(out, flat, g.ravel())
    return out.reshape(shape)


def _gather_plane(g: Any, idx: Any) -> Any:
    lead = idx.shape[:-2]
    return _xp(g).take_along_axis(g.reshape(*lead, -1), idx.reshape(*lead, -1), -1).reshape(idx.shape)  # noqa: E501




class MaxPool2D(Op, node_name="MaxPool2DWithIndicesBackward0"):
    """Max pooling; the indices (flat per plane, as torch's) come back on ``ctx`` for the caller."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, k: Ints = (), s: Ints = (), p: Ints = (), d: Ints = (),
                out: Ints = (), sink: list[Any] | None = None) -> Any:
        val, idx = _max_fwd(x._array, k, s, p, d, out)
        ctx.idx, ctx.shape = idx, x.shape
        ctx.unique = all(st >= dd * (kk - 1) + 1 for st, dd, kk in zip(s, d, k))
        if sink is not None:
            sink.append(idx)
        return val

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any]:
        return (MaxPoolGrad.apply(grad, idx=ctx.idx, shape=tuple(ctx.shape),
                                  unique=getattr(ctx, "unique", False)),)


class MaxPoolGrad(Op, node_name="MaxPool2DWithIndicesBackwardBackward0"):
    """Scatter-add of the output gradient to the arg-max positions (and back, by a gather)."""

    @staticmethod
    def forward(ctx: Any, g: Tensor, idx: Any = None, shape: Ints = (),
                unique: bool = False) -> Any:
        ctx.idx = idx
        return _scatter_plane(g._array, idx, shape, unique)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any]:
        return (MaxPoolGather.apply(grad, idx=ctx.idx, shape=tuple(grad.shape)),)


class MaxPoolGather(Op, node_name="MaxPool2DWithIndicesBackward0"):
    """Pick each window's arg-max value again: the adjoint of ``MaxPoolGrad``."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, idx: Any = None, shape: Ints = ()) -> Any:
        ctx.idx, ctx.shape = idx, shape
        return _gather_plane(x._array, idx)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any]:
        return (MaxPoolGrad.apply(grad, idx=ctx.idx, shape=ctx.shape),)


def _avg_divisor(xp_: Any, size: Ints, out: Ints, k: Ints, s: Ints, p: Ints, include_pad: bool,
                 override: int | None, dtype: Any) -> Any:
    """The per-window divisor, as a scalar when it is constant, else an ``(oH, oW)`` array."""
    if override:
        return float(override)
    counts = []
    for n, o, kk, st, pp in zip(size, out, k, s, p):
        start = xp_.arange(o) * st - pp
        end = xp_.minimum(start + kk, n + pp)
        if not include_pad:
            end = xp_.minimum(end, n) - xp_.maximum(start, 0)
        else:
            end = end - start
        counts.append(end)
    div = counts[0].reshape(-1, 1) * counts[1]
    if bool((div == div.ravel()[0]).all()):
        return float(div.ravel()[0])
    return div.astype(dtype)


@_batched
def _avg_fwd(x: Any, k: Ints, s: Ints, p: Ints, out: Ints, div: Any) -> Any:
    one = (1, 1)
    win = _windows(_padded(x, p, out, k, s, one, 0.0), out, k, s, one)
    y = win.sum(axis=(-2, -1))
    y /= div
    return y


def _avg_adj(g: Any, shape: Ints, k: Ints, s: Ints, p: Ints, div: Any) -> Any:
    """Adjoint of ``_avg_fwd``: spread each ``g / divisor`` over its window (col2im)."""
    if g.ndim == 3:
        return _avg_adj(g[None], (1, *shape), k, s, p, div)[0]
    xp_ = _xp(g)
    n, c, h, w = shape
    out = g.shape[2:]
    gd = g / div
    full = (max(h + 2 * p[0], (out[0] - 1) * s[0] + k[0]), max(w + 2 * p[1], (out[1] - 1) * s[1] + k[1]))  # noqa: E501
    buf = xp_.zeros((n, c, *full), dtype=g.dtype)
    for i in range(k[0]):
        for j in range(k[1]):
            buf[:, :, i:i + s[0] * (out[0] - 1) + 1:s[0], j:j + s[1] * (out[1] - 1) + 1:s[1]] += gd
    return xp_.ascontiguousarray(buf[:, :, p[0]:p[0] + h, p[1]:p[1] + w])


class AvgPool2D(Op):
    """Average pooling (sum over each window divided by torch's divisor)."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, k: Ints = (), s: Ints = (), p: Ints = (), out: Ints = (),
                div: Any = 1.0, adjoint: bool = False, shape: Ints = ()) -> Any:
        ctx.cfg = (k, s, p, out, div, adjoint, tuple(x.shape) if not adjoint else shape)
        if adjoint:
            return _avg_adj(x._array, shape, k, s, p, div)
        return _avg_fwd(x._array, k, s, p, out, div)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any]:
        k, s, p, out, div, adjoint, shape = ctx.cfg
        if adjoint:  # the backward of the backward: pool again
            return (AvgPool2D.apply(grad, k=k, s=s, p=p, out=out, div=div),)
        return (AvgPool2DBackward.apply(grad, k=k, s=s, p=p, out=out, div=div, adjoint=True,
                                        shape=shape),)


class AvgPool2DBackward(AvgPool2D, node_name="AvgPool2DBackwardBackward0"):
    """``AvgPool2D`` run as its adjoint (the gradient of average pooling)."""


def _adaptive_matrix(xp_: Any, n: int, o: int, dtype: Any) -> Any:
    """``(o, n)`` averaging matrix of adaptive pooling: row i averages [floor(i*n/o), ceil((i+1)*n/o))."""  # noqa: E501
    i = xp_.arange(o)
    start = (i * n) // o
    end = -((-(i + 1) * n) // o)
    j = xp_.arange(n)
    m = ((j >= start[:, None]) & (j < end[:, None])).astype(dtype)
    return m / (end - start)[:, None].astype(dtype)


class AdaptiveAvgPool2D(Op):
    """Adaptive average pooling as two small matmuls: ``A_h @ x @ A_w^T`` (any sizes)."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, out: Ints = ()) -> Any:
        a = x._array
        xp_ = _xp(a)
        mh = _adaptive_matrix(xp_, a.shape[-2], out[0], a.dtype)
        mw = _adaptive_matrix(xp_, a.shape[-1], out[1], a.dtype)
        ctx.m = (mh, mw)
        return mh @ a @ mw.T

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any]:
        from .._tensor import _wrap  # noqa: PLC0415

        mh, mw = ctx.m
        return (_wrap(mh.T) @ grad @ _wrap(mw),)


def _adaptive_bounds(n: int, o: int) -> list[tuple[int, int]]:
    return [((i * n) // o, -((-(i + 1) * n) // o)) for i in range(o)]


class AdaptiveMaxPool2D(MaxPool2D, node_name="AdaptiveMaxPool2DBackward0"):
    """Adaptive max pooling; uneven windows loop over output cells (usually a handful)."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, out: Ints = (), sink: list[Any] | None = None) -> Any:  # type: ignore[override]  # noqa: E501
        val, idx = _adaptive_max(x._array, out)
        ctx.idx, ctx.shape = idx, x.shape
        if sink is not None:
            sink.append(idx)
        return val


@_batched
def _adaptive_max(a: Any, out: Ints) -> tuple[Any, Any]:
    """Adaptive max pooling kernel on ``(N, C, H, W)``: values and flat per-plane indices."""
    xp_ = _xp(a)
    n, c, h, w = a.shape
    if h % out[0] == 0 and w % out[1] == 0:
        k = (h // out[0], w // out[1])
        val, idx = _max_fwd(a, k, k, (0, 0), (1, 1), out)
    else:
        val = xp_.empty((n, c, *out), dtype=a.dtype)
        idx = xp_.empty((n, c, *out), dtype=xp_.int64)
        for i, (h0, h1) in enumerate(_adaptive_bounds(h, out[0])):
            for j, (w0, w1) in enumerate(_adaptive_bounds(w, out[1])):
                blk = a[:, :, h0:h1, w0:w1].reshape(n, c, -1)
                arg = blk.argmax(-1)
                val[:, :, i, j] = xp_.take_along_axis(blk, arg[..., None], -1)[..., 0]
                idx[:, :, i, j] = (h0 + arg // (w1 - w0)) * w + w0 + arg % (w1 - w0)
    return val, idx

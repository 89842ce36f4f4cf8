"""Convolution (1-D, 2-D, 3-D; strided, padded, dilated, grouped; plain or transposed).

Forward is a strided im2col (a zero-copy window view, copied once into columns) followed by one
batched GEMM; backward is two more GEMMs plus a col2im that loops over kernel offsets only.
Three array kernels cover everything, because the three maps are adjoint to each other:

* ``_conv``       y  = conv(x, w)
* ``_conv_input`` gx = conv^T(gy, w)   (the input gradient, and the transposed convolution)
* ``_conv_weight`` gw = corr(x, gy)    (the weight gradient)

The two Ops (``Convolution`` and ``ConvolutionWeightGrad``) express each backward through the
other kernels via ``Op.apply``, so double backward (``create_graph=True``) works.
"""

from __future__ import annotations

from typing import Any

from .._tensor import Tensor
from ..autograd.function import Op
from ..autograd.grad_mode import _state
from .shape import _xp

__all__ = ["Convolution", "ConvolutionWeightGrad", "convolution", "conv_out_size"]

Ints = tuple[int, ...]


def conv_out_size(size: int, k: int, s: int, p: int, d: int) -> int:
    """Output length of a convolution along one axis (may be <= 0 for a too-small input)."""
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def _windows(xp_: Any, x: Any, ks: Ints, stride: Ints, dil: Ints, out: Ints) -> Any:
    """Zero-copy view ``(N, C, *K, *O)`` of the (already padded) input's receptive fields."""
    n, c = x.shape[:2]
    st = x.strides
    sp = st[2:]
    shape = (n, c, *ks, *out)
    strides = (st[0], st[1], *(a * d for a, d in zip(sp, dil)), *(a * s for a, s in zip(sp, stride)))
    return xp_.lib.stride_tricks.as_strided(x, shape, strides)


def _pad(xp_: Any, x: Any, padding: Ints) -> Any:
    """Zero-pad the spatial axes (no copy when there is nothing to pad)."""
    if not any(padding):
        return x
    n, c, *sp = x.shape
    out = xp_.zeros((n, c, *(s + 2 * p for s, p in zip(sp, padding))), dtype=x.dtype)
    out[(slice(None), slice(None), *(slice(p, p + s) for p, s in zip(padding, sp)))] = x
    return out


def _cols(x: Any, ks: Ints, stride: Ints, padding: Ints, dil: Ints, groups: int) -> Any:
    """im2col, one contiguous copy: ``(N, G, C/G*prod(K), L)``, or ``(G, C/G*prod(K), N*L)``.

    perf: the first ("batch-major") layout suits long rows (``L >= CK``): N small GEMMs, output
    already NCHW. The second suits short rows (deep layers, small images): one big GEMM per group
    and a weight gradient without transposing the columns.
    """
    xp_ = _xp(x)
    out = tuple(conv_out_size(s, k, st, p, d)
                for s, k, st, p, d in zip(x.shape[2:], ks, stride, padding, dil))
    win = _windows(xp_, _pad(xp_, x, padding), ks, stride, dil, out)
    n, c = x.shape[:2]
    nk, nl = len(ks), _prod(out)
    if nl >= c // groups * _prod(ks):
        return xp_.ascontiguousarray(win).reshape(n, groups, -1, nl), out
    win = win.transpose(1, *range(2, 2 + nk), 0, *range(2 + nk, 2 + 2 * nk))  # (C, *K, N, *O)
    return xp_.ascontiguousarray(win).reshape(groups, -1, n * nl), out


def _prod(t: Ints) -> int:
    r = 1
    for v in t:
        r *= v
    return r


def _conv(x: Any, w: Any, stride: Ints, padding: Ints, dil: Ints, groups: int,
          keep_cols: bool = False) -> tuple[Any, Any]:
    """``y = conv(x, w)``; also returns the columns (for the weight gradient) if asked."""
    cout = w.shape[0]
    cols, out = _cols(x, w.shape[2:], stride, padding, dil, groups)
    wm = w.reshape(groups, cout // groups, -1)
    n = x.shape[0]
    if cols.ndim == 4:
        # one broadcast matmul, (G, Co/G, CK) @ (N, G, CK, L) -> (N, G, Co/G, L), already NCHW
        y = (wm @ cols).reshape(n, cout, *out)
    else:  # (G, Co/G, CK) @ (G, CK, N*L) -> (Co, N, L), then to NCHW
        y = _xp(x).ascontiguousarray((wm @ cols).reshape(cout, n, -1).swapaxes(0, 1))
        y = y.reshape(n, cout, *out)
    return y, (cols if keep_cols else None)


def _conv_input(gy: Any, w: Any, in_sp: Ints, stride: Ints, padding: Ints, dil: Ints,
                groups: int) -> Any:
    """``gx = conv^T(gy, w)`` for an input of spatial size ``in_sp`` (col2im by kernel offsets)."""
    xp_ = _xp(gy)
    n, cout = gy.shape[:2]
    out = gy.shape[2:]
    cin_g = w.shape[1]
    ks = w.shape[2:]
    cog = cout // groups
    # perf: work batch-last, (G, C, *spatial, N): every kernel offset then adds rows of
    # ``out[-1] * N`` contiguous numbers instead of rows of ``out[-1]``.
    # perf: one GEMM per group (few, large BLAS calls thread well; many small ones do not).
    kk = _prod(ks)
    wt = xp_.ascontiguousarray(w.reshape(groups, cog, cin_g, kk).transpose(0, 3, 2, 1))
    g = xp_.moveaxis(gy, 0, -1).reshape(groups, cog, -1)  # (G, Co/G, L*N)
    gcols = (wt.reshape(groups, kk * cin_g, cog) @ g).reshape(groups, kk, cin_g, *out, n)
    # Padded buffer, big enough for every window (also when the input's tail is never read).
    full = tuple(max(s + 2 * p, d * (k - 1) + st * (o - 1) + 1)
                 for s, p, k, st, d, o in zip(in_sp, padding, ks, stride, dil, out))
    gx = xp_.zeros((groups, cin_g, *full, n), dtype=gy.dtype)
    # Every kernel offset hits a strided grid of the input: one vectorised add per offset.
    for j, off in enumerate(_offsets(ks)):
        sl = tuple(slice(o * d, o * d + st * (m - 1) + 1, st)
                   for o, d, st, m in zip(off, dil, stride, out))
        gx[(slice(None), slice(None), *sl)] += gcols[:, j]
    crop = tuple(slice(p, p + s) for p, s in zip(padding, in_sp))
    res = gx[(slice(None), slice(None), *crop)].reshape(groups * cin_g, *in_sp, n)
    return xp_.ascontiguousarray(xp_.moveaxis(res, -1, 0))


def _offsets(ks: Ints) -> list[Ints]:
    offs: list[Ints] = [()]
    for k in ks:
        offs = [o + (i,) for o in offs for i in range(k)]
    return offs


def _conv_weight(x: Any, gy: Any, ks: Ints, stride: Ints, padding: Ints, dil: Ints, groups: int,
                 cols: Any = None) -> Any:
    """``gw = corr(x, gy)``: the weight gradient, from the columns (recomputed if not given)."""
    if cols is None:
        cols, _ = _cols(x, ks, stride, padding, dil, groups)
    n, cout = gy.shape[:2]
    xp_ = _xp(x)
    if cols.ndim == 3:  # (G, CK, N*L): one GEMM per group, transposing only gy (small)
        g = xp_.ascontiguousarray(gy.reshape(n, cout, -1).swapaxes(0, 1))
        gw = g.reshape(groups, cout // groups, -1) @ cols.swapaxes(-1, -2)
    elif groups == 1:
        # perf: long rows (L >= CK): N small GEMMs with a long inner dimension, then a sum
        gw = (gy.reshape(n, 1, cout, -1) @ cols.swapaxes(-1, -2)).sum(0)
    else:
        g = gy.reshape(n, groups, cout // groups, -1)
        gw = xp_.einsum("ngol,ngkl->gok", g, cols, optimize=True)
    return gw.reshape(cout, x.shape[1] // groups, *ks)


def _sum_bias(gy: Tensor) -> Tensor:
    return gy.sum((0, *range(2, gy.ndim)))


class Convolution(Op, node_name="ConvolutionBackward0"):
    """``conv(input, weight) + bias``, or the transposed convolution (its adjoint)."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, w: Tensor, b: Tensor | None, stride: Ints = (1,),
                padding: Ints = (0,), dilation: Ints = (1,), groups: int = 1,
                transposed: bool = False, out_sp: Ints = ()) -> Any:
        xa, wa = x._array, w._array
        ctx.p = (stride, padding, dilation, groups)
        ctx.transposed = transposed
        if transposed:
            y = _conv_input(xa, wa, out_sp, stride, padding, dilation, groups)
        else:
            keep = ctx.recording and ctx.needs_input_grad[1]
            y, ctx.cols = _conv(xa, wa, stride, padding, dilation, groups, keep)
        if b is not None:
            y += b._array.reshape(-1, *(1,) * (y.ndim - 2))
        ctx.save_for_backward(x, w)
        return y

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any, Any, Any]:
        x, w = ctx.saved_tensors
        gx_need, gw_need, gb_need = ctx.needs_input_grad
        stride, padding, dilation, groups = p = ctx.p
        kw = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
        gx = gw = None
        if ctx.transposed:
            # y = conv^T(x, w): gx = conv(g, w), gw = corr(g, x)
            if gx_need:
                gx = Convolution.apply(grad, w, None, **kw)
            if gw_need:
                gw = ConvolutionWeightGrad.apply(grad, x, ks=tuple(w.shape[2:]), **kw)
        else:
            if gx_need:
                gx = Convolution.apply(grad, w, None, transposed=True, out_sp=tuple(x.shape[2:]),
                                       **kw)
            if gw_need:
                cols = ctx.cols if not _state.enabled else None
                gw = ConvolutionWeightGrad.apply(x, grad, ks=tuple(w.shape[2:]), cols=cols, **kw)
            ctx.cols = None
        del p
        return gx, gw, (_sum_bias(grad) if gb_need else None)


class ConvolutionWeightGrad(Op, node_name="ConvolutionBackwardBackward0"):
    """The weight gradient ``corr(x, gy)`` as an op of its own, so that it can be differentiated."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, gy: Tensor, ks: Ints = (), stride: Ints = (1,),
                padding: Ints = (0,), dilation: Ints = (1,), groups: int = 1,
                cols: Any = None) -> Any:
        ctx.p = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
        ctx.save_for_backward(x, gy)
        return _conv_weight(x._array, gy._array, ks, stride, padding, dilation, groups, cols)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any, Any]:
        x, gy = ctx.saved_tensors
        nx, ng = ctx.needs_input_grad
        kw = ctx.p
        gx = (Convolution.apply(gy, grad, None, transposed=True, out_sp=tuple(x.shape[2:]), **kw)
              if nx else None)
        gg = Convolution.apply(x, grad, None, **kw) if ng else None
        return gx, gg


def convolution(input: Tensor, weight: Tensor, bias: Tensor | None, stride: Ints, padding: Ints,
                dilation: Ints, transposed: bool, output_padding: Ints, groups: int) -> Tensor:
    """``aten::convolution`` without checks: the functional layer validates first."""
    if not transposed:
        return Convolution.apply(input, weight, bias, stride=stride, padding=padding,
                                 dilation=dilation, groups=groups)
    ks = weight.shape[2:]
    out_sp = tuple((s - 1) * st - 2 * p + d * (k - 1) + op + 1 for s, st, p, d, k, op
                   in zip(input.shape[2:], stride, padding, dilation, ks, output_padding))
    return Convolution.apply(input, weight, bias, stride=stride, padding=padding, dilation=dilation,
                             groups=groups, transposed=True, out_sp=out_sp)

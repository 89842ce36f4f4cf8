"""Convolution (1-D, 2-D, 3-D; strided, padded, dilated, grouped; plain or transposed).

Forward is a strided im2col (a zero-copy window view, copied once into columns) followed by one
batched GEMM; backward is two more GEMMs plus a col2im that loops over kernel offsets only.
Stride-1 ungrouped convolutions with enough channels (most of a ResNet) instead run as
shift-and-GEMM on a flat padded grid: see ``_flat_conv`` below; so does the input gradient of
strided ones, on each stride phase of the input (``_flat_conv_input``).
Three array kernels cover everything, because the three maps are adjoint to each other:

* ``_conv``       y  = conv(x, w)
* ``_conv_input`` gx = conv^T(gy, w)   (the input gradient, and the transposed convolution)
* ``_conv_weight`` gw = corr(x, gy)    (the weight gradient)

The two Ops (``Convolution`` and ``ConvolutionWeightGrad``) express each backward through the
other kernels via ``Op.apply``, so double backward (``create_graph=True``) works.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor
from .._threads import parallel_for, serial_blas
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


def _cols(x: Any, ks: Ints, stride: Ints, padding: Ints, dil: Ints, groups: int,
          out: Ints | None = None) -> Any:
    """im2col, one contiguous copy: ``(N, G, C/G*prod(K), L)``, or ``(G, C/G*prod(K), N*L)``.

    perf: the first ("batch-major") layout suits long rows (``L >= CK``): N small GEMMs, output
    already NCHW. The second suits short rows (deep layers, small images): one big GEMM per group
    and a weight gradient without transposing the columns.
    """
    xp_ = _xp(x)
    if out is None:  # else the first ``out`` windows only (a transposed conv's output_padding)
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


# perf: stride-1, ungrouped convolutions with enough channels skip im2col. The padded input is
# laid out over the whole batch on one flat grid, ``(C, N * prod(padded))``; on that grid every
# kernel offset is a constant shift, so the convolution is one GEMM per kernel offset on a
# zero-copy slice of the flat input, accumulated. The grid has a few more positions than the
# output (a zero gap after each row and image, cropped at the end: see ``_gap_grid``), but
# nothing is copied into columns and nothing but the input is kept for backward.
# Kernels wider than 3 (more, thinner GEMMs) lay the grid out channels-last, ``(N * prod(padded),
# C)``: OpenBLAS runs these ``(M, C) @ (C, Co)`` GEMMs with a small inner dimension faster
# (seed model's 5x5 conv, 20 channels: forward 18.7 -> 14.8 ms, input gradient 22.3 -> 14.7,
# weight gradient 18.6 -> 15.5; for 3x3 kernels, 16-64 channels, it is no faster or slower).
# Few channels in or out (a first layer, LeNet's 6) keep the classic im2col: GEMMs with K = C or
# with only a few output rows are too thin for BLAS. The forward and weight gradient also keep
# it when the padded grid is much bigger than the output (small images, wide kernels: the
# input gradient has no such waste). Measured on 1 core (OpenBLAS): ResNet-20 2.8x -> 2.0x
# torch, seed model 115 MB -> ~10 MB peak.
_FLAT_MIN_CHANNELS = 8
_FLAT_MAX_WASTE = 1.6  # admits 3x3 on 4x4 (5x5 grid: 1.56; measured flat 0.8 vs im2col 0.9 ms)
_THIN_K = 16
_BLOCK = 2048
_LAST_MIN_KERNEL = 4  # kernels at least this wide use the channels-last flat grid
_MIN_BLOCKS = 4  # the fewest blocks of a shift-GEMM worth a thread of their own


def _flat_ok(groups: int, channels: int) -> bool:
    return groups == 1 and channels >= _FLAT_MIN_CHANNELS


def _flat_fwd_ok(x_shape: Ints, w_shape: Ints, stride: Ints, padding: Ints, dil: Ints,
                 groups: int) -> bool:
    """Flat path for the forward / weight gradient: stride 1, and little waste on the flat grid.

    perf: strided ones keep im2col, whose columns are only ``prod(K) / prod(stride)`` times the
    input there; measured faster than shift-GEMMs on the stride phases (3x3 stride 2, 16 -> 32
    channels: forward 1.6 vs 4.0 ms, weight gradient 2.2 vs 2.5).
    """
    if not _flat_ok(groups, min(x_shape[1], w_shape[0])) or any(s != 1 for s in stride):
        return False
    ks = w_shape[2:]
    grid = _gap_grid(x_shape[2:], ks, padding, dil)
    out = tuple(conv_out_size(s, k, 1, p, d) for s, k, p, d in zip(x_shape[2:], ks, padding, dil))
    return _prod(grid) <= _FLAT_MAX_WASTE * _prod(out)


# perf: on the flat grid, neighbouring images (and rows) share their zero padding: each image
# is followed by a gap of zeros just wide enough for the kernel's reach past either edge, and
# the first image's leading padding is a margin in front of the grid. For 3x3 "same" padding
# that is one zero row and column per image instead of two: 8x8 images put 81 grid positions
# per 64 outputs instead of 100, so every GEMM and accumulation pass is that much shorter
# (ResNet-20's 3x3 convolutions, 1 core: 64 channels on 8x8 2.9 -> 2.45 ms, 32 on 16x16
# 2.95 -> 2.7, 16 on 32x32 3.2 -> 3.0, for each of forward, input and weight gradient).
def _gap_grid(sp: Ints, ks: Ints, padding: Ints, dil: Ints) -> Ints:
    """Per-image grid of a stride-1 convolution's flat input: the input, then a zero gap.

    The gap holds the ``p`` zeros read past one edge and the ``p`` read before the next; it
    also has to fit the output (``p`` past the input on each side, less the kernel's reach).
    """
    return tuple(s + p + max(0, p - d * (k - 1)) for s, k, p, d in zip(sp, ks, padding, dil))


def _gap_shifts(grid: Ints, ks: Ints, padding: Ints, dil: Ints,
                sign: int) -> tuple[list[int], int, int]:
    """Flat shift ``sign * (offset * d - p)`` of every kernel offset on ``grid``, plus the
    zero margins needed before and after the grid for the most negative and positive ones."""
    _, base = _phase_shifts(grid, ks, dil, (1,) * len(ks))
    lead = sum(p * a for p, a in zip(padding, _grid_strides(grid)))
    shifts = [sign * (b - lead) for b in base]
    return shifts, max(0, -min(shifts)), max(0, max(shifts))


# perf: the input gradient of a strided convolution (its transpose) is a stride-1 one on the
# input's stride phases. Phase ``q`` of the padded input is ``xpad[..., q::s]``; kernel offset
# ``k`` lands on phase ``k * d % s`` shifted by ``k * d // s``, so each phase is a flat
# shift-GEMM over the offsets that land on it, written to ``gx[..., q::s]`` (no col2im adds;
# 3x3 stride 2: four phases of 2-3 offsets; 1x1 stride 2: one GEMM, the other phases zero).
def _phase_grid(sp: Ints, padding: Ints, stride: Ints) -> Ints:
    """Spatial shape of one stride phase of the padded input."""
    return tuple(-(-(s + 2 * p) // st) for s, p, st in zip(sp, padding, stride))


def _phase_shifts(grid: Ints, ks: Ints, dil: Ints, stride: Ints) -> tuple[list[int], list[int]]:
    """Stride phase (C order) and flat shift on that phase's grid of every kernel offset."""
    sst = _grid_strides(grid)
    phases, shifts = [], []
    for off in _offsets(ks):
        q = 0
        for o, d, st in zip(off, dil, stride):
            q = q * st + o * d % st
        phases.append(q)
        shifts.append(sum(o * d // st * a for o, d, st, a in zip(off, dil, stride, sst)))
    return phases, shifts


def _grid_strides(grid: Ints) -> list[int]:
    """Flat (C-order, in elements) stride of each axis of ``grid``."""
    sst, acc = [], 1
    for s in reversed(grid):
        sst.append(acc)
        acc *= s
    return sst[::-1]


def _phase_slices(start: Ints, size: Ints, stride: Ints, q: Ints) -> tuple[Any, Any]:
    """Where an array of ``size`` placed at ``start`` of a padded grid meets stride phase ``q``:
    (its slices, the phase grid's slices)."""
    src, dst = [], []
    for b, s, st, qq in zip(start, size, stride, q):
        t0 = -((qq - b) // st)  # first phase position at or after the array's start
        i0 = t0 * st + qq - b
        cnt = max(0, -(-(s - i0) // st))
        src.append(slice(i0, s, st))
        dst.append(slice(t0, t0 + cnt))
    return tuple(src), tuple(dst)


def _flatten(xp_: Any, a: Any, psp: Ints, start: Ints, front: int, tail: int,
             last: bool = False) -> Any:
    """``a`` ``(N, C, *S)`` into zeros ``(C, front + N * prod(psp) + tail)`` at ``start``.

    With ``last`` the grid is channels-last instead: ``(front + N * prod(psp) + tail, C)``.
    """
    n, c = a.shape[:2]
    m = n * _prod(psp)
    crop = tuple(slice(b, b + s) for b, s in zip(start, a.shape[2:]))
    if last:
        buf = xp_.zeros((front + m + tail, c), dtype=a.dtype)
        grid = buf[front:front + m].reshape(n, *psp, c)
        grid[(slice(None), *crop)] = xp_.moveaxis(a, 1, -1)
        return buf
    buf = xp_.zeros((c, front + m + tail), dtype=a.dtype)
    grid = buf[:, front:front + m].reshape(c, n, *psp)
    grid[(slice(None), slice(None), *crop)] = a.swapaxes(0, 1)
    return buf


def _shift_gemm(xp_: Any, mats: Any, cols: Any, starts: list[int], m: int,
                last: bool = False) -> Any:
    """``sum_j mats[j] @ cols[:, starts[j]:starts[j] + m]``.

    With ``last``: ``sum_j cols[starts[j]:starts[j] + m] @ mats[j]`` (channels-last).
    perf: GEMMs this thin (K <= 16, or channels-last) are memory-bound, so they run in blocks
    of output positions whose accumulator and shifted slices stay in L2. Fatter ones run
    whole-width: there, blocks measured slower (OpenBLAS packs each call's operands, and more
    calls cost more).
    """
    if last or (len(starts) > 1 and cols.shape[0] <= _THIN_K):
        return _shift_gemm_blocked(xp_, mats, cols, starts, m, last)
    acc = mats[0] @ cols[:, starts[0]:starts[0] + m]
    if len(starts) > 1:
        tmp = xp_.empty_like(acc)
        for j in range(1, len(starts)):
            acc += xp_.matmul(mats[j], cols[:, starts[j]:starts[j] + m], out=tmp)
    return acc


def _shift_gemm_blocked(xp_: Any, mats: Any, cols: Any, starts: list[int], m: int,
                        last: bool) -> Any:
    rows = mats.shape[2] if last else mats.shape[1]
    out = xp_.empty((m, rows) if last else (rows, m), dtype=cols.dtype)
    step = min(_BLOCK, m)

    def blocks(b0: int, b1: int) -> None:
        tmp = xp_.empty((step, rows) if last else (rows, step), dtype=cols.dtype)
        tmp2 = None if last else xp_.empty_like(tmp)
        for m0 in range(b0 * step, min(b1 * step, m), step):
            m1 = min(m0 + step, m)
            if last:
                acc, t = out[m0:m1], tmp[:m1 - m0]
                xp_.matmul(cols[starts[0] + m0:starts[0] + m1], mats[0], out=acc)
                for j in range(1, len(starts)):
                    acc += xp_.matmul(cols[starts[j] + m0:starts[j] + m1], mats[j], out=t)
            else:  # measured: accumulating in a contiguous block, then one copy out, is faster
                acc, t = tmp[:, :m1 - m0], tmp2[:, :m1 - m0]
                xp_.matmul(mats[0], cols[:, starts[0] + m0:starts[0] + m1], out=acc)
                for j in range(1, len(starts)):
                    acc += xp_.matmul(mats[j], cols[:, starts[j] + m0:starts[j] + m1], out=t)
                out[:, m0:m1] = acc

    _over_blocks(xp_, blocks, -(-m // step), last)
    return out


def _over_blocks(xp_: Any, blocks: Any, n_blocks: int, split: bool,
                 min_grain: int = _MIN_BLOCKS) -> None:
    """``blocks(b0, b1)`` over ``range(n_blocks)``, shared among ember's threads (on NumPy, if
    ``split``), each thread's part at least ``min_grain`` blocks.

    perf: the blocks' GEMMs are small (K and N are channel counts), so each runs on one thread
    (OpenBLAS splitting each again gained nothing) and the blocks are split between threads
    instead: the seed model's training step 45 -> 36 ms on two cores. Only wide kernels
    (channels-last) split: ResNet's 3x3 blocks, made of shorter NumPy calls, ran slower split.
    """
    if xp_ is not np or not split:
        blocks(0, n_blocks)
        return
    with serial_blas():
        parallel_for(blocks, n_blocks, min_grain)


def _grid_view(flat: Any, n: int, grid: Ints, last: bool) -> Any:
    """``(C, N * prod(grid))`` (or channels-last ``(N * prod(grid), C)``) as ``(N, C, *grid)``."""
    if last:
        return _xp(flat).moveaxis(flat.reshape(n, *grid, flat.shape[1]), -1, 1)
    return flat.reshape(flat.shape[0], n, *grid).swapaxes(0, 1)


def _flat_conv(x: Any, w: Any, padding: Ints, dil: Ints) -> Any:
    xp_ = _xp(x)
    n, c, *sp = x.shape
    cout, ks = w.shape[0], w.shape[2:]
    last = ks[-1] >= _LAST_MIN_KERNEL
    grid = _gap_grid(sp, ks, padding, dil)
    out = tuple(conv_out_size(s, k, 1, p, d) for s, k, p, d in zip(sp, ks, padding, dil))
    shifts, front, tail = _gap_shifts(grid, ks, padding, dil, 1)
    m = n * _prod(grid)
    buf = _flatten(xp_, x, grid, (0,) * len(sp), front, tail, last)
    wm = w.reshape(cout, c, -1)  # (Co, C, K), a kernel offset per GEMM:
    wm = xp_.ascontiguousarray(wm.transpose(2, 1, 0) if last else wm.transpose(2, 0, 1))
    y = _shift_gemm(xp_, wm, buf, [front + a for a in shifts], m, last)
    crop = tuple(slice(0, o) for o in out)
    return xp_.ascontiguousarray(_grid_view(y, n, grid, last)[(slice(None), slice(None), *crop)])


def _flat_conv_input(gy: Any, w: Any, in_sp: Ints, stride: Ints, padding: Ints,
                     dil: Ints) -> Any:
    xp_ = _xp(gy)
    n, cout, *out = gy.shape
    c, ks = w.shape[1], w.shape[2:]
    last = ks[-1] >= _LAST_MIN_KERNEL
    wt = w.reshape(cout, c, -1)  # (Co, C, K), a kernel offset per GEMM:
    wt = xp_.ascontiguousarray(wt.transpose(2, 0, 1) if last else wt.transpose(2, 1, 0))
    if all(st == 1 for st in stride):
        # stride 1: gx at ``u`` reads gy at ``u + p - k * d``, on a gap grid of gy (images
        # sharing their zero padding, see ``_gap_grid``): the gap holds the reads before gy's
        # start (``d * (k - 1) - p``) and past its end, and the input's extra positions past
        # gy's when there are any (a transposed convolution's output_padding)
        grid = tuple(o + max(0, d * (k - 1) - p, s + p - o)
                     for o, s, p, d, k in zip(out, in_sp, padding, dil, ks))
        shifts, front, tail = _gap_shifts(grid, ks, padding, dil, -1)
        g = _flatten(xp_, gy, grid, (0,) * len(out), front, tail, last)
        gx = _shift_gemm(xp_, wt, g, [front + a for a in shifts], n * _prod(grid), last)
        crop = tuple(slice(0, s) for s in in_sp)
        return xp_.ascontiguousarray(_grid_view(gx, n, grid, last)[
            (slice(None), slice(None), *crop)])
    # every phase grid holds the padded input's phase and every window of gy
    grid = tuple(max(g, o + d * (k - 1) // st) for g, o, d, k, st
                 in zip(_phase_grid(in_sp, padding, stride), out, dil, ks, stride))
    phases, shifts = _phase_shifts(grid, ks, dil, stride)
    front = max(shifts)
    m = n * _prod(grid)
    g = _flatten(xp_, gy, grid, (0,) * len(out), front, 0, last)
    gx = xp_.zeros((n, c, *in_sp), dtype=gy.dtype)  # phases no offset reaches stay zero
    for qi, q in enumerate(_offsets(stride)):
        js = [j for j, p in enumerate(phases) if p == qi]
        if not js:
            continue
        gq = _shift_gemm(xp_, wt[js], g, [front - shifts[j] for j in js], m, last)
        src, dst = _phase_slices(padding, in_sp, stride, q)
        gx[(slice(None), slice(None), *src)] = _grid_view(gq, n, grid, last)[
            (slice(None), slice(None), *dst)]
    return gx


def _flat_conv_weight(x: Any, gy: Any, ks: Ints, padding: Ints, dil: Ints) -> Any:
    xp_ = _xp(x)
    n, c, *sp = x.shape
    cout = gy.shape[1]
    last = ks[-1] >= _LAST_MIN_KERNEL
    grid = _gap_grid(sp, ks, padding, dil)
    shifts, front, tail = _gap_shifts(grid, ks, padding, dil, 1)
    shifts = [front + a for a in shifts]
    buf = _flatten(xp_, x, grid, (0,) * len(sp), front, tail, last)
    # gy on the same grid (zeros off the output), in the layout that makes every GEMM below
    # read its operands untransposed: (Co, M) against a channels-last input, else (M, Co)
    # (measured 1.2-1.6x faster than transposed operands).
    sub = tuple(slice(0, o) for o in gy.shape[2:])
    if last:
        g = xp_.zeros((cout, n, *grid), dtype=gy.dtype)
        g[(slice(None), slice(None), *sub)] = gy.swapaxes(0, 1)
        g = g.reshape(cout, -1)
        m = g.shape[1]
    else:
        g = xp_.zeros((n, *grid, cout), dtype=gy.dtype)
        g[(slice(None), *sub)] = xp_.moveaxis(gy, 1, -1)
        g = g.reshape(-1, cout)
        m = g.shape[0]
    # perf: a block of the reduction axis at a time, so that the shifted input slices, which
    # overlap, are read from L2 by every kernel offset (5x5 kernel, 20 channels: 1.5x faster).
    # The blocks are summed in two fixed halves, one per thread where there are two (the same
    # sums, in the same order, whatever the number of threads).
    gws = xp_.zeros((2, len(shifts), *((cout, c) if last else (c, cout))), dtype=g.dtype)
    n_blocks = -(-m // _BLOCK)

    def halves(h0: int, h1: int) -> None:
        tmp = xp_.empty_like(gws[0, 0])
        for h in range(h0, h1):
            gw = gws[h]
            for b in range(n_blocks * h // 2, n_blocks * (h + 1) // 2):
                m0, m1 = b * _BLOCK, min((b + 1) * _BLOCK, m)
                for j, a in enumerate(shifts):
                    if last:
                        gw[j] += xp_.matmul(g[:, m0:m1], buf[a + m0:a + m1], out=tmp)
                    else:
                        gw[j] += xp_.matmul(buf[:, a + m0:a + m1], g[m0:m1], out=tmp)

    _over_blocks(xp_, halves, 2, last, 1 if n_blocks >= 2 * _MIN_BLOCKS else 2)
    gw = gws[0]
    gw += gws[1]
    gw = gw.transpose(1, 2, 0) if last else gw.transpose(2, 1, 0)
    return xp_.ascontiguousarray(gw).reshape(cout, c, *ks)


def _conv(x: Any, w: Any, stride: Ints, padding: Ints, dil: Ints, groups: int,
          keep_cols: bool = False) -> tuple[Any, Any]:
    """``y = conv(x, w)``; also returns the columns (for the weight gradient) if asked."""
    if x.shape[0] == 0:  # an empty batch: torch returns an empty output of the right shape
        out = tuple((n + 2 * p - d * (k - 1) - 1) // s + 1
                    for n, k, s, p, d in zip(x.shape[2:], w.shape[2:], stride, padding, dil))
        return _xp(x).zeros((0, w.shape[0], *out), dtype=x.dtype), None
    if _flat_fwd_ok(x.shape, w.shape, stride, padding, dil, groups):
        # perf: the flat input is rebuilt for the weight gradient rather than kept (cheap;
        # measured faster, and the saved activations stay at the input itself)
        return _flat_conv(x, w, padding, dil), None
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
    if gy.shape[0] == 0:
        return _xp(gy).zeros((0, w.shape[1] * groups, *in_sp), dtype=gy.dtype)
    if _flat_ok(groups, min(gy.shape[1], w.shape[1])):
        return _flat_conv_input(gy, w, in_sp, stride, padding, dil)
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
    if x.shape[0] == 0:
        return _xp(x).zeros((gy.shape[1], x.shape[1] // groups, *ks), dtype=x.dtype)
    if _flat_fwd_ok(x.shape, (gy.shape[1], 0, *ks), stride, padding, dil, groups):
        return _flat_conv_weight(x, gy, ks, padding, dil)
    if cols is None:
        cols, _ = _cols(x, ks, stride, padding, dil, groups, tuple(gy.shape[2:]))
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
                if tuple(gx.shape[2:]) != tuple(x.shape[2:]):  # output_padding past the stride
                    gx = gx[(slice(None), slice(None), *(slice(0, s) for s in x.shape[2:]))]
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

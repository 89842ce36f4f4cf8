"""Padding, embedding, one-hot, resampling, fold/unfold, pixel/channel shuffle, distances."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from ..._ops.shape import _xp
from ..._tensor import Tensor, _wrap
from ...autograd.function import Op
from ...autograd.grad_mode import _state, no_grad

__all__ = ["pad", "one_hot", "embedding", "interpolate", "upsample", "upsample_nearest",
           "upsample_bilinear", "unfold", "fold", "pixel_shuffle", "pixel_unshuffle",
           "channel_shuffle", "native_channel_shuffle", "cosine_similarity", "pairwise_distance",
           "pdist"]  # fmt: skip


# --- pad --------------------------------------------------------------------------------------


class ConstantPadNd(Op):
    """Constant padding (negative widths crop), ``pad`` pairs listed from the last axis back."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, pad: tuple[int, ...] = (), value: float = 0.0) -> Any:
        a = x._array
        nd = len(pad) // 2
        widths = [(0, 0)] * (a.ndim - nd) + [(pad[2 * i], pad[2 * i + 1]) for i in reversed(range(nd))]  # noqa: E501
        shape = tuple(s + lo + hi for s, (lo, hi) in zip(a.shape, widths))
        out = _xp(a).full(shape, value, dtype=a.dtype)
        src = tuple(slice(max(-lo, 0), s - max(-hi, 0)) for s, (lo, hi) in zip(a.shape, widths))
        dst = tuple(slice(max(lo, 0), n - max(hi, 0)) for n, (lo, hi) in zip(shape, widths))
        out[dst] = a[src]
        ctx.pad = pad
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any]:
        return (ConstantPadNd.apply(grad, pad=tuple(-p for p in ctx.pad)),)


def _pad_index(n: int, lo: int, hi: int, mode: str) -> Any:
    i = np.arange(-lo, n + hi)
    if mode == "reflect":
        period = 2 * (n - 1)
        i = np.abs(i) % period if period else np.zeros_like(i)
        i = np.where(i >= n, period - i, i)
    elif mode == "replicate":
        i = np.clip(i, 0, n - 1)
    else:  # circular
        i = i % n
    return i


_PAD_HELP = (
    "Supported combinations for non-constant padding:\n"
    "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
    "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
    "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)"
)
_PAD_DIMS = {"reflect": (1, 2, 3), "replicate": (1, 2, 3), "circular": (1, 2, 3)}


def pad(input: Tensor, pad: Any, mode: str = "constant", value: float | None = None) -> Tensor:
    r"""Pad the last ``len(pad) // 2`` axes: ``pad = (left, right, top, bottom, ...)``.

    Examples::

        >>> import ember
        >>> import ember.nn.functional as F
        >>> F.pad(ember.ones(1, 2), (1, 1))
        tensor([[0., 1., 1., 0.]])
    """
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > input.ndim:
        raise RuntimeError(f"Padding length should be less than or equal to two times the input dimension but got padding length {len(pad)} and input of dimension {input.ndim}")  # noqa: E501
    if mode == "constant":
        return ConstantPadNd.apply(input, pad=pad, value=0.0 if value is None else value)
    if mode not in _PAD_DIMS:
        raise NotImplementedError(
            f"Unrecognised padding mode {mode}"
        )
    if value is not None and value != 0:
        raise ValueError(f"Padding mode \"{mode}\" doesn't take in value argument")
    nd = len(pad) // 2
    if input.ndim not in (nd + 1, nd + 2):
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {input.ndim}D input tensor.\n"
            + _PAD_HELP
        )
    out = input
    for i in range(nd):
        d = input.ndim - 1 - i
        lo, hi = pad[2 * i], pad[2 * i + 1]
        n = input.shape[d]
        if mode == "reflect" and (lo >= n or hi >= n):
            raise RuntimeError(
                f"Argument #4: Padding size should be less than the corresponding input dimension,"
                f" but got: padding ({lo}, {hi}) at dimension {d} of input {list(input.shape)}"
            )
        idx = _pad_index(n, lo, hi, mode)
        out = out.index_select(d, _wrap(_xp(input._array).asarray(idx)))
    return out


# --- one_hot and embedding ----------------------------------------------------------------------


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    r"""Class indices (int64) to one-hot vectors along a new last axis (int64)."""
    if tensor.dtype.name != "int64":
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    a = tensor._array
    xp_ = _xp(a)
    if num_classes == -1:
        if a.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(a.max()) + 1
    if a.size:
        if int(a.min()) < 0:
            raise RuntimeError("Class values must be non-negative.")
        if int(a.max()) >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    return _wrap((a[..., None] == xp_.arange(num_classes)).astype(xp_.int64))


class Embedding(Op):
    """Row lookup ``weight[indices]``; backward sums rows (skipping ``padding_idx``)."""

    @staticmethod
    def forward(ctx: Any, w: Tensor, idx: Tensor, padding_idx: int = -1,
                scale_grad_by_freq: bool = False) -> Any:
        ctx.cfg = (idx, padding_idx, scale_grad_by_freq, w.shape[0])
        return w._array[idx._array]

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any, None]:
        idx, padding_idx, by_freq, num = ctx.cfg
        flat = idx.reshape(-1)
        g = grad.reshape(-1, grad.shape[-1])
        scale = None
        ia = flat._array
        if padding_idx >= 0:
            scale = (ia != padding_idx).astype(g._array.dtype)
        if by_freq:
            counts = _xp(ia).bincount(ia, minlength=num)[ia].astype(g._array.dtype)
            scale = 1.0 / counts if scale is None else scale / counts
        if scale is not None:
            g = g * _wrap(scale[:, None])
        if not _state.enabled and type(ia) is np.ndarray and ia.size:
            return _wrap(_row_sums(ia, g._array, num)), None
        return grad.new_zeros((num, grad.shape[-1])).index_add(0, flat, g), None


def _row_sums(idx: Any, g: Any, num: int) -> Any:
    """``zeros((num, d))`` with row ``g[j]`` added at ``idx[j]`` (NumPy, no graph).

    # perf: np.add.at on flat element indices takes NumPy's 1-D fast path; with row indices
    # into a 2-D array it was 5x slower (GPT token-embedding gradient: 590 -> 120 us).
    """
    d = g.shape[-1]
    out = np.zeros(num * d, dtype=g.dtype)
    flat = (idx.astype(np.intp, copy=False)[:, None] * d + np.arange(d)).reshape(-1)
    np.add.at(out, flat, g.reshape(-1))
    return out.reshape(num, d)


def _renorm_(weight: Tensor, idx: Tensor, max_norm: float, norm_type: float) -> None:
    """torch: rows looked up are rescaled in place to norm at most ``max_norm``."""
    w = weight._array
    xp_ = _xp(w)
    rows = xp_.unique(idx._array.reshape(-1))
    sub = w[rows]
    norms = (xp_.abs(sub) ** norm_type).sum(-1) ** (1.0 / norm_type)
    scale = xp_.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0).astype(w.dtype)
    w[rows] = sub * scale[:, None]


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    r"""Look up rows of ``weight`` at the integer indices ``input``.

    Examples::

        >>> import ember
        >>> import ember.nn.functional as F
        >>> F.embedding(ember.tensor([1, 0]), ember.tensor([[0.0, 1.0], [2.0, 3.0]]))
        tensor([[2., 3.],
                [0., 1.]])
    """
    if input.dtype.name not in ("int64", "int32"):
        raise RuntimeError(
            "Expected tensor for argument #1 'indices' to have one of the following scalar types:"
            f" Long, Int; but got {input.type()} instead (while checking arguments for embedding)"
        )
    if padding_idx is not None:
        if padding_idx > 0 and padding_idx >= weight.shape[0]:
            raise AssertionError("Padding_idx must be within num_embeddings")
        if padding_idx < 0:
            if padding_idx < -weight.shape[0]:
                raise AssertionError("Padding_idx must be within num_embeddings")
            padding_idx = weight.shape[0] + padding_idx
    a = input._array
    if a.size and (int(a.max()) >= weight.shape[0] or int(a.min()) < 0):
        raise IndexError("index out of range in self")
    if max_norm is not None:
        with no_grad():
            _renorm_(weight, input, max_norm, norm_type)
    return Embedding.apply(weight, input, padding_idx=-1 if padding_idx is None else padding_idx,
                           scale_grad_by_freq=scale_grad_by_freq)


# --- resampling ----------------------------------------------------------------------------------


def _linear_matrix(n_in: int, n_out: int, scale: float | None, align: bool, dtype: Any) -> Any:
    """``(n_out, n_in)`` matrix of 1-D linear interpolation weights (torch's source coordinates)."""
    dst = np.arange(n_out, dtype=np.float64)
    if align:
        src = dst * ((n_in - 1) / (n_out - 1)) if n_out > 1 else np.zeros(n_out)
    else:
        r = 1.0 / scale if scale else n_in / n_out
        src = np.maximum((dst + 0.5) * r - 0.5, 0.0)
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    i1 = np.minimum(i0 + 1, n_in - 1)
    lam = src - i0
    m = np.zeros((n_out, n_in))
    np.add.at(m, (np.arange(n_out), i0), 1.0 - lam)
    np.add.at(m, (np.arange(n_out), i1), lam)
    return m.astype(dtype)


def _cubic_matrix(n_in: int, n_out: int, scale: float | None, align: bool, dtype: Any) -> Any:
    """``(n_out, n_in)`` matrix of 1-D cubic-convolution weights (A = -0.75, edges clamped)."""
    dst = np.arange(n_out, dtype=np.float64)
    if align:
        src = dst * ((n_in - 1) / (n_out - 1)) if n_out > 1 else np.zeros(n_out)
    else:
        r = 1.0 / scale if scale else n_in / n_out
        src = (dst + 0.5) * r - 0.5  # torch: no clamp at 0 for cubic
    i0 = np.floor(src).astype(np.int64)
    t = src - i0
    a = -0.75
    # Keys' cubic convolution weights for the points i0-1, i0, i0+1, i0+2
    x1, x2 = t, 1.0 - t
    w = [((a * (x1 + 1) - 5 * a) * (x1 + 1) + 8 * a) * (x1 + 1) - 4 * a,
         ((a + 2) * x1 - (a + 3)) * x1 * x1 + 1,
         ((a + 2) * x2 - (a + 3)) * x2 * x2 + 1,
         ((a * (x2 + 1) - 5 * a) * (x2 + 1) + 8 * a) * (x2 + 1) - 4 * a]
    m = np.zeros((n_out, n_in))
    rows = np.arange(n_out)
    for k in range(4):
        np.add.at(m, (rows, np.clip(i0 - 1 + k, 0, n_in - 1)), w[k])
    return m.astype(dtype)


def _nearest_index(n_in: int, n_out: int, scale: float | None, exact: bool) -> Any:
    r = 1.0 / scale if scale else n_in / n_out
    dst = np.arange(n_out, dtype=np.float64)
    src = np.floor((dst + 0.5) * r) if exact else np.floor(dst * np.float32(r))
    return np.minimum(src.astype(np.int64), n_in - 1)


_MODES = ("nearest", "linear", "bilinear", "bicubic", "trilinear", "area", "nearest-exact")


def interpolate(input: Tensor, size: Any = None, scale_factor: Any = None, mode: str = "nearest",
                align_corners: bool | None = None, recompute_scale_factor: bool | None = None,
                antialias: bool = False) -> Tensor:
    r"""Resize the spatial axes by ``size`` or ``scale_factor``.

    Modes: ``nearest``, ``nearest-exact``, ``linear``, ``bilinear``, ``bicubic``, ``trilinear``,
    ``area``. Linear and cubic modes are separable: each axis is one matmul with a weight matrix.
    """
    nd = input.ndim - 2
    if mode in ("nearest", "area", "nearest-exact") and align_corners is not None:
        raise ValueError(
            "align_corners option can only be set with the interpolating modes: linear | "
            "bilinear | bicubic | trilinear"
        )
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is None and scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    in_sp = input.shape[2:]
    scales: list[float | None]
    if size is not None:
        out = [int(size)] * nd if isinstance(size, int) else [int(s) for s in size]
        if len(out) != nd:
            raise ValueError(
                f"Input and output must have the same number of spatial dimensions, but got input "
                f"with spatial dimensions of {list(in_sp)} and output size of {list(out)}. Please "
                "provide input tensor in (N, C, d1, d2, ...,dK) format and output size in (o1, o2,"
                " ...,oK) format."
            )
        scales = [None] * nd
    else:
        sf = [float(scale_factor)] * nd if isinstance(scale_factor, int | float) else [float(s) for s in scale_factor]  # noqa: E501
        out = [int(math.floor(s * f)) for s, f in zip(in_sp, sf)]
        scales = [None] * nd if recompute_scale_factor else list(sf)
    expected = {"linear": 1, "bilinear": 2, "trilinear": 3, "bicubic": 2}
    if mode in expected and expected[mode] != nd:
        raise NotImplementedError(
            f"Got {input.ndim}D input, but {mode} mode needs {expected[mode] + 2}D input"
        )
    if mode not in _MODES:
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.ndim}D) for the "
            f"modes: nearest | linear | bilinear | bicubic | trilinear | area | nearest-exact "
            f"(got {mode})"
        )
    if mode == "area":
        from .pooling import adaptive_avg_pool1d, adaptive_avg_pool2d  # noqa: PLC0415

        return (adaptive_avg_pool1d if nd == 1 else adaptive_avg_pool2d)(input, tuple(out))
    y = input
    xp_ = _xp(input._array)
    for i in range(nd):
        d = 2 + i
        if mode in ("nearest", "nearest-exact"):
            idx = _nearest_index(in_sp[i], out[i], scales[i], mode == "nearest-exact")
            y = y.index_select(d, _wrap(xp_.asarray(idx)))
        else:
            make = _cubic_matrix if mode == "bicubic" else _linear_matrix
            m = make(in_sp[i], out[i], scales[i], bool(align_corners),
                               input._array.dtype)
            # separable: interpolate one axis at a time as a matmul with a weight matrix
            y = y.movedim(d, -1).matmul(_wrap(xp_.asarray(m.T))).movedim(-1, d)
    return y.contiguous()


def upsample(input: Tensor, size: Any = None, scale_factor: Any = None, mode: str = "nearest",
             align_corners: bool | None = None) -> Tensor:
    r"""Deprecated alias of :func:`interpolate`."""
    warnings.warn("nn.functional.upsample is deprecated. Use nn.functional.interpolate instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input: Tensor, size: Any = None, scale_factor: Any = None) -> Tensor:
    r"""Deprecated: ``interpolate(..., mode='nearest')``."""
    warnings.warn("nn.functional.upsample_nearest is deprecated. Use nn.functional.interpolate "
                  "instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input: Tensor, size: Any = None, scale_factor: Any = None) -> Tensor:
    r"""Deprecated: ``interpolate(..., mode='bilinear', align_corners=True)``."""
    warnings.warn("nn.functional.upsample_bilinear is deprecated. Use nn.functional.interpolate "
                  "instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# --- unfold / fold -------------------------------------------------------------------------------


def _pair(v: Any) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))


def _eye_kernel(c: int, k: tuple[int, int], dtype: Any, xp_: Any) -> Tensor:
    """Weight ``(C*kH*kW, 1, kH, kW)`` of a grouped conv whose output channels copy one pixel."""
    kk = k[0] * k[1]
    eye = xp_.eye(kk, dtype=dtype).reshape(kk, 1, *k)
    return _wrap(xp_.ascontiguousarray(xp_.tile(eye, (c, 1, 1, 1))))


def unfold(input: Tensor, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
           stride: Any = 1) -> Tensor:
    r"""Extract sliding blocks: ``(N, C, H, W) -> (N, C*kH*kW, L)`` (im2col)."""
    from .conv import conv2d  # noqa: PLC0415

    if input.ndim not in (3, 4):
        raise RuntimeError(
            "Input Error: Only 3D or 4D input Tensors are supported (got "
            f"{input.ndim}D)"
        )
    unb = input.ndim == 3
    x = input.unsqueeze(0) if unb else input
    k = _pair(kernel_size)
    c = x.shape[1]
    w = _eye_kernel(c, k, x._array.dtype, _xp(x._array))
    y = conv2d(x, w, None, stride, padding, dilation, groups=c)
    y = y.reshape(y.shape[0], y.shape[1], -1)
    return y.squeeze(0) if unb else y


def fold(input: Tensor, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
         stride: Any = 1) -> Tensor:
    r"""Sum sliding blocks back into an image: ``(N, C*kH*kW, L) -> (N, C, H, W)`` (col2im)."""
    from ..._ops.conv import conv_out_size, convolution  # noqa: PLC0415

    if input.ndim not in (2, 3):
        raise RuntimeError(
            "Input Error: Only unbatched (2D) or batched (3D) input Tensors are supported (got "
            f"{input.ndim}D)"
        )
    unb = input.ndim == 2
    x = input.unsqueeze(0) if unb else input
    k, d, p, s, osz = _pair(kernel_size), _pair(dilation), _pair(padding), _pair(stride), _pair(output_size)  # noqa: E501
    kk = k[0] * k[1]
    if x.shape[1] % kk:
        raise RuntimeError(
            "Expected size of input's dimension 1 to be divisible by the product of kernel_size,"
            f" but got input.size(1)={x.shape[1]} and kernel_size=({k[0]}, {k[1]})."
        )
    blocks = [conv_out_size(o, kv, sv, pv, dv) for o, kv, sv, pv, dv in zip(osz, k, s, p, d)]
    if blocks[0] * blocks[1] != x.shape[2]:
        raise RuntimeError(
            f"Given output_size=({osz[0]}, {osz[1]}), kernel_size=({k[0]}, {k[1]}), dilation=("
            f"{d[0]}, {d[1]}), padding=({p[0]}, {p[1]}), stride=({s[0]}, {s[1]}), expected size "
            f"of input's dimension 2 to match the calculated number of sliding blocks "
            f"{blocks[0]} * {blocks[1]} = {blocks[0] * blocks[1]}, but got input.size(2)="
            f"{x.shape[2]}."
        )
    c = x.shape[1] // kk
    w = _eye_kernel(c, k, x._array.dtype, _xp(x._array))
    base = [(b - 1) * sv - 2 * pv + dv * (kv - 1) + 1 for b, sv, pv, dv, kv in zip(blocks, s, p, d, k)]  # noqa: E501
    op = tuple(o - b for o, b in zip(osz, base))
    y = convolution(x.reshape(x.shape[0], x.shape[1], *blocks), w, None, s, p, d, True, op, c)
    return y.squeeze(0) if unb else y


# --- shuffles -----------------------------------------------------------------------------------


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    r"""``(*, C*r^2, H, W) -> (*, C, H*r, W*r)``."""
    if input.ndim < 3:
        raise RuntimeError(
            f"pixel_shuffle expects input to have at least 3 dimensions, but got input with "
            f"{input.ndim} dimension(s)"
        )
    r = upscale_factor
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError(
            "pixel_shuffle expects its input's 'channel' dimension to be divisible by the square "
            f"of upscale_factor, but input.size(-3)={c} is not divisible by {r * r}"
        )
    n = len(lead)
    y = input.reshape(*lead, c // (r * r), r, r, h, w)
    y = y.permute(*range(n), n, n + 3, n + 1, n + 4, n + 2)
    return y.reshape(*lead, c // (r * r), h * r, w * r)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    r"""``(*, C, H*r, W*r) -> (*, C*r^2, H, W)``."""
    if input.ndim < 3:
        raise RuntimeError(
            f"pixel_unshuffle expects input to have at least 3 dimensions, but got input with "
            f"{input.ndim} dimension(s)"
        )
    r = downscale_factor
    *lead, c, h, w = input.shape
    for name, v in (("height", h), ("width", w)):
        if v % r:
            idx = -2 if name == "height" else -1
            raise RuntimeError(
                f"pixel_unshuffle expects {name} to be divisible by downscale_factor, but "
                f"input.size({idx})={v} is not divisible by {r}"
            )
    n = len(lead)
    y = input.reshape(*lead, c, h // r, r, w // r, r)
    y = y.permute(*range(n), n, n + 2, n + 4, n + 1, n + 3)
    return y.reshape(*lead, c * r * r, h // r, w // r)


def channel_shuffle(input: Tensor, groups: int) -> Tensor:
    r"""Interleave the channels of ``groups`` groups: ``(N, g*k, *) -> (N, k*g, *)``."""
    if input.ndim <= 2:
        raise RuntimeError(
            "channel_shuffle expects input to have at least 3 dimensions, but got input with "
            f"{input.ndim} dimension(s)"
        )
    if groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of groups:{groups}")  # noqa: E501
    n, c, *rest = input.shape
    if c % groups:
        raise RuntimeError(
            "Number of channels must be divisible by groups. Got "
            f"{c} channels and {groups} groups."
        )
    y = input.reshape(n, groups, c // groups, *rest).transpose(1, 2)
    return y.reshape(n, c, *rest)


native_channel_shuffle = channel_shuffle


# --- distances -----------------------------------------------------------------------------------


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    r"""Cosine of the angle between ``x1`` and ``x2`` along ``dim`` (norms clamped to ``eps``)."""
    n1 = x1.norm(2, dim, keepdim=True).clamp_min(eps)
    n2 = x2.norm(2, dim, keepdim=True).clamp_min(eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    r""":math:`\|x_1 - x_2 + \epsilon\|_p` along the last axis."""
    nd = max(x1.ndim, x2.ndim)
    return (x1 - x2 + eps).norm(p, -1 if nd else 0, keepdim=keepdim)


def pdist(input: Tensor, p: float = 2.0) -> Tensor:
    r"""Distances between all row pairs ``i < j`` of a 2-D input, flattened row-major."""
    if input.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.ndim}D")
    n = input.shape[0]
    i, j = np.triu_indices(n, 1)
    xp_ = _xp(input._array)
    a = input.index_select(0, _wrap(xp_.asarray(i)))
    b = input.index_select(0, _wrap(xp_.asarray(j)))
    return (a - b).norm(p, -1)

r"""Spatial transforms and unpooling: ``affine_grid``, ``grid_sample``, ``max_unpool1d/2d/3d``.

All three are composed from ember ops (``matmul``, ``gather``, ``scatter``, arithmetic), so their
gradients (with respect to the input, ``theta`` and the sampling grid) come from those ops'
backwards, and ``create_graph=True`` works.

``grid_sample`` reads ``input`` at the points of ``grid`` (``x, y`` in ``[-1, 1]``, ``-1`` the
left/top edge). Bilinear sampling mixes the four pixels around each point:

    out = v_nw * w_nw + v_ne * w_ne + v_sw * w_sw + v_se * w_se,  w_nw = (x1 - x) * (y1 - y), ...

The weights depend on ``x, y`` (so on the grid) smoothly; which pixels are read does not.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from ..._factory import zeros
from ..._ops.elementwise import where
from ..._ops.linalg import matmul
from ..._tensor import Tensor, _wrap
from ...autograd.function import Op
from ...autograd.grad_mode import _state

__all__ = ["affine_grid", "grid_sample", "max_unpool1d", "max_unpool2d", "max_unpool3d"]

_ALIGN_WARNING = (
    "Default grid_sample and affine_grid behavior has changed to align_corners=False since 1.3.0. "
    "Please specify align_corners=True if the old behavior is desired. See the documentation of "
    "grid_sample for details."
)


def _linspace(n: int, align_corners: bool, dtype: Any) -> np.ndarray:
    """The normalised pixel positions along one axis: pixel centres, or corners if aligned."""
    if n <= 1:
        return np.zeros(max(n, 1), dtype=dtype)
    r = np.linspace(-1, 1, n, dtype=dtype)
    return r if align_corners else r * ((n - 1) / n)


def affine_grid(theta: Tensor, size: Any, align_corners: bool | None = None) -> Tensor:
    r"""The sampling grid of an affine map: ``grid[n, h, w] = theta[n] @ (x_w, y_h, 1)``.

    ``theta`` is ``(N, 2, 3)`` for a 4-D ``size`` ``(N, C, H, W)`` (output ``(N, H, W, 2)``) or
    ``(N, 3, 4)`` for a 5-D ``size`` (output ``(N, D, H, W, 3)``).
    """
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=2)
        align_corners = False
    size = tuple(size)
    if not (theta.dtype.is_floating_point or theta.dtype.is_complex):
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    if len(size) not in (4, 5):
        raise NotImplementedError(
            "affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, "
            f"respectively. Got size {size}."
        )
    nd = len(size) - 2
    if theta.ndim != 3 or tuple(theta.shape[1:]) != (nd, nd + 1):
        raise ValueError(
            f"Expected a batch of {nd}D affine matrices of shape Nx{nd}x{nd + 1} for size "
            f"{size}. Got {theta.shape}."
        )
    if min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    if align_corners and min(size[2:]) == 1:
        warnings.warn(
            "Since version 1.3.0, affine_grid behavior has changed for unit-size grids when "
            "align_corners=True. This is not an intended use case of affine_grid. See the "
            "documentation of affine_grid for details.",
            stacklevel=2,
        )
    dt = theta._array.dtype
    spatial = size[2:]  # (H, W) or (D, H, W); the grid's last axis is (x, y[, z])
    axes = [_linspace(n, align_corners, dt) for n in spatial]
    mesh = np.meshgrid(*axes, indexing="ij")  # mesh[0] varies along D or H, mesh[-1] along W
    base = np.stack([*mesh[::-1], np.ones(spatial, dtype=dt)], axis=-1).reshape(1, -1, nd + 1)
    grid = matmul(_wrap(base).expand(size[0], -1, -1), theta.transpose(1, 2))
    return grid.view(size[0], *spatial, nd)


def _unnormalize(coord: Tensor, size: int, align_corners: bool) -> Tensor:
    """``[-1, 1]`` to pixel units: ``-1`` is pixel 0's centre if aligned, else its outer edge."""
    if align_corners:
        return (coord + 1) / 2 * (size - 1)
    return ((coord + 1) * size - 1) / 2


def _reflect(coord: Tensor, twice_low: int, twice_high: int) -> Tensor:
    """Fold coordinates back into ``[low, high]`` like a mirror (torch's reflect_coordinates)."""
    if twice_low == twice_high:
        return coord * 0
    low, span = twice_low / 2, (twice_high - twice_low) / 2
    a = (coord - low).abs()
    flips = np.floor(a.detach()._array / span)  # which fold each point is in: no gradient
    extra = a - _wrap((flips * span).astype(a._array.dtype))
    even = _wrap(flips % 2 == 0)
    return where(even, extra + low, (span + low) - extra)


def _source_index(coord: Tensor, size: int, padding_mode: str, align_corners: bool) -> Tensor:
    coord = _unnormalize(coord, size, align_corners)
    if padding_mode == "reflection":
        coord = _reflect(coord, 0, 2 * (size - 1)) if align_corners else _reflect(coord, -1, 2 * size - 1)  # noqa: E501
    if padding_mode in ("border", "reflection"):
        coord = coord.clamp(0, size - 1)
    return coord


def grid_sample(input: Tensor, grid: Tensor, mode: str = "bilinear", padding_mode: str = "zeros",
                align_corners: bool | None = None) -> Tensor:
    r"""Sample ``input`` (N, C, H, W) at the ``grid`` (N, H_out, W_out, 2) points.

    ``mode``: ``'bilinear'`` or ``'nearest'``. ``padding_mode`` says what lies outside the
    image: ``'zeros'``, the ``'border'`` pixels repeated, or a ``'reflection'``.
    """
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(
            "nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or "
            f"'bicubic', but got: '{mode}'"
        )
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(
            "nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or "
            f"'reflection', but got: '{padding_mode}'"
        )
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=2)
        align_corners = False
    if input.shape[0] != grid.shape[0]:
        raise RuntimeError(
            "grid_sampler(): expected grid and input to have same batch size, but got input with "
            f"sizes {list(input.shape)} and grid with sizes {list(grid.shape)}"
        )
    if grid.shape[-1] != input.ndim - 2:
        raise RuntimeError(
            f"grid_sampler(): expected grid to have size {input.ndim - 2} in last dimension, but "
            f"got grid with sizes {list(grid.shape)}"
        )
    if input.ndim != 4:
        raise NotImplementedError("ember: grid_sample supports 4-D input (N, C, H, W) only")
    if mode == "bicubic":
        raise NotImplementedError("ember: grid_sample mode='bicubic' is not implemented")
    if input.dtype != grid.dtype:
        raise RuntimeError(
            f"expected scalar type {_legacy(input)} but found {_legacy(grid)}"
        )
    n, c, h, w = input.shape
    ho, wo = grid.shape[1], grid.shape[2]
    ix = _source_index(grid[..., 0].reshape(n, 1, ho * wo), w, padding_mode, align_corners)
    iy = _source_index(grid[..., 1].reshape(n, 1, ho * wo), h, padding_mode, align_corners)
    flat = input.reshape(n, c, h * w)

    def read(x: np.ndarray, y: np.ndarray) -> tuple[Tensor, np.ndarray]:
        """``input`` at integer pixels ``(y, x)``, and which of them lie inside the image."""
        inside = (x >= 0) & (x < w) & (y >= 0) & (y < h)
        idx = np.clip(y, 0, h - 1) * w + np.clip(x, 0, w - 1)
        return _PlaneGather.apply(flat, idx=idx), inside

    dt = input._array.dtype
    if mode == "nearest":
        x = np.round(ix.detach()._array).astype(np.int64)  # round half to even, as nearbyint
        y = np.round(iy.detach()._array).astype(np.int64)
        v, inside = read(x, y)
        out = v * _wrap(inside.astype(dt))
    else:
        x0 = np.floor(ix.detach()._array)
        y0 = np.floor(iy.detach()._array)
        x0t, y0t, x1t, y1t = (_wrap(a.astype(dt)) for a in (x0, y0, x0 + 1, y0 + 1))
        x0, y0 = x0.astype(np.int64), y0.astype(np.int64)
        x1, y1 = x0 + 1, y0 + 1
        out = None
        for (xi, yi), wgt in (((x0, y0), (x1t - ix) * (y1t - iy)),
                              ((x1, y0), (ix - x0t) * (y1t - iy)),
                              ((x0, y1), (x1t - ix) * (iy - y0t)),
                              ((x1, y1), (ix - x0t) * (iy - y0t))):  # fmt: skip
            v, inside = read(xi, yi)
            term = v * (wgt * _wrap(inside.astype(dt)))
            out = term if out is None else out + term
    return out.reshape(n, c, ho, wo)


class _PlaneGather(Op, node_name="GatherBackward0"):
    """``out[n, c, p] = flat[n, c, idx[n, 0, p]]``: one pixel index shared by every channel.

    The same as ``gather(flat, 2, idx.expand(n, c, p))``. perf: its backward sums the gradient
    into the pixels with one ``bincount`` (~10x faster than the ``np.add.at`` scatter-add).
    """

    @staticmethod
    def forward(ctx: Any, flat: Tensor, idx: Any = None) -> Any:
        n, c, hw = flat.shape
        # positions in the flattened (n, c, hw) array: one take, reused by backward's bincount
        offsets = np.arange(n * c).reshape(n, c, 1) * hw + idx
        ctx.idx, ctx.offsets, ctx.shape = idx, offsets, flat.shape
        return flat._array.reshape(-1).take(offsets)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        if _state.enabled:  # create_graph: a recorded scatter-add
            idx = _wrap(np.broadcast_to(ctx.idx, grad.shape))
            return zeros(ctx.shape, dtype=grad.dtype).scatter_add(2, idx, grad)
        g = grad._array
        out = np.bincount(ctx.offsets.ravel(), weights=g.ravel(), minlength=math.prod(ctx.shape))
        return _wrap(out.astype(g.dtype).reshape(ctx.shape))


def _legacy(t: Tensor) -> str:
    from ..._tensor import _LEGACY  # noqa: PLC0415

    return _LEGACY.get(t.dtype.name, t.dtype.name)


# --- max unpooling ---------------------------------------------------------------------------


def _ntuple(v: Any, n: int) -> tuple[int, ...]:
    return tuple(int(x) for x in v) if isinstance(v, tuple | list) else (int(v),) * n


def _unpool_output_size(input: Tensor, kernel: tuple[int, ...], stride: tuple[int, ...],
                        padding: tuple[int, ...], output_size: Any) -> tuple[int, ...]:
    nd = len(kernel)
    default = [(input.shape[-nd + d] - 1) * stride[d] + kernel[d] - 2 * padding[d]
               for d in range(nd)]  # fmt: skip
    if output_size is None:
        return tuple(default)
    if len(output_size) == nd + 2:
        output_size = output_size[2:]
    if len(output_size) != nd:
        raise ValueError(
            f"output_size should be a sequence containing {nd} or {nd + 2} elements, but it has a "
            f"length of '{len(output_size)}'"
        )
    for d in range(nd):
        lo, hi = default[d] - stride[d], default[d] + stride[d]
        if not lo < output_size[d] < hi:
            raise ValueError(
                f'invalid output_size "{output_size}" (dim {d} must be between {lo} and {hi})'
            )
    return tuple(int(s) for s in output_size)


def _max_unpool(input: Tensor, indices: Tensor, nd: int, kernel_size: Any, stride: Any,
                padding: Any, output_size: Any) -> Tensor:
    """Scatter each pooled value back to the position its index names; zeros elsewhere."""
    k = _ntuple(kernel_size, nd)
    s = _ntuple(kernel_size if stride is None else stride, nd)
    p = _ntuple(padding, nd)
    if indices.dtype.name != "int64":
        raise RuntimeError(f"elements in indices should be type int64 but got: {_legacy(indices)}")
    # torch runs 1-d unpooling as 2-d on input.unsqueeze(-1), and words its errors so
    ndim, lo = (input.ndim + 1, 3) if nd == 1 else (input.ndim, nd + 1)
    if ndim not in (lo, lo + 1):
        raise RuntimeError(
            f"Input to max_unpooling{max(nd, 2)}d should be a {lo}d or {lo + 1}d Tensor, but got "
            f"a tensor with {ndim} dimensions."
        )
    if tuple(indices.shape) != tuple(input.shape):
        raise RuntimeError(
            "Expected shape of indices to be same as that of the input tensor "
            f"({list(input.shape)}) but got indices tensor with shape: {list(indices.shape)}"
        )
    out_sp = _unpool_output_size(input, k, s, p, output_size)
    plane = math.prod(out_sp)
    lead = tuple(input.shape[:-nd])
    x = input.reshape(-1, math.prod(input.shape[-nd:]))
    idx = indices.reshape(x.shape)
    bad = (idx._array < 0) | (idx._array >= plane)
    if bad.any():
        raise RuntimeError(
            f"Found an invalid max index: {int(idx._array[bad][-1])} (output volumes are of size "
            f"{'x'.join(map(str, out_sp))})"
        )
    out = zeros(x.shape[0], plane, dtype=input.dtype, device=input.device).scatter(1, idx, x)
    return out.reshape(*lead, *out_sp)


def max_unpool1d(input: Tensor, indices: Tensor, kernel_size: Any, stride: Any = None,
                 padding: Any = 0, output_size: Any = None) -> Tensor:
    """The partial inverse of ``max_pool1d``: values back at their arg-max positions."""
    return _max_unpool(input, indices, 1, kernel_size, stride, padding, output_size)


def max_unpool2d(input: Tensor, indices: Tensor, kernel_size: Any, stride: Any = None,
                 padding: Any = 0, output_size: Any = None) -> Tensor:
    """The partial inverse of ``max_pool2d``: values back at their arg-max positions."""
    return _max_unpool(input, indices, 2, kernel_size, stride, padding, output_size)


def max_unpool3d(input: Tensor, indices: Tensor, kernel_size: Any, stride: Any = None,
                 padding: Any = 0, output_size: Any = None) -> Tensor:
    """The partial inverse of ``max_pool3d``: values back at their arg-max positions."""
    return _max_unpool(input, indices, 3, kernel_size, stride, padding, output_size)

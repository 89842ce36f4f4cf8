"""Pooling: max, average, adaptive and power-average, 1-D and 2-D, validated like torch."""

from __future__ import annotations

from typing import Any

from ..._ops.pooling import (
    AdaptiveAvgPool2D,
    AdaptiveMaxPool2D,
    AvgPool2D,
    MaxPool2D,
    _avg_divisor,
    pool_out_size,
)
from ..._ops.shape import _xp
from ..._tensor import Tensor, _wrap

__all__ = ["max_pool1d", "max_pool2d", "max_pool1d_with_indices", "max_pool2d_with_indices",
           "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d", "adaptive_avg_pool2d",
           "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool1d_with_indices",
           "adaptive_max_pool2d_with_indices", "lp_pool1d", "lp_pool2d"]  # fmt: skip


def _pair(v: Any, name: str, fn: str, allow_empty: bool = False) -> tuple[int, int]:
    if isinstance(v, int):
        return (v, v)
    v = tuple(v)
    if len(v) == 1:
        return (int(v[0]), int(v[0]))
    if len(v) != 2:
        msg = "kernel_size must either be a single int, or a tuple of two ints" if name == "kernel_size" else (  # noqa: E501
            f"{name} must either be omitted, a single int, or a tuple of two ints" if allow_empty
            else f"{name} must either be a single int, or a tuple of two ints")
        raise RuntimeError(f"{fn}: {msg}")
    return (int(v[0]), int(v[1]))


def _pool_args(input: Tensor, kernel_size: Any, stride: Any, padding: Any, dilation: Any,
               ceil_mode: bool, fn: str) -> tuple[Any, ...]:
    """Normalise and check the window arguments; return them with the output size."""
    k = _pair(kernel_size, "kernel_size", fn)
    s = k if stride is None or (not isinstance(stride, int) and len(stride) == 0) else _pair(stride, "stride", fn, True)  # noqa: E501
    p = _pair(padding, "padding", fn)
    d = _pair(dilation, "dilation", fn)
    if input.ndim not in (3, 4) or input.numel() == 0:
        raise RuntimeError("non-empty 3D or 4D (batch mode) tensor expected for input")
    if min(k) <= 0:
        raise RuntimeError(f"kernel size should be greater than zero, but got kH: {k[0]} kW: {k[1]}")  # noqa: E501
    if min(s) <= 0:
        raise RuntimeError("stride should not be zero")
    if min(d) <= 0:
        raise RuntimeError(f"dilation should be greater than zero, but got dilationH: {d[0]} dilationW: {d[1]}")  # noqa: E501
    for pp, kk, dd in zip(p, k, d):
        if pp > (dd * (kk - 1) + 1) // 2:
            raise RuntimeError(
                f"pad should be at most half of effective kernel size, but got pad={pp}, "
                f"kernel_size={kk} and dilation={dd}"
            )
    h, w = input.shape[-2:]
    out = (pool_out_size(h, k[0], s[0], p[0], d[0], ceil_mode),
           pool_out_size(w, k[1], s[1], p[1], d[1], ceil_mode))
    if min(out) < 1:
        c = input.shape[-3]
        raise RuntimeError(
            f"Given input size: ({c}x{h}x{w}). Calculated output size: ({c}x{out[0]}x{out[1]}). "
            "Output size is too small"
        )
    return k, s, p, d, out


def max_pool2d_with_indices(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
                            dilation: Any = 1, ceil_mode: bool = False,
                            return_indices: bool = True) -> tuple[Tensor, Tensor]:
    r"""2-D max pooling that also returns the arg-max indices (flat per ``H*W`` plane)."""
    k, s, p, d, out = _pool_args(input, kernel_size, stride, padding, dilation, ceil_mode,
                                 "max_pool2d")
    sink: list[Any] = []
    y = MaxPool2D.apply(input, k=k, s=s, p=p, d=d, out=out, sink=sink)
    return y, _wrap(sink[0])


def max_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False) -> Any:
    r"""2-D max pooling over an input of shape :math:`(N, C, H, W)` or :math:`(C, H, W)`.

    Examples::

        >>> import ember
        >>> import ember.nn.functional as F
        >>> F.max_pool2d(ember.arange(16.0).view(1, 1, 4, 4), 2)
        tensor([[[[ 5.,  7.],
                  [13., 15.]]]])
    """
    y, idx = max_pool2d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode)
    return (y, idx) if return_indices else y


def _check_1d(input: Tensor, fn: str) -> None:
    if input.ndim not in (2, 3):
        raise RuntimeError(
            f"{fn}: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for "
            f"input, but got:{list(input.shape)}"
        )


def _one(v: Any, name: str) -> tuple[int, int]:
    if v is None:
        return None  # type: ignore[return-value]
    if isinstance(v, int):
        return (1, v)
    v = tuple(v)
    if len(v) != 1:
        raise RuntimeError(f"{name}: expected a single int or a tuple of one int")
    return (1, int(v[0]))


def max_pool1d_with_indices(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
                            dilation: Any = 1, ceil_mode: bool = False,
                            return_indices: bool = True) -> tuple[Tensor, Tensor]:
    r"""1-D max pooling that also returns the arg-max indices."""
    _check_1d(input, "max_pool1d")
    pd = (0, padding) if isinstance(padding, int) else (0, *padding)
    dl = (1, dilation) if isinstance(dilation, int) else (1, *dilation)
    y, idx = max_pool2d_with_indices(input.unsqueeze(-2), _one(kernel_size, "max_pool1d"),
                                     _one(stride, "max_pool1d"), pd, dl, ceil_mode)
    return y.squeeze(-2), idx.squeeze(-2)


def max_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False) -> Any:
    r"""1-D max pooling over an input of shape :math:`(N, C, L)` or :math:`(C, L)`."""
    y, idx = max_pool1d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode)
    return (y, idx) if return_indices else y


def avg_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    r"""2-D average pooling over an input of shape :math:`(N, C, H, W)` or :math:`(C, H, W)`."""
    k, s, p, _, out = _pool_args(input, kernel_size, stride, padding, 1, ceil_mode, "avg_pool2d")
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    div = _avg_divisor(_xp(input._array), tuple(input.shape[-2:]), out, k, s, p,
                       count_include_pad, divisor_override, input._array.dtype)
    return AvgPool2D.apply(input, k=k, s=s, p=p, out=out, div=div)


def avg_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True) -> Tensor:
    r"""1-D average pooling over an input of shape :math:`(N, C, L)` or :math:`(C, L)`."""
    if input.ndim not in (2, 3):
        raise RuntimeError(
            f"Expected 2 to 3 dimensions, but got {input.ndim}-dimensional tensor for argument #1 "
            "'self' (while checking arguments for avg_pool1d)"
        )
    pd = (0, padding) if isinstance(padding, int) else (0, *padding)
    y = avg_pool2d(input.unsqueeze(-2), _one(kernel_size, "avg_pool1d"),
                   _one(stride, "avg_pool1d"), pd, ceil_mode, count_include_pad)
    return y.squeeze(-2)


def _out_size(input: Tensor, output_size: Any, n: int, fn: str) -> tuple[int, ...]:
    if isinstance(output_size, int):
        sz: tuple[Any, ...] = (output_size,) * n
    else:
        sz = tuple(output_size)
        if len(sz) != n:
            raise RuntimeError(f"{fn}(): internal error: output_size.size() must be {n}")
    return tuple(input.shape[-n + i] if v is None else int(v) for i, v in enumerate(sz))


def _adaptive_check(input: Tensor, fn: str, nd: int) -> None:
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"{fn}(): Expected {nd + 1}D or {nd + 2}D tensor, but got {list(input.shape)}")  # noqa: E501
    for i in range(input.ndim - nd, input.ndim):
        if input.shape[i] == 0:
            raise RuntimeError(
                f"{fn}(): Expected input to have non-zero size for non-batch dimensions, but "
                f"input has sizes {list(input.shape)} with dimension {i} being empty"
            )


def adaptive_avg_pool2d(input: Tensor, output_size: Any) -> Tensor:
    r"""2-D average pooling to a fixed output size (windows cover the input evenly)."""
    _adaptive_check(input, "adaptive_avg_pool2d", 2)
    out = _out_size(input, output_size, 2, "adaptive_avg_pool2d")
    if out == (1, 1):  # torch: a global average is a mean
        return input.mean((-1, -2), keepdim=True)
    return AdaptiveAvgPool2D.apply(input, out=out)


def adaptive_avg_pool1d(input: Tensor, output_size: Any) -> Tensor:
    r"""1-D average pooling to a fixed output length."""
    if input.ndim not in (2, 3):
        raise RuntimeError(
            f"Expected 2 to 3 dimensions, but got {input.ndim}-dimensional tensor for argument #1 "
            "'self' (while checking arguments for adaptive_avg_pool1d)"
        )
    (o,) = _out_size(input, output_size, 1, "adaptive_avg_pool1d")
    return adaptive_avg_pool2d(input.unsqueeze(-2), (1, o)).squeeze(-2)


def adaptive_max_pool2d_with_indices(input: Tensor, output_size: Any,
                                     return_indices: bool = True) -> tuple[Tensor, Tensor]:
    r"""Adaptive 2-D max pooling that also returns the arg-max indices."""
    _adaptive_check(input, "adaptive_max_pool2d", 2)
    out = _out_size(input, output_size, 2, "adaptive_max_pool2d")
    sink: list[Any] = []
    y = AdaptiveMaxPool2D.apply(input, out=out, sink=sink)
    return y, _wrap(sink[0])


def adaptive_max_pool2d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    r"""2-D max pooling to a fixed output size."""
    y, idx = adaptive_max_pool2d_with_indices(input, output_size)
    return (y, idx) if return_indices else y


def adaptive_max_pool1d_with_indices(input: Tensor, output_size: Any,
                                     return_indices: bool = True) -> tuple[Tensor, Tensor]:
    r"""Adaptive 1-D max pooling that also returns the arg-max indices."""
    _adaptive_check(input, "adaptive_max_pool1d", 1)
    (o,) = _out_size(input, output_size, 1, "adaptive_max_pool1d")
    y, idx = adaptive_max_pool2d_with_indices(input.unsqueeze(-2), (1, o))
    return y.squeeze(-2), idx.squeeze(-2)


def adaptive_max_pool1d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    r"""1-D max pooling to a fixed output length."""
    y, idx = adaptive_max_pool1d_with_indices(input, output_size)
    return (y, idx) if return_indices else y


def lp_pool2d(input: Tensor, norm_type: float, kernel_size: Any, stride: Any = None,
              ceil_mode: bool = False) -> Tensor:
    r"""2-D power-average pooling: :math:`(\sum_{window} x^p)^{1/p}`."""
    kh, kw = _pair(kernel_size, "kernel_size", "lp_pool2d")
    out = avg_pool2d(input.pow(norm_type), (kh, kw), stride, 0, ceil_mode)
    return (out.sign() * out.abs().relu()).mul(kw * kh).pow(1.0 / norm_type)


def lp_pool1d(input: Tensor, norm_type: float, kernel_size: int, stride: Any = None,
              ceil_mode: bool = False) -> Tensor:
    r"""1-D power-average pooling: :math:`(\sum_{window} x^p)^{1/p}`."""
    out = avg_pool1d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return (out.sign() * out.abs().relu()).mul(kernel_size).pow(1.0 / norm_type)

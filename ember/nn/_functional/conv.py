"""Convolutions: ``conv1d/2d/3d`` and ``conv_transpose1d/2d/3d``, validated like torch."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..._ops.conv import convolution
from ..._tensor import Tensor

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d"]  # fmt: skip

_CTYPE = {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16"}


def _tuple(v: Any, n: int, name: str) -> tuple[int, ...]:
    """Expand an int (or a 1-list) to ``n`` ints; reject other lengths with torch's message."""
    if isinstance(v, int):
        return (v,) * n
    v = tuple(int(a) for a in v)
    if len(v) == 1:
        return v * n
    if len(v) != n:
        raise RuntimeError(
            f"expected {name} to be a single integer value or a list of {n} values to match the "
            f"convolution dimensions, but got {name}={list(v)}"
        )
    return v


def _same_padding(input: Tensor, nd: int, ks: Sequence[int], dil: tuple[int, ...]) -> tuple[Tensor, tuple[int, ...]]:  # noqa: E501
    """``padding='same'``: symmetric padding, plus one extra zero on the right where it is odd."""
    total = [d * (k - 1) for d, k in zip(dil, ks)]
    left = tuple(t // 2 for t in total)
    extra = [t - 2 * lo for t, lo in zip(total, left)]
    if any(extra):
        from .misc import pad  # noqa: PLC0415

        widths: list[int] = []
        for e in reversed(extra):
            widths += [0, e]
        input = pad(input, widths)
    return input, left


def _check(input: Tensor, weight: Tensor, bias: Tensor | None, nd: int, groups: int,
           transposed: bool, name: str) -> bool:
    """torch's argument checks; returns whether the input is unbatched."""
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(
            f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {name}, but got "
            f"input of size: {list(input.shape)}"
        )
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if weight.ndim != nd + 2:
        raise RuntimeError(
            "weight should have at least three dimensions"
            if weight.ndim < 3 else
            f"Expected {nd + 2}-dimensional weight for {nd + 2}-dimensional input "
            f"{list(input.shape)}, but got {weight.ndim}-dimensional weight of size "
            f"{list(weight.shape)} instead"
        )
    if input.dtype != weight.dtype:
        raise RuntimeError(
            f"expected scalar type {_CTYPE.get(input.dtype.name, input.dtype.name)} but found "
            f"{_CTYPE.get(weight.dtype.name, weight.dtype.name)}"
        )
    return input.ndim == nd + 1


def _validate_shapes(x: Tensor, weight: Tensor, bias: Tensor | None, groups: int,
                     transposed: bool) -> None:
    ws = list(weight.shape)
    if ws[0] < 1:
        raise RuntimeError(
            f"Given groups={groups}, expected weight to be at least {groups} at dimension 0, but "
            f"got weight of size {ws} instead"
        )
    if ws[0] % groups:
        raise RuntimeError(
            f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
            f"but got weight of size [{ws}] instead"
        )
    want = ws[0] if transposed else ws[1] * groups
    if x.shape[1] != want:
        head = f"Given transposed=1, weight of size {ws}" if transposed else (
            f"Given groups={groups}, weight of size {ws}")
        raise RuntimeError(
            f"{head}, expected input{list(x.shape)} to have {want} channels, but got "
            f"{x.shape[1]} channels instead"
        )
    cout = ws[1] * groups if transposed else ws[0]
    if bias is not None and (bias.ndim != 1 or bias.shape[0] != cout):
        raise RuntimeError(
            f"Given weight of size {ws}, expected bias to be 1-dimensional with {cout} elements, "
            f"but got bias of size {list(bias.shape)} instead"
        )


def _check_sizes(x: Tensor, ks: Sequence[int], stride: tuple[int, ...], padding: tuple[int, ...],
                 dilation: tuple[int, ...]) -> None:
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError("dilation should be greater than zero")
    padded = [s + 2 * p for s, p in zip(x.shape[2:], padding)]
    eff = [d * (k - 1) + 1 for d, k in zip(dilation, ks)]
    if any(p < e for p, e in zip(padded, eff)):
        raise RuntimeError(
            f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). Kernel "
            f"size: ({' x '.join(map(str, eff))}). Kernel size can't be greater than actual input "
            "size"
        )


def _conv(input: Tensor, weight: Tensor, bias: Tensor | None, stride: Any, padding: Any,
          dilation: Any, groups: int, nd: int) -> Tensor:
    name = f"conv{nd}d"
    unbatched = _check(input, weight, bias, nd, groups, False, name)
    x = input.unsqueeze(0) if unbatched else input
    st = _tuple(stride, nd, "stride")
    dil = _tuple(dilation, nd, "dilation")
    if isinstance(padding, str):
        if padding == "valid":
            pd: tuple[int, ...] = (0,) * nd
        elif padding == "same":
            if any(s != 1 for s in st):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            _validate_shapes(x, weight, bias, groups, False)
            x, pd = _same_padding(x, nd, weight.shape[2:], dil)
        else:
            raise RuntimeError(f"Invalid padding string: '{padding}'")
    else:
        pd = _tuple(padding, nd, "padding")
    _validate_shapes(x, weight, bias, groups, False)
    _check_sizes(x, weight.shape[2:], st, pd, dil)
    out = convolution(x, weight, bias, st, pd, dil, False, (0,) * nd, groups)
    return out.squeeze(0) if unbatched else out


def _conv_t(input: Tensor, weight: Tensor, bias: Tensor | None, stride: Any, padding: Any,
            output_padding: Any, groups: int, dilation: Any, nd: int) -> Tensor:
    name = f"conv_transpose{nd}d"
    unbatched = _check(input, weight, bias, nd, groups, True, name)
    x = input.unsqueeze(0) if unbatched else input
    st, pd = _tuple(stride, nd, "stride"), _tuple(padding, nd, "padding")
    dil, op = _tuple(dilation, nd, "dilation"), _tuple(output_padding, nd, "output_padding")
    _validate_shapes(x, weight, bias, groups, True)
    if any(s <= 0 for s in st):
        raise RuntimeError("non-positive stride is not supported")
    if any(p < 0 for p in pd):
        raise RuntimeError("negative padding is not supported")
    if any(o >= s and o >= d for o, s, d in zip(op, st, dil)):
        axes = ["height", "width"] if nd == 2 else (["depth", "height", "width"] if nd == 3 else ["width"])  # noqa: E501
        parts = [f"output_padding_{a}: {o}" for a, o in zip(axes, op)]
        parts += [f"stride_{a}: {s}" for a, s in zip(axes, st)]
        parts += [f"dilation_{a}: {d}" for a, d in zip(axes, dil)]
        raise RuntimeError(
            "output padding must be smaller than either stride or dilation, but got "
            + " ".join(parts)
        )
    out = convolution(x, weight, bias, st, pd, dil, True, op, groups)
    return out.squeeze(0) if unbatched else out


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    r"""1-D convolution over an input of shape :math:`(N, C_{in}, L)` or :math:`(C_{in}, L)`."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 1)


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    r"""2-D convolution over an input of shape :math:`(N, C_{in}, H, W)` or :math:`(C_{in}, H, W)`.

    Examples::

        >>> import ember
        >>> import ember.nn.functional as F
        >>> F.conv2d(ember.ones(1, 1, 3, 3), ember.ones(1, 1, 2, 2))
        tensor([[[[4., 4.],
                  [4., 4.]]]])
    """
    return _conv(input, weight, bias, stride, padding, dilation, groups, 2)


def conv3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    r"""3-D convolution over an input of shape :math:`(N, C_{in}, D, H, W)`."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 3)


def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
                     padding: Any = 0, output_padding: Any = 0, groups: int = 1,
                     dilation: Any = 1) -> Tensor:
    r"""1-D transposed convolution (the gradient of ``conv1d`` with respect to its input)."""
    return _conv_t(input, weight, bias, stride, padding, output_padding, groups, dilation, 1)


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
                     padding: Any = 0, output_padding: Any = 0, groups: int = 1,
                     dilation: Any = 1) -> Tensor:
    r"""2-D transposed convolution (the gradient of ``conv2d`` with respect to its input)."""
    return _conv_t(input, weight, bias, stride, padding, output_padding, groups, dilation, 2)


def conv_transpose3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
                     padding: Any = 0, output_padding: Any = 0, groups: int = 1,
                     dilation: Any = 1) -> Tensor:
    r"""3-D transposed convolution (the gradient of ``conv3d`` with respect to its input)."""
    return _conv_t(input, weight, bias, stride, padding, output_padding, groups, dilation, 3)


"""Convolution layers: ``Conv1d/2d/3d`` and ``ConvTranspose1d/2d/3d``."""

from __future__ import annotations

import math
from typing import Any

from ember._factory import empty
from ember._tensor import Tensor
from ember.autograd.grad_mode import no_grad
from ember.nn import init
from ember.nn._functional import conv as Fc
from ember.nn._functional.misc import pad as _pad
from ember.nn.modules.module import Module
from ember.nn.parameter import Parameter

__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d"]


def _ntuple(v: Any, n: int) -> tuple[int, ...]:
    if isinstance(v, int):
        return (v,) * n
    v = tuple(v)
    return v * n if len(v) == 1 else v


def _reverse_repeat(t: tuple[int, ...]) -> list[int]:
    return [p for p in reversed(t) for _ in range(2)]


class _ConvNd(Module):
    """Shared state and initialisation of every convolution layer."""

    __constants__ = ["stride", "padding", "dilation", "groups", "padding_mode", "output_padding",
                     "in_channels", "out_channels", "kernel_size"]  # fmt: skip
    in_channels: int
    out_channels: int
    kernel_size: tuple[int, ...]
    stride: tuple[int, ...]
    padding: str | tuple[int, ...]
    dilation: tuple[int, ...]
    transposed: bool
    output_padding: tuple[int, ...]
    groups: int
    padding_mode: str
    _reversed_padding_repeated_twice: list[int]
    weight: Tensor
    bias: Tensor | None

    def __init__(self, in_channels: int, out_channels: int, kernel_size: tuple[int, ...],
                 stride: tuple[int, ...], padding: str | tuple[int, ...],
                 dilation: tuple[int, ...], transposed: bool, output_padding: tuple[int, ...],
                 groups: int, bias: bool, padding_mode: str, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        _check_config(in_channels, out_channels, groups, padding, stride, padding_mode)
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.dilation, self.transposed, self.output_padding = dilation, transposed, output_padding
        self.groups, self.padding_mode = groups, padding_mode
        self._reversed_padding_repeated_twice = _reversed_padding(padding, kernel_size, dilation)
        shape = ((in_channels, out_channels // groups) if transposed
                 else (out_channels, in_channels // groups))
        self.weight = Parameter(empty((*shape, *kernel_size), device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(empty(out_channels, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        with no_grad():
            init.kaiming_uniform_(self.weight, a=math.sqrt(5))
            if self.bias is not None:
                fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
                bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
                init.uniform_(self.bias, -bound, bound)

    def extra_repr(self) -> str:
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"  # noqa: E501
        if self.padding != (0,) * len(self.padding):
            s += f", padding={self.padding}"
        if self.dilation != (1,) * len(self.dilation):
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * len(self.output_padding):
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        if not hasattr(self, "padding_mode"):
            self.padding_mode = "zeros"


def _check_config(cin: int, cout: int, groups: int, padding: Any, stride: tuple[int, ...],
                  padding_mode: str) -> None:
    if groups <= 0:
        raise ValueError("groups must be a positive integer")
    if cin % groups != 0:
        raise ValueError("in_channels must be divisible by groups")
    if cout % groups != 0:
        raise ValueError("out_channels must be divisible by groups")
    valid = {"same", "valid"}
    if isinstance(padding, str):
        if padding not in valid:
            raise ValueError(f"Invalid padding string {padding!r}, should be one of {valid}")
        if padding == "same" and any(s != 1 for s in stride):
            raise ValueError("padding='same' is not supported for strided convolutions")
    modes = {"zeros", "reflect", "replicate", "circular"}
    if padding_mode not in modes:
        raise ValueError(
            f"padding_mode must be one of {modes}, but got padding_mode='{padding_mode}'"
        )


def _reversed_padding(padding: Any, ks: tuple[int, ...], dil: tuple[int, ...]) -> list[int]:
    """``F.pad`` widths (last axis first) for the non-zero padding modes."""
    if not isinstance(padding, str):
        return _reverse_repeat(padding)
    out = [0, 0] * len(ks)
    if padding == "same":
        for d, k, i in zip(dil, ks, range(len(ks) - 1, -1, -1)):
            total = d * (k - 1)
            out[2 * i], out[2 * i + 1] = total // 2, total - total // 2
    return out


class _Conv(_ConvNd):
    _nd = 2

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None) -> None:
        n = self._nd
        pad = padding if isinstance(padding, str) else _ntuple(padding, n)
        super().__init__(in_channels, out_channels, _ntuple(kernel_size, n), _ntuple(stride, n),
                         pad, _ntuple(dilation, n), False, _ntuple(0, n), groups, bias,
                         padding_mode, device, dtype)

    def _conv_forward(self, input: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
        fn = (Fc.conv1d, Fc.conv2d, Fc.conv3d)[self._nd - 1]
        if self.padding_mode != "zeros":
            x = _pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            return fn(x, weight, bias, self.stride, 0, self.dilation, self.groups)
        return fn(input, weight, bias, self.stride, self.padding, self.dilation, self.groups)

    def forward(self, input: Tensor) -> Tensor:
        return self._conv_forward(input, self.weight, self.bias)


class Conv1d(_Conv):
    r"""1-D convolution over an input of shape :math:`(N, C_{in}, L)`.

    Args:
        in_channels, out_channels: channels of the input and of the output.
        kernel_size, stride, padding, dilation: window geometry (``padding`` may be ``'same'`` or
            ``'valid'``).
        groups: blocked connections from input to output channels. Default: 1.
        bias: learn an additive bias. Default: ``True``.
        padding_mode: ``'zeros'``, ``'reflect'``, ``'replicate'`` or ``'circular'``.
    """

    _nd = 1


class Conv2d(_Conv):
    r"""2-D convolution over an input of shape :math:`(N, C_{in}, H, W)`.

    Args:
        in_channels, out_channels: channels of the input and of the output.
        kernel_size, stride, padding, dilation: window geometry (``padding`` may be ``'same'`` or
            ``'valid'``).
        groups: blocked connections from input to output channels. Default: 1.
        bias: learn an additive bias. Default: ``True``.
        padding_mode: ``'zeros'``, ``'reflect'``, ``'replicate'`` or ``'circular'``.

    Attributes:
        weight: shape :math:`(C_{out}, C_{in}/groups, kH, kW)`, from :math:`\mathcal{U}(-\sqrt{k},
            \sqrt{k})` with :math:`k = groups / (C_{in} kH kW)`; bias: shape :math:`(C_{out})`, the
            same distribution.

    Examples::

        >>> import ember
        >>> m = ember.nn.Conv2d(1, 20, 5)
        >>> m
        Conv2d(1, 20, kernel_size=(5, 5), stride=(1, 1))
        >>> m(ember.randn(2, 1, 28, 28)).shape
        torch.Size([2, 20, 24, 24])
    """

    _nd = 2


class Conv3d(_Conv):
    r"""3-D convolution over an input of shape :math:`(N, C_{in}, D, H, W)`."""

    _nd = 3


class _ConvTransposeNd(_ConvNd):
    _nd = 2

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, output_padding: Any = 0, groups: int = 1, bias: bool = True,
                 dilation: Any = 1, padding_mode: str = "zeros", device: Any = None,
                 dtype: Any = None) -> None:
        if padding_mode != "zeros":
            raise ValueError(
                f'Only "zeros" padding mode is supported for {type(self).__name__}'
            )
        n = self._nd
        super().__init__(in_channels, out_channels, _ntuple(kernel_size, n), _ntuple(stride, n),
                         _ntuple(padding, n), _ntuple(dilation, n), True,
                         _ntuple(output_padding, n), groups, bias, padding_mode, device, dtype)

    def _output_padding(self, input: Tensor, output_size: Any) -> tuple[int, ...]:
        if output_size is None:
            return self.output_padding
        n = self._nd
        size = list(output_size)[-n:]
        if len(size) != n:
            raise ValueError(
                f"ConvTranspose{n}D: for {input.ndim}D input, output_size must have {n} or "
                f"{n + 2} elements (got {len(output_size)})"
            )
        out = []
        for i in range(n):
            dim = input.shape[input.ndim - n + i]
            lo = ((dim - 1) * self.stride[i] - 2 * self.padding[i]
                  + self.dilation[i] * (self.kernel_size[i] - 1) + 1)
            hi = lo + self.stride[i] - 1
            if not lo <= size[i] <= hi:
                raise ValueError(
                    f"requested an output size of {size}, but valid sizes range from "
                    f"[{lo}, ...] to [{hi}, ...] (for an input of {list(input.shape[2:])})"
                )
            out.append(size[i] - lo)
        return tuple(out)

    def forward(self, input: Tensor, output_size: Any = None) -> Tensor:
        fn = (Fc.conv_transpose1d, Fc.conv_transpose2d, Fc.conv_transpose3d)[self._nd - 1]
        op = self._output_padding(input, output_size)
        return fn(input, self.weight, self.bias, self.stride, self.padding, op, self.groups,
                  self.dilation)


class ConvTranspose1d(_ConvTransposeNd):
    r"""1-D transposed convolution (the gradient of ``Conv1d`` with respect to its input)."""

    _nd = 1


class ConvTranspose2d(_ConvTransposeNd):
    r"""2-D transposed convolution (the gradient of ``Conv2d`` with respect to its input).

    Examples::

        >>> import ember
        >>> ember.nn.ConvTranspose2d(16, 33, 3, stride=2)
        ConvTranspose2d(16, 33, kernel_size=(3, 3), stride=(2, 2))
    """

    _nd = 2


class ConvTranspose3d(_ConvTransposeNd):
    r"""3-D transposed convolution (the gradient of ``Conv3d`` with respect to its input)."""

    _nd = 3

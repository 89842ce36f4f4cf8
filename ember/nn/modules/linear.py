"""``Linear``, ``Bilinear`` and ``Identity``."""

from __future__ import annotations

import math
from typing import Any

from ember._factory import empty
from ember._tensor import Tensor
from ember.nn import init
from ember.nn._functional.linear import bilinear, linear
from ember.nn.modules.module import Module
from ember.nn.parameter import Parameter

__all__ = ["Identity", "Linear", "Bilinear"]


def _kaiming_uniform_sqrt5_(weight: Tensor) -> None:
    """torch's default layer init: kaiming_uniform_(a=sqrt(5)), i.e. U(±1/sqrt(fan_in))."""
    init.kaiming_uniform_(weight, a=math.sqrt(5))


def _bias_uniform_(bias: Tensor, weight: Tensor) -> None:
    """torch's default bias init: U(±1/sqrt(fan_in)), zeros when fan_in is 0."""
    fan_in, _ = init._calculate_fan_in_and_fan_out(weight)
    bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
    init.uniform_(bias, -bound, bound)


class Identity(Module):
    r"""A placeholder layer that returns its input; its arguments are ignored.

    Examples::

        >>> import ember
        >>> m = ember.nn.Identity(54, unused_argument1=0.1)
        >>> m(ember.ones(2)).shape
        torch.Size([2])
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:
        return input


class Linear(Module):
    r"""Applies an affine transformation: :math:`y = xA^T + b`.

    Args:
        in_features: size of each input sample.
        out_features: size of each output sample.
        bias: if ``False``, the layer learns no additive bias. Default: ``True``.

    Shape:
        - Input: :math:`(*, H_{in})` with :math:`H_{in} = \text{in\_features}`.
        - Output: :math:`(*, H_{out})` with :math:`H_{out} = \text{out\_features}`.

    Attributes:
        weight: the learnable weights of shape :math:`(\text{out\_features}, \text{in\_features})`,
            initialised from :math:`\mathcal{U}(-\sqrt{k}, \sqrt{k})`, :math:`k = 1/\text{in\_features}`.
        bias: the learnable bias of shape :math:`(\text{out\_features})`, initialised the same way.

    Examples::

        >>> import ember
        >>> m = ember.nn.Linear(20, 30)
        >>> m(ember.randn(128, 20)).size()
        torch.Size([128, 30])
    """

    __constants__ = ["in_features", "out_features"]
    in_features: int
    out_features: int
    weight: Tensor

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:  # fmt: skip
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(empty((out_features, in_features), device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(empty(out_features, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _kaiming_uniform_sqrt5_(self.weight)
        if self.bias is not None:
            _bias_uniform_(self.bias, self.weight)

    def forward(self, input: Tensor) -> Tensor:
        # perf: read the registry directly; fall back to attribute lookup when a parameter was
        # replaced by something else (parametrizations, a plain tensor attribute).
        p: dict[str, Any] = self._parameters
        weight = p["weight"] if "weight" in p else self.weight  # noqa: SIM401 - lazy fallback
        bias = p["bias"] if "bias" in p else self.bias  # noqa: SIM401 - lazy fallback
        return linear(input, weight, bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")  # fmt: skip


class Bilinear(Module):
    r"""Applies a bilinear transformation: :math:`y = x_1^T A x_2 + b`.

    Args:
        in1_features: size of each first input sample.
        in2_features: size of each second input sample.
        out_features: size of each output sample.
        bias: if ``False``, the layer learns no additive bias. Default: ``True``.

    Shape:
        - Input1: :math:`(*, H_{in1})`; Input2: :math:`(*, H_{in2})`.
        - Output: :math:`(*, H_{out})`.

    Examples::

        >>> import ember
        >>> m = ember.nn.Bilinear(20, 30, 40)
        >>> m(ember.randn(128, 20), ember.randn(128, 30)).size()
        torch.Size([128, 40])
    """

    __constants__ = ["in1_features", "in2_features", "out_features"]
    in1_features: int
    in2_features: int
    out_features: int
    weight: Tensor

    def __init__(self, in1_features: int, in2_features: int, out_features: int,
                 bias: bool = True, device: Any = None, dtype: Any = None) -> None:  # fmt: skip
        super().__init__()
        self.in1_features = in1_features
        self.in2_features = in2_features
        self.out_features = out_features
        self.weight = Parameter(empty((out_features, in1_features, in2_features), device=device,
                                      dtype=dtype))  # fmt: skip
        if bias:
            self.bias = Parameter(empty(out_features, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1 / math.sqrt(self.weight.size(1))
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1: Tensor, input2: Tensor) -> Tensor:
        return bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")  # fmt: skip

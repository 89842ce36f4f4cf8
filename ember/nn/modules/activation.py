"""Activation layers: ``ReLU``, ``GELU``, ``Softmax``, ... (each forward is one ``F`` call)."""

from __future__ import annotations

import warnings
from typing import Any

from ember import empty
from ember._tensor import Tensor
from ember.nn import functional as F
from ember.nn.parameter import Parameter

from .module import Module

__all__ = [
    "Threshold", "ReLU", "RReLU", "Hardtanh", "ReLU6", "Sigmoid", "Hardsigmoid", "Tanh", "SiLU", "Mish",
    "Hardswish", "ELU", "CELU", "SELU", "GLU", "GELU", "Hardshrink", "LeakyReLU", "LogSigmoid",
    "Softplus", "Softshrink", "PReLU", "Softsign", "Tanhshrink", "Softmin", "Softmax",
    "Softmax2d", "LogSoftmax", "MultiheadAttention",
]  # fmt: skip


def _inplace_str(inplace: bool, lead: str = ", ") -> str:
    return f"{lead}inplace=True" if inplace else ""


class Threshold(Module):
    r"""``y = x`` if ``x > threshold`` else ``value``.

    Args:
        threshold (float): the value to threshold at.
        value (float): the value to replace with.
        inplace (bool): do the operation in place. Default: ``False``.
    """

    __constants__ = ["threshold", "value", "inplace"]
    threshold: float
    value: float
    inplace: bool

    def __init__(self, threshold: float, value: float, inplace: bool = False) -> None:
        super().__init__()
        self.threshold = threshold
        self.value = value
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.threshold(input, self.threshold, self.value, self.inplace)

    def extra_repr(self) -> str:
        return f"threshold={self.threshold}, value={self.value}{_inplace_str(self.inplace)}"


class _InplaceAct(Module):
    """An activation whose only option is ``inplace`` (repr ``Name()`` / ``Name(inplace=True)``)."""

    __constants__ = ["inplace"]
    inplace: bool

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def extra_repr(self) -> str:
        return _inplace_str(self.inplace, "")


class ReLU(_InplaceAct):
    r"""Applies :math:`\text{ReLU}(x) = \max(0, x)` element-wise.

    Args:
        inplace (bool): do the operation in place. Default: ``False``.

    Shape:
        - Input: :math:`(*)`, any shape.
        - Output: :math:`(*)`, same shape as the input.

    Examples::

        >>> import ember
        >>> ember.nn.ReLU()(ember.tensor([-1.0, 2.0]))
        tensor([0., 2.])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.relu(input, inplace=self.inplace)


class RReLU(Module):
    r"""Randomized leaky ReLU: random negative slopes in training, their mean in evaluation.

    Args:
        lower (float): lower bound of the slope distribution. Default: 1/8.
        upper (float): upper bound of the slope distribution. Default: 1/3.
        inplace (bool): do the operation in place. Default: ``False``.
    """

    __constants__ = ["lower", "upper", "inplace"]
    lower: float
    upper: float
    inplace: bool

    def __init__(self, lower: float = 1.0 / 8, upper: float = 1.0 / 3, inplace: bool = False) -> None:  # noqa: E501
        super().__init__()
        self.lower = lower
        self.upper = upper
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.rrelu(input, self.lower, self.upper, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"lower={self.lower}, upper={self.upper}{_inplace_str(self.inplace)}"


class Hardtanh(Module):
    r"""Clamps the input to ``[min_val, max_val]`` element-wise.

    Args:
        min_val (float): lower end of the linear region. Default: -1.
        max_val (float): upper end of the linear region. Default: 1.
        inplace (bool): do the operation in place. Default: ``False``.
    """

    __constants__ = ["min_val", "max_val", "inplace"]
    min_val: float
    max_val: float
    inplace: bool

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False,
                 min_value: float | None = None, max_value: float | None = None) -> None:  # fmt: skip
        super().__init__()
        if min_value is not None:
            warnings.warn("keyword argument `min_value` is deprecated and renamed to `min_val`",
                          FutureWarning, stacklevel=2)  # fmt: skip
            min_val = min_value
        if max_value is not None:
            warnings.warn("keyword argument `max_value` is deprecated and renamed to `max_val`",
                          FutureWarning, stacklevel=2)  # fmt: skip
            max_val = max_value
        self.min_val = min_val
        self.max_val = max_val
        self.inplace = inplace
        if self.max_val <= self.min_val:
            raise AssertionError(
                f"max_val ({self.max_val}) must be greater than min_val ({self.min_val})"
            )

    def forward(self, input: Tensor) -> Tensor:
        return F.hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self) -> str:
        return f"min_val={self.min_val}, max_val={self.max_val}{_inplace_str(self.inplace)}"


class ReLU6(Hardtanh):
    r"""Applies :math:`\min(\max(0, x), 6)` element-wise.

    Args:
        inplace (bool): do the operation in place. Default: ``False``.
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self) -> str:
        return _inplace_str(self.inplace, "")


class Sigmoid(Module):
    r"""Applies :math:`\sigma(x) = 1 / (1 + e^{-x})` element-wise."""

    def forward(self, input: Tensor) -> Tensor:
        return input.sigmoid()


class Tanh(Module):
    r"""Applies :math:`\tanh(x)` element-wise."""

    def forward(self, input: Tensor) -> Tensor:
        return input.tanh()


class _InplaceNoRepr(Module):
    __constants__ = ["inplace"]
    inplace: bool

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace


class Hardsigmoid(_InplaceNoRepr):
    r"""Applies :math:`\text{ReLU6}(x + 3) / 6` element-wise.

    Args:
        inplace (bool): do the operation in place. Default: ``False``.
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.hardsigmoid(input, self.inplace)


class Hardswish(_InplaceNoRepr):
    r"""Applies :math:`x \cdot \text{ReLU6}(x + 3) / 6` element-wise.

    Args:
        inplace (bool): do the operation in place. Default: ``False``.
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.hardswish(input, self.inplace)


class SiLU(_InplaceAct):
    r"""Applies :math:`x \sigma(x)` (the swish function) element-wise.

    Args:
        inplace (bool): do the operation in place. Default: ``False``.
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.silu(input, inplace=self.inplace)


class Mish(_InplaceAct):
    r"""Applies :math:`x \tanh(\text{softplus}(x))` element-wise.

    Args:
        inplace (bool): do the operation in place. Default: ``False``.
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.mish(input, inplace=self.inplace)


class SELU(_InplaceAct):
    r"""Applies the scaled ELU with the self-normalising constants element-wise.

    Args:
        inplace (bool): do the operation in place. Default: ``False``.
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.selu(input, self.inplace)


class _AlphaAct(Module):
    __constants__ = ["alpha", "inplace"]
    alpha: float
    inplace: bool

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}{_inplace_str(self.inplace)}"


class ELU(_AlphaAct):
    r"""Applies :math:`x` for :math:`x > 0`, :math:`\alpha (e^x - 1)` otherwise.

    Args:
        alpha (float): the saturation value for negative inputs. Default: 1.0.
        inplace (bool): do the operation in place. Default: ``False``.
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.elu(input, self.alpha, self.inplace)


class CELU(_AlphaAct):
    r"""Applies :math:`\max(0, x) + \min(0, \alpha (e^{x/\alpha} - 1))` element-wise.

    Args:
        alpha (float): the :math:`\alpha` value. Default: 1.0.
        inplace (bool): do the operation in place. Default: ``False``.
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.celu(input, self.alpha, self.inplace)


class GLU(Module):
    r"""Gated linear unit: :math:`a \otimes \sigma(b)` with ``a, b`` the halves along ``dim``.

    Args:
        dim (int): the dimension to split the input on. Default: -1.
    """

    __constants__ = ["dim"]
    dim: int

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return F.glu(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class GELU(Module):
    r"""Gaussian Error Linear Unit :math:`x \Phi(x)`.

    Args:
        approximate (str): ``'none'`` (exact, with erf) or ``'tanh'``. Default: ``'none'``.

    Examples::

        >>> import ember
        >>> ember.nn.GELU()
        GELU(approximate='none')
    """

    __constants__ = ["approximate"]
    approximate: str

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        self.approximate = approximate

    def forward(self, input: Tensor) -> Tensor:
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class _LambdAct(Module):
    __constants__ = ["lambd"]
    lambd: float

    def __init__(self, lambd: float = 0.5) -> None:
        super().__init__()
        self.lambd = lambd

    def extra_repr(self) -> str:
        return f"{self.lambd}"


class Hardshrink(_LambdAct):
    r"""``x`` where :math:`|x| > \lambda`, else 0.

    Args:
        lambd (float): the :math:`\lambda` value. Default: 0.5.
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.hardshrink(input, self.lambd)


class Softshrink(_LambdAct):
    r"""Shrinks ``x`` towards 0 by :math:`\lambda` (0 inside :math:`[-\lambda, \lambda]`).

    Args:
        lambd (float): the :math:`\lambda` value. Default: 0.5.
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.softshrink(input, self.lambd)


class LeakyReLU(Module):
    r"""Applies :math:`\max(0, x) + \text{negative\_slope} \cdot \min(0, x)` element-wise.

    Args:
        negative_slope (float): the slope for negative inputs. Default: 1e-2.
        inplace (bool): do the operation in place. Default: ``False``.
    """

    __constants__ = ["inplace", "negative_slope"]
    inplace: bool
    negative_slope: float

    def __init__(self, negative_slope: float = 1e-2, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}{_inplace_str(self.inplace)}"


class LogSigmoid(Module):
    r"""Applies :math:`\log \sigma(x)` element-wise."""

    def forward(self, input: Tensor) -> Tensor:
        return F.logsigmoid(input)


class Softplus(Module):
    r"""Applies :math:`\frac{1}{\beta} \log(1 + e^{\beta x})`, linear above ``threshold``.

    Args:
        beta (float): the :math:`\beta` value. Default: 1.
        threshold (float): above ``beta * x > threshold`` the function is linear. Default: 20.
    """

    __constants__ = ["beta", "threshold"]
    beta: float
    threshold: float

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, input: Tensor) -> Tensor:
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class PReLU(Module):
    r"""Leaky ReLU with a learnt negative slope, shared or one per channel (dim 1).

    Args:
        num_parameters (int): 1, or the number of channels. Default: 1.
        init (float): the initial slope. Default: 0.25.

    Attributes:
        weight (Tensor): the learnable slopes, of shape ``(num_parameters,)``.
    """

    __constants__ = ["num_parameters"]
    num_parameters: int

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device: Any = None,
                 dtype: Any = None) -> None:  # fmt: skip
        self.num_parameters = num_parameters
        super().__init__()
        self.init = init
        self.weight = Parameter(empty(num_parameters, device=device, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        from ember.nn import init  # noqa: PLC0415

        init.constant_(self.weight, self.init)

    def forward(self, input: Tensor) -> Tensor:
        return F.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class Softsign(Module):
    r"""Applies :math:`x / (1 + |x|)` element-wise."""

    def forward(self, input: Tensor) -> Tensor:
        return F.softsign(input)


class Tanhshrink(Module):
    r"""Applies :math:`x - \tanh(x)` element-wise."""

    def forward(self, input: Tensor) -> Tensor:
        return F.tanhshrink(input)


class _DimSoftmax(Module):
    __constants__ = ["dim"]
    dim: int | None

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def __setstate__(self, state: dict[str, object]) -> None:
        super().__setstate__(state)
        if not hasattr(self, "dim"):
            self.dim = None

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softmin(_DimSoftmax):
    r"""Applies :math:`\text{Softmax}(-x)` along ``dim``.

    Args:
        dim (int): the dimension the slices summing to 1 run along.
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.softmin(input, self.dim, _stacklevel=5)


class Softmax(_DimSoftmax):
    r"""Rescales the slices along ``dim`` to lie in ``[0, 1]`` and sum to 1.

    Args:
        dim (int): the dimension the slices summing to 1 run along.

    Examples::

        >>> import ember
        >>> ember.nn.Softmax(dim=1)
        Softmax(dim=1)
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.softmax(input, self.dim, _stacklevel=5)


class LogSoftmax(_DimSoftmax):
    r"""Applies :math:`\log(\text{Softmax}(x))` along ``dim``, computed stably.

    Args:
        dim (int): the dimension the slices run along.
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.log_softmax(input, self.dim, _stacklevel=5)


class Softmax2d(Module):
    r"""Softmax over the channels (dim -3) of a ``(N, C, H, W)`` or ``(C, H, W)`` input."""

    def forward(self, input: Tensor) -> Tensor:
        if input.dim() not in (3, 4):
            raise ValueError(f"Softmax2d: expected input to be 3D or 4D, got {input.dim()}D instead")  # noqa: E501
        return F.softmax(input, -3, _stacklevel=5)


from ._attention import MultiheadAttention  # noqa: E402

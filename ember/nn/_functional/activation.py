"""Activation functions: ``F.relu``, ``F.gelu``, ``F.softmax``, ... (the math is in ember/_ops)."""

from __future__ import annotations

import warnings
from typing import Any

from ember._ops import activation as A
from ember._ops import elementwise as E
from ember._tensor import Tensor

__all__ = [
    "relu", "relu_", "relu6", "gelu", "silu", "mish", "softplus", "elu", "elu_", "selu", "selu_",
    "celu", "celu_", "leaky_relu", "leaky_relu_", "hardtanh", "hardtanh_", "hardswish",
    "hardsigmoid", "logsigmoid", "prelu", "glu", "softsign", "tanhshrink", "threshold",
    "threshold_", "hardshrink", "softshrink", "softmax", "log_softmax", "softmin",
    "gumbel_softmax", "sigmoid", "tanh", "rrelu", "rrelu_",
]  # fmt: skip


def _apply(input: Tensor, op: Any, inplace: bool, **p: Any) -> Tensor:
    """Run ``op`` out of place, or write its result into ``input`` (torch's in-place rules)."""
    if inplace:
        return input._inplace(op, **p)
    return op.apply(input, **p)


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    r"""Applies :math:`\max(0, x)` element-wise. See :class:`~ember.nn.ReLU`."""
    return input.relu_() if inplace else E.Relu.apply(input)


def relu_(input: Tensor) -> Tensor:
    r"""In-place version of :func:`relu`."""
    return input.relu_()


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: E501
    r"""Clamps the input to ``[min_val, max_val]``. See :class:`~ember.nn.Hardtanh`."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _apply(input, A.Hardtanh, inplace, min_val=min_val, max_val=max_val)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    r"""In-place version of :func:`hardtanh`."""
    return hardtanh(input, min_val, max_val, inplace=True)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    r"""Applies :math:`\min(\max(0, x), 6)` element-wise. See :class:`~ember.nn.ReLU6`."""
    return hardtanh(input, 0.0, 6.0, inplace)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    r"""Gaussian Error Linear Unit :math:`x \Phi(x)`; ``approximate='tanh'`` uses the tanh form."""
    return A.gelu(input, approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    r"""Applies :math:`x \sigma(x)` element-wise. See :class:`~ember.nn.SiLU`."""
    return _apply(input, A.Silu, inplace)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    r"""Applies :math:`x \tanh(\text{softplus}(x))` element-wise. See :class:`~ember.nn.Mish`."""
    return _apply(input, A.Mish, inplace)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    r"""Applies :math:`\frac{1}{\beta}\log(1 + e^{\beta x})`, linear above ``threshold``."""
    return A.Softplus.apply(input, beta=beta, threshold=threshold)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    r"""Exponential Linear Unit. See :class:`~ember.nn.ELU`."""
    return _apply(input, A.Elu, inplace, alpha=alpha)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    r"""In-place version of :func:`elu`."""
    return elu(input, alpha, inplace=True)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    r"""Scaled ELU with the self-normalising constants. See :class:`~ember.nn.SELU`."""
    return _apply(input, A.Elu, inplace, alpha=A.SELU_ALPHA, scale=A.SELU_SCALE)


def selu_(input: Tensor) -> Tensor:
    r"""In-place version of :func:`selu`."""
    return selu(input, inplace=True)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    r"""Continuously differentiable ELU. See :class:`~ember.nn.CELU`."""
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    return _apply(input, A.Celu, inplace, alpha=alpha, input_scale=1.0 / alpha)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    r"""In-place version of :func:`celu`."""
    return celu(input, alpha, inplace=True)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    r"""Applies :math:`\max(0, x) + \text{negative\_slope} \min(0, x)` element-wise."""
    return _apply(input, A.LeakyRelu, inplace, negative_slope=negative_slope)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    r"""In-place version of :func:`leaky_relu`."""
    return leaky_relu(input, negative_slope, inplace=True)


def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
          inplace: bool = False) -> Tensor:  # fmt: skip
    r"""Randomized leaky ReLU: in training each negative element gets a slope drawn from
    :math:`\mathcal{U}(\text{lower}, \text{upper})`; in evaluation the mean slope."""
    if not training:
        return leaky_relu(input, (lower + upper) / 2, inplace)
    from ember._device import to_device  # noqa: PLC0415
    from ember._random import _gen  # noqa: PLC0415
    from ember._tensor import _wrap  # noqa: PLC0415

    x = input._array
    slope = _gen(None).uniform(lower, upper, x.shape).astype(x.dtype)
    if type(x) is not type(slope):
        slope = to_device(slope, input.device)
    noise = slope + (x >= 0) * (1 - slope)  # 1 where x >= 0, the random slope below
    n = _wrap(noise)
    return input.mul_(n) if inplace else input * n


def rrelu_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False) -> Tensor:  # noqa: E501
    r"""In-place version of :func:`rrelu`."""
    return rrelu(input, lower, upper, training, inplace=True)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    r"""Applies :math:`x \cdot \text{ReLU6}(x + 3) / 6` element-wise."""
    return _apply(input, A.Hardswish, inplace)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    r"""Applies :math:`\text{ReLU6}(x + 3) / 6` element-wise."""
    return _apply(input, A.Hardsigmoid, inplace)


def logsigmoid(input: Tensor) -> Tensor:
    r"""Applies :math:`\log \sigma(x)` element-wise, computed stably."""
    return A.LogSigmoid.apply(input)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    r"""``input`` where it is greater than ``threshold``, else ``value``."""
    return _apply(input, A.Threshold, inplace, threshold=threshold, value=value)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    r"""In-place version of :func:`threshold`."""
    return _apply(input, A.Threshold, True, threshold=threshold, value=value)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    r"""``x`` where ``|x| > lambd``, else 0."""
    return A.Hardshrink.apply(input, lambd=lambd)


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    r"""``x - lambd`` above ``lambd``, ``x + lambd`` below ``-lambd``, else 0."""
    return A.Softshrink.apply(input, lambd=lambd)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    r"""Leaky ReLU with a learnt slope per channel (dim 1) or one shared slope."""
    n = weight.numel()
    if n != 1:
        channels = input.shape[1] if input.ndim >= 2 else 1
        if weight.ndim != 1:
            raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = {weight.ndim}")  # noqa: E501
        if channels != n:
            raise RuntimeError(
                "Mismatch of parameter numbers and input channel size. Found parameter numbers = "
                f"{n} and channel size = {channels}."
            )
        if input.ndim >= 2:
            weight = weight.reshape((n,) + (1,) * (input.ndim - 2))
    return A.PreluKernel.apply(input, weight)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    r"""Gated linear unit: :math:`a \otimes \sigma(b)` with ``a, b`` the halves along ``dim``."""
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    from ember._ops.shape import _dim  # noqa: PLC0415

    d = _dim(dim, input.ndim)
    if input.shape[d] % 2:
        raise RuntimeError(
            f"Halving dimension must be even, but dimension {d} is size {input.shape[d]}"
        )
    return A.Glu.apply(input, dim=d)


def softsign(input: Tensor) -> Tensor:
    r"""Applies :math:`x / (1 + |x|)` element-wise."""
    return input / (input.abs() + 1)


def tanhshrink(input: Tensor) -> Tensor:
    r"""Applies :math:`x - \tanh(x)` element-wise."""
    return input - input.tanh()


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None) -> Tensor:  # noqa: E501
    r"""Softmax along ``dim``: the slices along ``dim`` are rescaled to sum to 1."""
    return A.softmax(input, dim, dtype)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None) -> Tensor:  # noqa: E501
    r"""``log(softmax(x))`` along ``dim``, computed stably."""
    return A.log_softmax(input, dim, dtype)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None) -> Tensor:  # noqa: E501
    r"""``softmax(-x)`` along ``dim``."""
    if dim is None:
        warnings.warn(
            "Implicit dimension choice for softmin has been deprecated. Change the call to "
            "include dim=X as an argument.",
            UserWarning,
            stacklevel=_stacklevel,
        )
        dim = 0 if input.ndim in (0, 1, 3) else 1
    return A.softmax(-input, dim, dtype)


def gumbel_softmax(logits: Tensor, tau: float = 1, hard: bool = False, eps: float = 1e-10, dim: int = -1) -> Tensor:  # noqa: E501
    r"""Sample from the Gumbel-softmax distribution; ``hard=True`` gives straight-through one-hots."""
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    from ember import empty_like, zeros_like  # noqa: PLC0415

    gumbels = -empty_like(logits).exponential_().log()
    y_soft = ((logits + gumbels) / tau).softmax(dim)
    if not hard:
        return y_soft
    index = y_soft.max(dim, keepdim=True)[1]
    y_hard = zeros_like(logits).scatter_(dim, index, 1.0)
    return y_hard - y_soft.detach() + y_soft


def sigmoid(input: Tensor) -> Tensor:
    r"""Applies :math:`1 / (1 + e^{-x})` element-wise."""
    return input.sigmoid()


def tanh(input: Tensor) -> Tensor:
    r"""Applies :math:`\tanh(x)` element-wise."""
    return input.tanh()

r"""``nn.init``: fill a tensor in place with values from the usual initialisation schemes.

Every function runs under ``no_grad``, writes into ``tensor`` and returns it. The fan and gain
computations are torch's, so a layer initialised here has torch's value distribution (the
random stream itself differs: ember draws from NumPy's generator).
"""

from __future__ import annotations

import math
import warnings
from typing import Any, Callable

import numpy as np

from ember._random import Generator, _gen
from ember._tensor import Tensor
from ember.autograd.grad_mode import no_grad

__all__ = [
    "calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_",
    "eye_", "dirac_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_",
    "orthogonal_", "sparse_", "uniform", "normal", "constant", "eye", "dirac", "xavier_uniform",
    "xavier_normal", "kaiming_uniform", "kaiming_normal", "orthogonal", "sparse",
]  # fmt: skip

_LINEAR = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d")  # fmt: skip


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    r"""The recommended gain for a nonlinearity (the factor that keeps activations' variance).

    ================= ====================================================
    nonlinearity      gain
    ================= ====================================================
    Linear / Conv     :math:`1`
    Sigmoid           :math:`1`
    Tanh              :math:`\frac{5}{3}`
    ReLU              :math:`\sqrt{2}`
    Leaky ReLU        :math:`\sqrt{\frac{2}{1 + \text{negative\_slope}^2}}`
    SELU              :math:`\frac{3}{4}`
    ================= ====================================================

    Args:
        nonlinearity (str): the name of the non-linear function.
        param (float, optional): the negative slope for ``'leaky_relu'``.

    Examples::

        >>> from ember.nn import init
        >>> init.calculate_gain("tanh")
        1.6666666666666667
    """
    if nonlinearity in _LINEAR or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, int | float):
            negative_slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + negative_slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    """``(size(1) * receptive field, size(0) * receptive field)``: torch's fans."""
    if tensor.dim() < 2:
        raise ValueError(
            "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions"
        )
    receptive = math.prod(tensor.shape[2:]) if tensor.dim() > 2 else 1
    return tensor.size(1) * receptive, tensor.size(0) * receptive


def _calculate_correct_fan(tensor: Tensor, mode: str) -> int:
    mode = mode.lower()
    valid_modes = ["fan_in", "fan_out"]
    if mode not in valid_modes:
        raise ValueError(f"Mode {mode} not supported, please use one of {valid_modes}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _fill(tensor: Tensor, values: Any) -> Tensor:
    with no_grad():
        tensor._fill_random(values)
    return tensor


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator: Generator | None = None) -> Tensor:  # noqa: E501
    r"""Fill ``tensor`` with values drawn from :math:`\mathcal{U}(a, b)`."""
    return _fill(tensor, _gen(generator).uniform(a, b, tuple(tensor.shape)))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator: Generator | None = None) -> Tensor:  # noqa: E501
    r"""Fill ``tensor`` with values drawn from :math:`\mathcal{N}(\text{mean}, \text{std}^2)`."""
    return _fill(tensor, _gen(generator).normal(mean, std, tuple(tensor.shape)))


def trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0,
                  b: float = 2.0, generator: Generator | None = None) -> Tensor:  # fmt: skip
    r"""Fill ``tensor`` from :math:`\mathcal{N}(\text{mean}, \text{std}^2)` truncated to ``[a, b]``.

    Uses the inverse-CDF method, as torch: uniform draws between the CDF values of ``a`` and
    ``b``, mapped back through ``erfinv``.
    """
    if (mean < a - 2 * std) or (mean > b + 2 * std):
        warnings.warn(
            "mean is more than 2 std from [a, b] in nn.init.trunc_normal_. The distribution of "
            "values may be incorrect.",
            stacklevel=2,
        )

    def norm_cdf(x: float) -> float:
        return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0

    lo, hi = norm_cdf((a - mean) / std), norm_cdf((b - mean) / std)
    from ember._ops.special import erfinv_array  # noqa: PLC0415

    u = _gen(generator).uniform(2 * lo - 1, 2 * hi - 1, tuple(tensor.shape))
    v = erfinv_array(u) * (std * math.sqrt(2.0)) + mean
    return _fill(tensor, np.clip(v, a, b))


def constant_(tensor: Tensor, val: float) -> Tensor:
    r"""Fill ``tensor`` with the value ``val``."""
    with no_grad():
        return tensor.fill_(val)


def ones_(tensor: Tensor) -> Tensor:
    r"""Fill ``tensor`` with ones."""
    return constant_(tensor, 1.0)


def zeros_(tensor: Tensor) -> Tensor:
    r"""Fill ``tensor`` with zeros."""
    return constant_(tensor, 0.0)


def eye_(tensor: Tensor) -> Tensor:
    r"""Fill the 2-D ``tensor`` with the identity matrix (keeps the identity of a Linear's inputs)."""  # noqa: E501
    if tensor.dim() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    return _fill(tensor, np.eye(*tensor.shape))


def dirac_(tensor: Tensor, groups: int = 1) -> Tensor:
    r"""Fill the 3/4/5-D ``tensor`` with the Dirac delta (a convolution that passes channels through).

    Args:
        tensor: a conv weight of 3, 4 or 5 dimensions.
        groups (int): number of groups in the conv layer. Default: 1.
    """
    dims = tensor.dim()
    if dims not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    sizes = tensor.shape
    if sizes[0] % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    out_per_group = sizes[0] // groups
    min_dim = min(out_per_group, sizes[1])
    w = np.zeros(tuple(sizes))
    centre = tuple(s // 2 for s in sizes[2:])
    for g in range(groups):
        for d in range(min_dim):
            w[(g * out_per_group + d, d) + centre] = 1
    return _fill(tensor, w)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator: Generator | None = None) -> Tensor:  # noqa: E501
    r"""Glorot uniform: :math:`\mathcal{U}(-a, a)`, :math:`a = \text{gain} \sqrt{6 / (\text{fan\_in} + \text{fan\_out})}`."""  # noqa: E501
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    a = math.sqrt(3.0) * std
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator: Generator | None = None) -> Tensor:  # noqa: E501
    r"""Glorot normal: :math:`\mathcal{N}(0, \text{std}^2)`, :math:`\text{std} = \text{gain} \sqrt{2 / (\text{fan\_in} + \text{fan\_out})}`."""  # noqa: E501
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def _kaiming_std(tensor: Tensor, a: float, mode: str, nonlinearity: str) -> float | None:
    if 0 in tuple(tensor.shape):
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
        return None
    fan = _calculate_correct_fan(tensor, mode)
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(tensor: Tensor, a: float = 0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu", generator: Generator | None = None) -> Tensor:  # fmt: skip  # noqa: E501
    r"""He uniform: :math:`\mathcal{U}(-b, b)`, :math:`b = \text{gain} \sqrt{3 / \text{fan\_mode}}`.

    Args:
        tensor: an n-dimensional tensor (n >= 2).
        a (float): the negative slope of the rectifier after this layer (for ``'leaky_relu'``).
        mode (str): ``'fan_in'`` (default) keeps the forward variance, ``'fan_out'`` the backward.
        nonlinearity (str): the nonlinearity after this layer. Default: ``'leaky_relu'``.
        generator (Generator, optional): the source of randomness.
    """
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor: Tensor, a: float = 0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu", generator: Generator | None = None) -> Tensor:  # fmt: skip  # noqa: E501
    r"""He normal: :math:`\mathcal{N}(0, \text{std}^2)`, :math:`\text{std} = \text{gain} / \sqrt{\text{fan\_mode}}`."""  # noqa: E501
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    return normal_(tensor, 0.0, std, generator)


def orthogonal_(tensor: Tensor, gain: float = 1, generator: Generator | None = None) -> Tensor:
    r"""Fill ``tensor`` with a (semi-)orthogonal matrix (trailing dims flattened), times ``gain``.

    The QR decomposition of a Gaussian matrix, with the signs fixed by R's diagonal.
    """
    if tensor.dim() < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.size(0)
    cols = tensor.numel() // rows
    flat = _gen(generator).normal(0.0, 1.0, (rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, (q * gain).reshape(tuple(tensor.shape)))


def sparse_(tensor: Tensor, sparsity: float, std: float = 0.01, generator: Generator | None = None) -> Tensor:  # noqa: E501
    r"""Fill the 2-D ``tensor`` from :math:`\mathcal{N}(0, \text{std}^2)`, then zero a
    ``sparsity`` fraction of each column (at random rows)."""
    if tensor.dim() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    rows, cols = tensor.shape
    num_zeros = int(math.ceil(sparsity * rows))
    g = _gen(generator)
    w = g.normal(0.0, std, (rows, cols))
    # one random permutation of the rows per column; its first num_zeros rows are zeroed
    order = np.argsort(g.random((rows, cols)), axis=0)[:num_zeros]
    w[order, np.arange(cols)[None, :]] = 0
    return _fill(tensor, w)


def _make_deprecate(meth: Callable[..., Tensor]) -> Callable[..., Tensor]:
    new_name = meth.__name__
    old_name = new_name[:-1]

    def deprecated_init(*args: Any, **kwargs: Any) -> Tensor:
        warnings.warn(
            f"`nn.init.{old_name}` is now deprecated in favor of `nn.init.{new_name}`.",
            FutureWarning,
            stacklevel=2,
        )
        return meth(*args, **kwargs)

    deprecated_init.__doc__ = f"Deprecated alias of :func:`{new_name}`."
    deprecated_init.__name__ = old_name
    return deprecated_init


uniform = _make_deprecate(uniform_)
normal = _make_deprecate(normal_)
constant = _make_deprecate(constant_)
eye = _make_deprecate(eye_)
dirac = _make_deprecate(dirac_)
xavier_uniform = _make_deprecate(xavier_uniform_)
xavier_normal = _make_deprecate(xavier_normal_)
kaiming_uniform = _make_deprecate(kaiming_uniform_)
kaiming_normal = _make_deprecate(kaiming_normal_)
orthogonal = _make_deprecate(orthogonal_)
sparse = _make_deprecate(sparse_)

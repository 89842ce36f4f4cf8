"""Normalisation functions: batch, instance, layer, group, RMS and local-response norm."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..._ops.norm import NativeBatchNorm, NativeGroupNorm, NativeLayerNorm, RmsNorm
from ..._tensor import Tensor

__all__ = ["batch_norm", "instance_norm", "layer_norm", "group_norm", "rms_norm",
           "local_response_norm", "normalize"]  # fmt: skip


def _check_vec(t: Tensor | None, name: str, c: int) -> None:
    if t is not None and t.numel() != c:
        raise RuntimeError(f"{name} should contain {c} elements not {t.numel()}")


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    r"""Batch normalisation over every axis but the channel axis 1.

    In training the batch statistics normalise, and ``running_mean``/``running_var`` (if given)
    are updated in place with ``momentum`` (the variance unbiased); otherwise the running
    statistics normalise.
    """
    if training:
        size = input.shape
        n = int(np.prod(size)) // size[1] if input.ndim > 1 else 1
        if n == 1:
            raise ValueError(
                f"Expected more than 1 value per channel when training, got input size {size!r}"
            )
    c = input.shape[1] if input.ndim > 1 else 0
    _check_vec(running_mean, "running_mean", c)
    _check_vec(running_var, "running_var", c)
    _check_vec(weight, "weight", c)
    _check_vec(bias, "bias", c)
    if training and eps <= 0.0:
        raise ValueError(f"batch_norm eps must be positive during training, but got {eps}")
    if eps < 0.0:
        raise ValueError(f"batch_norm eps must be non-negative, but got {eps}")
    if not training:
        for t, name in ((running_mean, "running_mean"), (running_var, "running_var")):
            if t is None:
                raise RuntimeError(f"{name} must be defined in evaluation mode")
    return NativeBatchNorm.apply(input, weight, bias, running_mean=running_mean,
                                 running_var=running_var, training=training,
                                 momentum=0.0 if momentum is None else momentum, eps=eps)


def instance_norm(input: Tensor, running_mean: Tensor | None = None,
                  running_var: Tensor | None = None, weight: Tensor | None = None,
                  bias: Tensor | None = None, use_input_stats: bool = True, momentum: float = 0.1,
                  eps: float = 1e-5) -> Tensor:
    r"""Instance normalisation: each (sample, channel) plane normalised on its own."""
    if not use_input_stats:
        return batch_norm(input, running_mean, running_var, weight, bias, False, momentum, eps)
    if int(np.prod(input.shape[2:])) <= 1:
        raise ValueError(
            f"Expected more than 1 spatial element when training, got input size {input.shape!r}"
        )
    c = input.shape[1]
    y = NativeGroupNorm.apply(input, weight, bias, groups=c, eps=eps)
    if running_mean is not None and running_var is not None:
        # torch: running stats take the batch-average of the per-instance statistics
        a = input._array
        axes = tuple(range(2, a.ndim))
        n = int(np.prod(a.shape[2:]))
        mean = a.mean(axis=axes).mean(axis=0)
        var = (a.var(axis=axes) * (n / (n - 1))).mean(axis=0)
        for stat, v in ((running_mean, mean), (running_var, var)):
            s = stat._array
            s *= 1.0 - momentum
            s += (momentum * v).astype(s.dtype)
    return y.view(input.shape)  # torch: a batch norm over (1, N*C, ...) viewed back


def _check_shape(input: Tensor, shape: tuple[int, ...], star: str) -> None:
    if tuple(input.shape[input.ndim - len(shape):]) != shape or input.ndim < len(shape):
        want = star + ", ".join(str(s) for s in shape)
        raise RuntimeError(
            f"Given normalized_shape={list(shape)}, expected input with shape [*{want}], but got "
            f"input of size{list(input.shape)}"
        )


def _shape(normalized_shape: Any) -> tuple[int, ...]:
    if isinstance(normalized_shape, int):
        return (normalized_shape,)
    return tuple(int(s) for s in normalized_shape)


def layer_norm(input: Tensor, normalized_shape: Sequence[int], weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    r"""Layer normalisation over the trailing ``normalized_shape`` axes."""
    shape = _shape(normalized_shape)
    _check_shape(input, shape, ", ")
    for t in (weight, bias):
        if t is not None and tuple(t.shape) != shape:
            name = "weight" if t is weight else "bias"
            raise RuntimeError(
                f"Expected {name} to be of same shape as normalized_shape, but got {name} of "
                f"shape {list(t.shape)} and normalized_shape = {list(shape)}"
            )
    return NativeLayerNorm.apply(input, weight, bias, ndim_norm=len(shape), eps=eps)


def rms_norm(input: Tensor, normalized_shape: Sequence[int], weight: Tensor | None = None,
             eps: float | None = None) -> Tensor:
    r"""RMS normalisation: :math:`x / \sqrt{\mathrm{mean}(x^2) + \epsilon} \cdot w`."""
    shape = _shape(normalized_shape)
    _check_shape(input, shape, "")
    if eps is None:
        eps = float(np.finfo(input._array.dtype).eps)
    return RmsNorm.apply(input, weight, None, ndim_norm=len(shape), eps=eps)


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    r"""Group normalisation: channels split into ``num_groups``, each normalised per sample."""
    if input.ndim < 2:
        raise RuntimeError(
            f"Expected at least 2 dimensions for input tensor but received {input.ndim}"
        )
    c = input.shape[1]
    if c % num_groups:
        raise RuntimeError(
            "Expected number of channels in input to be divisible by num_groups, but got input "
            f"of shape {list(input.shape)} and num_groups={num_groups}"
        )
    for t in (weight, bias):
        if t is not None and (t.ndim != 1 or t.numel() != c):
            name = "weight" if t is weight else "bias"
            raise RuntimeError(
                f"Expected {name} to be a vector of size equal to the number of channels in "
                f"input, but got {name} of shape {list(t.shape)} and input of shape "
                f"{list(input.shape)}"
            )
    return NativeGroupNorm.apply(input, weight, bias, groups=num_groups, eps=eps)


def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75,
                        k: float = 1.0) -> Tensor:
    r"""Local response normalisation across channels (AlexNet's LRN)."""
    if input.ndim < 3:
        raise ValueError(
            f"Expected 3D or higher dimensionality input (got {input.ndim} dimensions)"
        )
    if input.numel() == 0:
        return input
    from .misc import pad  # noqa: PLC0415

    c = input.shape[1]
    sq = (input * input).transpose(1, -1)
    sq = pad(sq, (size // 2, (size - 1) // 2)).transpose(1, -1)
    div = sq.narrow(1, 0, c)
    for j in range(1, size):
        div = div + sq.narrow(1, j, c)
    div = (div * (alpha / size) + k).pow(beta)
    return input / div


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12,
              out: Tensor | None = None) -> Tensor:
    r"""Divide by the ``p``-norm along ``dim`` (at least ``eps``): :math:`x / \max(\|x\|_p, \epsilon)`."""  # noqa: E501
    denom = input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)
    res = input / denom
    if out is not None:
        out.copy_(res)
        return out
    return res

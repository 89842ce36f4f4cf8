"""Dropout functions: ``F.dropout``, the channel-wise ``dropout1d/2d/3d`` and the alpha variants."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ember._random import _gen
from ember._tensor import Tensor, _wrap

__all__ = ["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout",
           "feature_alpha_dropout"]  # fmt: skip

_SELU_ALPHA_PRIME = 1.7580993408473766  # -scale * alpha of SELU: its negative saturation value


def _check_p(p: float) -> None:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _keep_mask(x: Any, shape: tuple[int, ...], q: float) -> Any:
    """Bernoulli(q) draws as ``x``'s dtype, on ``x``'s device."""
    dt = x.dtype if x.dtype in (np.float32, np.float64) else np.float32
    if type(x) is np.ndarray:
        r = _gen(None).random(shape, dtype=dt)
    else:
        from ember._device import array_namespace  # noqa: PLC0415

        r = array_namespace(x).random.random(shape, dtype=dt)
    return (r < q).astype(x.dtype, copy=False)


def _dropout(input: Tensor, p: float, training: bool, inplace: bool, feature: bool, alpha: bool) -> Tensor:  # noqa: E501
    """torch's ``_dropout_impl``: one noise tensor (per channel when ``feature``), one multiply."""
    if p == 0 or not training or input.numel() == 0:
        return input
    x = input._array
    if p == 1:
        noise = _wrap(_zeros_like0(x))
        return input.mul_(noise) if inplace else input * noise
    if feature:
        if x.ndim < 2:
            raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
        shape = x.shape[:2] + (1,) * (x.ndim - 2)
    else:
        shape = x.shape
    noise = _keep_mask(x, shape, 1.0 - p)
    if not alpha:
        noise *= 1.0 / (1.0 - p)
        n = _wrap(noise)
        return input.mul_(n) if inplace else input * n
    a = 1.0 / np.sqrt((_SELU_ALPHA_PRIME**2 * p + 1) * (1 - p))
    b = _wrap(((noise - 1) * (_SELU_ALPHA_PRIME * a) + _SELU_ALPHA_PRIME * a * p).astype(x.dtype, copy=False))  # noqa: E501
    n = _wrap((noise * a).astype(x.dtype, copy=False))
    return input.mul_(n).add_(b) if inplace else input * n + b


def _zeros_like0(x: Any) -> Any:
    from ember._device import array_namespace  # noqa: PLC0415

    return array_namespace(x).zeros((), dtype=x.dtype)


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    r"""Zero each element with probability ``p`` and scale the rest by :math:`1/(1-p)`.

    Only in training mode (``training=True``); otherwise ``input`` comes back unchanged.
    See :class:`~ember.nn.Dropout`.
    """
    _check_p(p)
    return _dropout(input, p, training, inplace, feature=False, alpha=False)


def _batched(input: Tensor, batched: bool, inplace: bool, fn: Any) -> Tensor:
    if batched:
        return fn(input)
    x = input.unsqueeze_(0) if inplace else input.unsqueeze(0)
    out = fn(x)
    return out.squeeze_(0) if inplace else out.squeeze(0)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:  # noqa: E501
    r"""Zero whole channels of a ``(N, C, L)`` or ``(C, L)`` input with probability ``p``."""
    _check_p(p)
    if input.ndim not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {input.ndim}D input. Note that "
            "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial dimension, "
            "a channel dimension, and an optional batch dimension (i.e. 2D or 3D inputs)."
        )
    return _batched(input, input.ndim == 3, inplace,
                    lambda x: _dropout(x, p, training, inplace, feature=True, alpha=False))  # fmt: skip


def _warn_dims(name: str, ndim: int, ok: tuple[int, int], spatial: int) -> None:
    if ndim not in ok:
        warnings.warn(
            f"{name}: Received a {ndim}-D input to {name}, which is deprecated and will result in "
            "an error in a future release. To retain the behavior and silence this warning, "
            f"please use dropout instead. Note that {name} exists to provide channel-wise dropout "
            f"on inputs with {spatial} spatial dimensions, a channel dimension, and an optional "
            f"batch dimension (i.e. {ok[0]}D or {ok[1]}D inputs).",
            stacklevel=3,
        )


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:  # noqa: E501
    r"""Zero whole channels of a ``(N, C, H, W)`` input with probability ``p``."""
    _check_p(p)
    _warn_dims("dropout2d", input.ndim, (3, 4), 2)
    if input.ndim == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout "
            "behavior is desired - input is interpreted as shape (N, C, L), where C is the channel "
            "dim. This behavior will change in a future release to interpret the input as one "
            "without a batch dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise "
            "dropout behavior, please switch to using dropout1d instead.",
            stacklevel=2,
        )
    return _dropout(input, p, training, inplace, feature=True, alpha=False)


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:  # noqa: E501
    r"""Zero whole channels of a ``(N, C, D, H, W)`` or ``(C, D, H, W)`` input with probability ``p``."""  # noqa: E501
    _check_p(p)
    _warn_dims("dropout3d", input.ndim, (4, 5), 3)
    return _batched(input, input.ndim == 5, inplace,
                    lambda x: _dropout(x, p, training, inplace, feature=True, alpha=False))  # fmt: skip


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False) -> Tensor:  # noqa: E501
    r"""Dropout that keeps SELU's self-normalising mean and variance (dropped values saturate)."""
    _check_p(p)
    return _dropout(input, p, training, inplace, feature=False, alpha=True)


def feature_alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False) -> Tensor:  # noqa: E501
    r"""Channel-wise :func:`alpha_dropout`."""
    _check_p(p)
    return _dropout(input, p, training, inplace, feature=True, alpha=True)

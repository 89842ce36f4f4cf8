"""Gradient clipping: ``clip_grad_norm_``, ``clip_grad_value_``, ``get_total_norm``."""

from __future__ import annotations

import math
import types
import warnings
from typing import Any, Iterable

import numpy as np

from ember._device import array_namespace
from ember._tensor import Tensor, _wrap

__all__ = ["clip_grad_norm_", "clip_grad_norm", "clip_grad_value_", "get_total_norm",
           "clip_grads_with_norm_"]  # fmt: skip

_tensor_or_tensors = Tensor | Iterable[Tensor]


def _norm(a: Any, p: float) -> Any:
    """The ``p``-norm of one array, flattened (a 0-d array of ``a``'s dtype)."""
    xp = np if type(a) is np.ndarray else array_namespace(a)
    if p == 2.0:
        v = a.reshape(-1)
        return xp.sqrt(xp.dot(v, v)) if v.dtype.kind == "f" else xp.sqrt((v * v).sum())
    if p == math.inf:
        return xp.abs(a).max() if a.size else xp.zeros((), a.dtype)
    if p == -math.inf:
        return xp.abs(a).min() if a.size else xp.asarray(math.inf, a.dtype)
    if p == 0:
        return (a != 0).sum().astype(a.dtype)
    return (xp.abs(a) ** p).sum() ** (1.0 / p)


def get_total_norm(tensors: _tensor_or_tensors, norm_type: float = 2.0,
                   error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:  # fmt: skip
    r"""The ``norm_type``-norm of all ``tensors`` together, as if concatenated into one vector.

    Args:
        tensors (Iterable[Tensor] or Tensor): the tensors (usually gradients).
        norm_type (float): the norm's order; ``inf`` for the infinity norm. Default: 2.0.
        error_if_nonfinite (bool): raise if the total norm is nan or inf. Default: ``False``.
        foreach (bool): accepted for torch compatibility.

    Returns:
        Total norm of the tensors (a 0-d tensor).
    """
    tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    norm_type = float(norm_type)
    if len(tensors) == 0:
        return _wrap(np.asarray(0.0, dtype=np.float32))
    norms = [_norm(t._array, norm_type) for t in tensors]
    xp = np if type(tensors[0]._array) is np.ndarray else array_namespace(tensors[0]._array)
    dtype = np.result_type(*[n.dtype for n in norms])
    total = _norm(xp.stack([xp.asarray(n, dtype=dtype) for n in norms]), norm_type)
    if error_if_nonfinite and not bool(xp.isfinite(total)):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, "
            "so it cannot be clipped. To disable this error and scale the gradients by the "
            "non-finite norm anyway, set `error_if_nonfinite=False`"
        )
    return _wrap(xp.asarray(total, dtype=dtype))


def clip_grads_with_norm_(parameters: _tensor_or_tensors, max_norm: float, total_norm: Tensor,
                          foreach: bool | None = None) -> None:  # fmt: skip
    r"""Scale the gradients of ``parameters`` in place by ``min(1, max_norm / (total_norm + 1e-6))``.

    Args:
        parameters (Iterable[Tensor] or Tensor): tensors whose ``.grad`` is scaled.
        max_norm (float): the largest norm allowed.
        total_norm (Tensor): the total norm, as :func:`get_total_norm` returns it.
        foreach (bool): accepted for torch compatibility.
    """
    parameters = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    grads = [p.grad for p in parameters if p.grad is not None]
    max_norm = float(max_norm)
    if len(grads) == 0:
        return
    tn = total_norm._array
    coef = min(float(max_norm / (tn + tn.dtype.type(1e-6))), 1.0)
    if coef == 1.0:
        return  # perf: multiplying by one changes nothing
    for g in grads:
        a = g._array
        # perf: one in-place multiply per gradient, outside autograd
        a *= a.dtype.type(coef)
        g._bump()


def clip_grad_norm_(parameters: _tensor_or_tensors, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:  # fmt: skip
    r"""Clip the gradient norm of ``parameters`` (all gradients seen as one vector) to ``max_norm``.

    Gradients are modified in place.

    Args:
        parameters (Iterable[Tensor] or Tensor): tensors whose gradients are clipped.
        max_norm (float): the largest norm allowed.
        norm_type (float): the norm's order; ``inf`` for the infinity norm. Default: 2.0.
        error_if_nonfinite (bool): raise if the total norm is nan or inf. Default: ``False``.
        foreach (bool): accepted for torch compatibility.

    Returns:
        Total norm of the gradients before clipping (a 0-d tensor).
    """
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    else:
        is_generator = isinstance(parameters, types.GeneratorType)
        parameters = list(parameters)  # a generator would be exhausted by the first pass
        if is_generator and len(parameters) == 0:
            warnings.warn("`parameters` is an empty generator, no gradient clipping will occur.",
                          stacklevel=2)  # fmt: skip
    grads = [p.grad for p in parameters if p.grad is not None]
    total_norm = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total_norm, foreach)
    return total_norm


def clip_grad_norm(parameters: _tensor_or_tensors, max_norm: float, norm_type: float = 2.0,
                   error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:  # fmt: skip
    r"""Deprecated alias of :func:`clip_grad_norm_`."""
    warnings.warn(
        "`torch.nn.utils.clip_grad_norm` is now deprecated in favor of "
        "`torch.nn.utils.clip_grad_norm_`.",
        FutureWarning,
        stacklevel=2,
    )
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters: _tensor_or_tensors, clip_value: float, foreach: bool | None = None) -> None:  # noqa: E501
    r"""Clamp every gradient of ``parameters`` to ``[-clip_value, clip_value]``, in place.

    Args:
        parameters (Iterable[Tensor] or Tensor): tensors whose gradients are clipped.
        clip_value (float): the largest absolute value allowed.
        foreach (bool): accepted for torch compatibility.
    """
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    clip_value = float(clip_value)
    for p in parameters:
        g = p.grad
        if g is None:
            continue
        a = g._array
        if type(a) is np.ndarray:
            np.clip(a, -clip_value, clip_value, out=a)
        else:
            a.clip(-clip_value, clip_value, out=a)
        g._bump()

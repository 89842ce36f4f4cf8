"""Rebuilding tensors from storages: the ``torch._utils._rebuild_*`` functions pickles call.

A tensor in a checkpoint is ``_rebuild_tensor_v2(storage, offset, size, stride, requires_grad,
hooks)`` (``_v3`` adds a dtype, for byte storages). Each rebuild checks the geometry against its
storage before viewing it, so a hostile file can't reach outside the bytes it stored.
"""

from __future__ import annotations

import math
import pickle
from collections import OrderedDict
from typing import Any

import numpy as np

from .. import _dtype as D
from .._tensor import Size, Tensor, _wrap
from .storage import _np_dtype, _Storage


def _parameter_type() -> Any:
    global _PARAMETER
    if _PARAMETER is None:  # ember.nn imports ember; look it up on first use
        from ..nn import parameter  # noqa: PLC0415

        _PARAMETER = getattr(parameter, "Parameter", None)
    return _PARAMETER


_PARAMETER: Any = None


def _ints(x: Any, what: str) -> tuple[int, ...]:
    if type(x) not in (tuple, list, Size) or not all(type(v) is int and v >= 0 for v in x):
        raise pickle.UnpicklingError(f"tensor {what} must be a tuple of non-negative ints, got {x!r}")  # noqa: E501
    return tuple(x)


def _view(storage: Any, dt: Any, offset: Any, size: Any, stride: Any) -> Any:
    """The array ``as_strided(storage, size, stride, offset)``: a view, so shared storages stay shared."""  # noqa: E501
    if type(storage) is not _Storage:
        raise pickle.UnpicklingError(f"expected a storage, got {type(storage).__name__}")
    np_dt = _np_dtype(dt)
    size, stride = _ints(size, "size"), _ints(stride, "stride")
    if type(offset) is not int or offset < 0 or len(size) != len(stride) or len(size) > 64:
        raise pickle.UnpicklingError(f"invalid tensor geometry: offset {offset!r}, size {size}, stride {stride}")  # noqa: E501
    isz, data = np_dt.itemsize, storage.data
    numel = data.nbytes // isz
    need = 0 if 0 in size else offset + sum((n - 1) * s for n, s in zip(size, stride)) + 1
    if need > numel or offset > numel or math.prod(size) >= 2**62 or max(stride, default=0) >= 2**58:  # noqa: E501
        raise RuntimeError(
            f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset {offset}, and "
            f"itemsize {isz} requiring a storage size of {need * isz} are out of bounds for "
            f"storage of size {numel * isz}"
        )
    if storage.swap and storage.swap[0]:  # a big-endian file's untyped storage, seen first here
        data[: numel * isz].view(np_dt).byteswap(inplace=True)
        storage.swap[0] = False
    strides = tuple(s * isz for s in stride)
    if isinstance(data, np.ndarray):
        return np.ndarray(size, np_dt, buffer=data, offset=offset * isz, strides=strides)
    return type(data)(size, np_dt, memptr=data.data + offset * isz, strides=strides)  # CuPy


def _make_tensor(array: Any, requires_grad: Any) -> Tensor:
    if type(requires_grad) is not bool:
        raise pickle.UnpicklingError(f"requires_grad must be a bool, got {requires_grad!r}")
    t = _wrap(array)
    if requires_grad:
        if not (t.dtype.is_floating_point or t.dtype.is_complex):
            raise RuntimeError("only Tensors of floating point and complex dtype can require gradients")  # noqa: E501
        t._rg = True
    return t


def _rebuild_tensor(storage: Any, storage_offset: Any, size: Any, stride: Any) -> Tensor:
    return _rebuild_tensor_v2(storage, storage_offset, size, stride, False, OrderedDict())


def _rebuild_tensor_v2(storage: Any, storage_offset: Any, size: Any, stride: Any,
                       requires_grad: Any, backward_hooks: Any, metadata: Any = None) -> Tensor:  # fmt: skip  # noqa: E501
    """A tensor viewing a typed storage (what ``torch.save`` writes for most dtypes)."""
    dt = storage.dtype if type(storage) is _Storage else None
    array = _view(storage, dt or D.uint8, storage_offset, size, stride)
    return _make_tensor(array, requires_grad)


def _rebuild_tensor_v3(storage: Any, storage_offset: Any, size: Any, stride: Any,
                       requires_grad: Any, backward_hooks: Any, dtype: Any,
                       metadata: Any = None) -> Tensor:  # fmt: skip
    """A tensor of ``dtype`` viewing an untyped (byte) storage: uint16/32/64 and newer dtypes."""
    return _make_tensor(_view(storage, dtype, storage_offset, size, stride), requires_grad)


def _rebuild_parameter(data: Any, requires_grad: Any, backward_hooks: Any) -> Tensor:
    if not isinstance(data, Tensor) or type(requires_grad) is not bool:
        raise pickle.UnpicklingError("_rebuild_parameter expects (tensor, bool, hooks)")
    return _parameter_type()(data, requires_grad)


def _rebuild_parameter_with_state(data: Any, requires_grad: Any, backward_hooks: Any,
                                  state: Any) -> Tensor:  # fmt: skip
    param = _rebuild_parameter(data, requires_grad, backward_hooks)
    _set_state(param, state)
    return param


def _rebuild_from_type_v2(func: Any, new_type: Any, args: Any, state: Any) -> Tensor:
    """A tensor subclass: ember keeps Tensor and Parameter, the classes it has."""
    from .allowlist import _callables  # noqa: PLC0415 - allowlist imports this module

    param = _parameter_type()
    if id(func) not in _callables() or type(args) is not tuple:
        raise pickle.UnpicklingError(f"_rebuild_from_type_v2 can't call {func!r:.80}")
    t = func(*args)
    if not isinstance(t, Tensor) or (new_type is not Tensor and new_type is not param):
        raise RuntimeError(f"ember can't rebuild tensors of type {new_type!r:.80}")
    if new_type is param and type(t) is not param:
        t = param(t, t.requires_grad)
    _set_state(t, state)
    return t


def _set_state(t: Tensor, state: Any) -> None:
    """Extra Python attributes of a Parameter (torch's ``_set_obj_state``); plain tensors have none."""  # noqa: E501
    if state is None or (type(state) is tuple and not state):
        return
    if type(state) is tuple and len(state) == 2:  # (dict, slots): ember has no slots to set
        no_slots = state[1] is None or (type(state[1]) is dict and not state[1])
        state = state[0] if no_slots else state
    if type(state) is not dict or not all(type(k) is str for k in state):
        raise pickle.UnpicklingError(f"a tensor's state must be a dict of attributes, got {state!r:.80}")  # noqa: E501
    if state:
        if not hasattr(t, "__dict__"):
            raise RuntimeError(f"ember can't restore Python attributes on a {type(t).__name__}")
        if any(hasattr(type(t), k) for k in state):  # a file may not replace methods or fields
            raise pickle.UnpicklingError(f"a tensor's state may not set {sorted(state)!r:.80}")
        t.__dict__.update(state)

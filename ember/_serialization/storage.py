"""Storages: torch's storage classes, a storage's bytes, and where ``map_location`` puts them.

A checkpoint stores each tensor's memory once, as a storage: raw bytes plus an element type named
by a legacy class (``torch.FloatStorage``) or counted in bytes (``torch.UntypedStorage``). Loading
reads each storage's bytes, hands them to ``map_location`` (:func:`_restore_fn`), and the rebuild
functions view them as tensors.
"""

from __future__ import annotations

import pickle
from typing import Any, Callable, Union

import numpy as np

from .. import _dtype as D
from .._device import cuda_available, device, to_device
from .._tensor import Tensor, _wrap

# torch's legacy storage classes. int8 is Char and uint8 is Byte; uint16/32/64 have no class and
# go through `_rebuild_tensor_v3` with an untyped (byte) storage.
_STORAGE_DTYPES = {"DoubleStorage": "float64", "FloatStorage": "float32", "HalfStorage": "float16",
                   "BFloat16Storage": "bfloat16", "LongStorage": "int64", "IntStorage": "int32",
                   "ShortStorage": "int16", "CharStorage": "int8", "ByteStorage": "uint8",
                   "BoolStorage": "bool", "ComplexFloatStorage": "complex64",
                   "ComplexDoubleStorage": "complex128"}  # fmt: skip
_STORAGE_OF = {v: k for k, v in _STORAGE_DTYPES.items()}


class _StorageType:
    """What ``GLOBAL torch.FloatStorage`` (etc.) loads as: the element dtype of a storage."""

    __slots__ = ("dtype", "itemsize")

    def __init__(self, dtype: D.dtype | None) -> None:
        self.dtype = dtype  # None: torch.storage.UntypedStorage, counted in bytes
        self.itemsize = 1 if dtype is None else dtype.itemsize


class _Storage:
    """One storage of a checkpoint: its raw bytes (uint8, on the target device) and dtype."""

    __slots__ = ("data", "dtype", "swap")

    def __init__(self, data: Any, dtype: D.dtype | None, swap: list[bool] | None = None) -> None:
        self.data = data
        self.dtype = dtype
        self.swap = swap  # [True] while a big-endian untyped storage still needs its byteswap


def _np_dtype(dt: Any) -> np.dtype:
    if not isinstance(dt, D.dtype):
        raise pickle.UnpicklingError(f"expected a dtype, got {type(dt).__name__}")
    if dt.np is None:
        raise RuntimeError(f"loading {dt} tensors needs the package ml_dtypes (pip install ml_dtypes)")  # noqa: E501
    return dt.np


# ---------------------------------------------------------------------------------------------
# map_location: where each storage goes
# ---------------------------------------------------------------------------------------------
Restore = Callable[[np.ndarray, str, Union[D.dtype, None]], Any]


def _restore_to(data: Any, location: str) -> Any:
    """torch's default_restore_location: ``cpu`` or ``cuda[:N]`` (CuPy)."""
    try:
        dev = device(location)
    except (RuntimeError, TypeError):
        raise RuntimeError(f"don't know how to restore data location of a storage tagged with {location!r}") from None  # noqa: E501
    if dev.type == "cpu":
        return to_device(data, dev)
    if dev.type != "cuda":
        raise RuntimeError(f"ember can't restore storages to device '{location}'")
    if not cuda_available():
        raise RuntimeError(
            "Attempting to deserialize object on a CUDA device but ember.cuda.is_available() is "
            "False. If you are running on a CPU-only machine, please use ember.load with "
            "map_location=ember.device('cpu') to map your storages to the CPU."
        )
    return to_device(data, dev)


def _restore_fn(map_location: Any) -> Restore:
    """``map_location`` (None, str, device, dict or callable) as ``restore(bytes, location, dtype)``."""  # noqa: E501
    if map_location is None:
        return lambda data, loc, dt: _restore_to(data, loc)
    if isinstance(map_location, str | bytes | device):
        target = map_location.decode() if isinstance(map_location, bytes) else str(map_location)
        return lambda data, loc, dt: _restore_to(data, target)
    if isinstance(map_location, dict):
        table = {str(k): str(v) for k, v in map_location.items()}
        return lambda data, loc, dt: _restore_to(data, table.get(loc, loc))
    if not callable(map_location):
        raise TypeError(f"map_location must be None, a str, a device, a dict or a callable, got {type(map_location).__name__}")  # noqa: E501

    def restore(data: np.ndarray, loc: str, dt: D.dtype | None) -> Any:
        np_dt = dt.np if dt is not None and dt.np is not None else np.dtype(np.uint8)
        out = map_location(_wrap(data.view(np_dt)), loc)
        if out is None:
            return _restore_to(data, loc)
        if not isinstance(out, Tensor) or out.nbytes != data.nbytes:
            raise RuntimeError("map_location must return None or the storage as a tensor of the same size")  # noqa: E501
        return out._array.reshape(-1).view(np.uint8)

    restore.calls_user = True  # type: ignore[attr-defined]
    return restore


def _location(x: Any) -> str:
    if type(x) is bytes:
        x = x.decode("ascii", "replace")
    if type(x) is not str:
        raise pickle.UnpicklingError(f"storage location must be a str, got {x!r:.80}")
    return x

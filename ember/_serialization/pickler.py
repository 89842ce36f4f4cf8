"""Writing a checkpoint's pickle: protocol 2, tensors as persistent storage records.

Every tensor becomes ``_rebuild_tensor_v2`` (or ``_v3``) over a storage record; tensors that view
one buffer (tied weights, ``x`` and ``x.t()``) share one record, so they load back sharing memory.
dtypes, devices and ``Size`` are written under torch's names, so torch reads the file.
"""

from __future__ import annotations

import functools
import math
import pickle
from collections import OrderedDict
from typing import IO, Any

import numpy as np

from .. import _dtype as D
from .._device import device
from .._tensor import Size, Tensor
from .rebuild import _parameter_type
from .storage import _STORAGE_OF

DEFAULT_PROTOCOL = 2  # the only protocol torch's weights-only unpickler reads


class _Global:
    """A global named by its torch path, written as a GLOBAL opcode without importing it."""

    __slots__ = ("module", "name")

    def __init__(self, module: str, name: str) -> None:
        self.module, self.name = module, name

    def __call__(self, *args: Any) -> Any:  # the pickler checks REDUCE targets are callable
        raise TypeError(f"{self.module}.{self.name} is only a name in a pickle")


@functools.cache
def _g(module: str, name: str) -> _Global:
    return _Global(module, name)  # one object per name, so the pickle memo writes it once


def _ptr(a: Any) -> int:
    return a.__array_interface__["data"][0] if isinstance(a, np.ndarray) else a.data.ptr


def _root(a: Any) -> Any:
    """The array that owns ``a``'s memory: the last array down its ``.base`` chain."""
    root, b = a, a.base
    while b is not None:
        if isinstance(b, np.ndarray) or type(b) is type(a):
            root = b
        b = getattr(b, "base", None)
    return root


def _raw_bytes(root: Any) -> np.ndarray:
    """A contiguous array's memory as a flat uint8 array on the host (no copy on the CPU)."""
    flat = (root if root.flags.c_contiguous else root.T).reshape(-1).view(np.uint8)
    return flat if isinstance(flat, np.ndarray) else flat.get()


class _StorageWriter:
    """One storage record per buffer that saved tensors view, keys ``'0'..`` in first-use order."""

    def __init__(self) -> None:
        self.keys: dict[tuple[int, Any], str] = {}
        self.records: list[np.ndarray] = []
        self.roots: list[Any] = []  # keeps each root alive, so its id stays unique

    def add(self, a: Any) -> tuple[str, int, int, tuple[int, ...], tuple[int, ...]]:
        """(key, storage numel, offset, size, stride) of array ``a``, all counted in elements."""
        if isinstance(a, np.generic):
            a = np.asarray(a)
        if not a.dtype.isnative:
            a = a.astype(a.dtype.newbyteorder("="))
        placed = _placement(a, root := _root(a))
        if placed is None:  # negative/broadcast strides or an odd base: save a compact copy
            a = root = a.copy(order="C")
            placed = _placement(a, root)
        key = self.keys.get((id(root), a.dtype))
        if key is None:
            key = self.keys[(id(root), a.dtype)] = str(len(self.records))
            self.records.append(_raw_bytes(root))
            self.roots.append(root)
        return key, root.nbytes // a.itemsize, placed[0], tuple(a.shape), placed[1]


def _placement(a: Any, root: Any) -> tuple[int, tuple[int, ...]] | None:
    """(offset, stride) in elements of ``a`` inside ``root``'s memory, or None if it has none."""
    isz = a.itemsize
    contiguous = tuple(math.prod(a.shape[i + 1 :]) for i in range(a.ndim))
    if root is a and a.flags.c_contiguous:  # perf: the common case, an array owning its memory
        return 0, contiguous
    if not (root.flags.c_contiguous or root.flags.f_contiguous) or root.nbytes % isz:
        return None
    delta = _ptr(a) - _ptr(root)
    if a.size == 0:  # NumPy gives empty arrays arbitrary strides; torch's are contiguous
        return min(max(delta, 0) // isz, root.nbytes // isz), contiguous
    # torch never has negative strides; size-1 dims get torch's contiguous stride.
    stride = tuple(c if n <= 1 else s // isz for n, s, c in zip(a.shape, a.strides, contiguous))
    if delta < 0 or delta % isz or any(
        n > 1 and (s <= 0 or s % isz) for n, s in zip(a.shape, a.strides)
    ):
        return None
    offset, numel = delta // isz, root.nbytes // isz
    need = 0 if a.size == 0 else offset + sum((n - 1) * s for n, s in zip(a.shape, stride)) + 1
    return (offset, stride) if need <= numel and offset <= numel else None


_ATOMIC = frozenset({str, int, float, bool, type(None), bytes, tuple, list, dict})
_TUPLE_OPS = (pickle.EMPTY_TUPLE, pickle.TUPLE1, pickle.TUPLE2, pickle.TUPLE3)


# the pure-Python pickler, whose save/write/memoize we extend (Any: its stubs lack them)
_PyPickler: Any = pickle._Pickler


class _Pickler(_PyPickler):
    """Python's protocol-2 pickler, writing tensors, dtypes and devices under torch's names."""

    dispatch = _PyPickler.dispatch.copy()

    def __init__(self, file: IO[bytes], storages: _StorageWriter) -> None:
        super().__init__(file, protocol=DEFAULT_PROTOCOL)
        self.storages = storages

    def save(self, obj: Any, save_persistent_id: bool = True) -> None:
        if type(obj) in _ATOMIC or not isinstance(obj, Tensor):
            return super().save(obj, save_persistent_id)
        memo = self.memo.get(id(obj))  # the same tensor twice: a BINGET, as in torch's files
        if memo is not None:
            return self.write(self.get(memo[0]))
        param = _parameter_type()
        if param is not None and isinstance(obj, param):
            self._save_parameter(obj)
        else:
            self._save_tensor(obj, obj.requires_grad)
        self.memoize(obj)

    def _save_parameter(self, p: Tensor) -> None:
        """torch's Parameter pickle: ``_rebuild_parameter(data, requires_grad, OrderedDict())``."""
        state = getattr(p, "__dict__", None)  # extra Python attributes, as torch keeps them
        fn = "_rebuild_parameter_with_state" if state else "_rebuild_parameter"
        self.save(_g("torch._utils", fn))
        self.write(pickle.MARK)
        self._save_tensor(p, False)
        self.write(pickle.NEWTRUE if p.requires_grad else pickle.NEWFALSE)
        self._save_empty_ordered_dict()
        if state:
            self.save(state)
        self.write(pickle.TUPLE + pickle.REDUCE)

    def _save_tensor(self, t: Tensor, requires_grad: bool) -> None:
        """``_rebuild_tensor_v2(storage, offset, size, stride, requires_grad, OrderedDict())``.

        The storage is a persistent id ``('storage', torch.FloatStorage, key, location, numel)``.
        dtypes without a storage class use ``_rebuild_tensor_v3`` with byte storage and a dtype.
        """
        # perf: written opcode by opcode; the generic save() path costs several times more
        key, numel, offset, size, stride = self.storages.add(t._array)
        name = t.dtype.name
        typed = name in _STORAGE_OF
        self.save(_g("torch._utils", "_rebuild_tensor_v2" if typed else "_rebuild_tensor_v3"))
        self.write(pickle.MARK + pickle.MARK)
        self.save("storage")
        self.save(_g("torch", _STORAGE_OF[name]) if typed else _g("torch.storage", "UntypedStorage"))  # noqa: E501
        self.save(key)
        self.save(str(t.device))
        self.save_long(numel if typed else numel * t.itemsize)
        self.write(pickle.TUPLE + pickle.BINPERSID)
        self.save_long(offset)
        self._save_ints(size)
        self._save_ints(stride)
        self.write(pickle.NEWTRUE if requires_grad else pickle.NEWFALSE)
        self._save_empty_ordered_dict()  # backward hooks
        if not typed:
            self.save(_g("torch", name))
        self.write(pickle.TUPLE + pickle.REDUCE)

    def _save_ints(self, ints: tuple[int, ...]) -> None:
        if len(ints) > 3:
            self.write(pickle.MARK)
        for n in ints:
            self.save_long(n)
        self.write(_TUPLE_OPS[len(ints)] if len(ints) <= 3 else pickle.TUPLE)

    def _save_empty_ordered_dict(self) -> None:
        self.save(OrderedDict)
        self.write(pickle.EMPTY_TUPLE + pickle.REDUCE)

    def save_global_name(self, obj: _Global) -> None:
        self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode())
        self.memoize(obj)

    def save_dtype(self, obj: D.dtype) -> None:
        self.save(_g("torch", obj.name))

    def save_device(self, obj: device) -> None:
        args = (obj.type,) if obj.index is None else (obj.type, obj.index)
        self.save_reduce(_g("torch", "device"), args, obj=obj)

    def save_size(self, obj: Size) -> None:
        self.save_reduce(_g("torch", "Size"), (tuple(obj),), obj=obj)

    dispatch[_Global] = save_global_name
    dispatch[D.dtype] = save_dtype
    dispatch[device] = save_device
    dispatch[Size] = save_size

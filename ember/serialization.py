"""``save`` and ``load`` in PyTorch's checkpoint formats: ``.pt`` (zip and legacy), safetensors.

:func:`save` writes torch's zip format (pickle protocol 2, one 64-byte aligned record per storage,
storages shared between views written once), so ``torch.load(f, weights_only=True)`` reads it, with
``mmap=True`` too. :func:`load` reads what ``torch.save`` writes (the zip format and the pre-1.6
legacy format) and what :func:`save` writes, plus ``.safetensors`` files as torch 2.13 does.

By default :func:`load` runs a weights-only unpickler: only protocol-2 opcodes, and only the
globals torch allows (tensor rebuild functions, storages, dtypes, ``OrderedDict``, ...) plus those
registered with :func:`add_safe_globals`. Nothing a file names outside that list is ever imported
or called.

Errors. A malformed or hostile file raises one of two exception types, never a crash inside NumPy
and never a half-built result:

* :class:`pickle.UnpicklingError`: the pickle (``data.pkl``) is truncated or malformed, uses an
  opcode outside the weights-only set, names a global that is not allowed (the message names it),
  or hands a rebuild function arguments of the wrong kind. torch raises this type for these too.
* :class:`RuntimeError`: the container is wrong (not a zip or legacy checkpoint, a missing or
  corrupt record, a CRC mismatch, an unsupported ``version``, a storage whose size disagrees with
  its pickle entry), a tensor's sizes, strides and offset reach outside its storage (torch's
  ``setStorage ... out of bounds``), or the file needs something ember lacks (quantized or sparse
  tensors, float8 dtypes, bfloat16 without ``ml_dtypes``, TorchScript, CUDA without CuPy).
  Malformed safetensors files raise ``ember.utils.safetensors.SafetensorError``, a RuntimeError.

Wrong argument types (``map_location=3``) raise TypeError and missing files FileNotFoundError, as
in torch.
"""

from __future__ import annotations

import _compat_pickle
import contextlib
import functools
import io
import math
import mmap as _mmap
import os
import pickle
import struct
import sys
import zipfile
import zlib
from collections import Counter, OrderedDict
from concurrent.futures import ThreadPoolExecutor
from typing import IO, Any, Callable, Iterator, Union

import numpy as np

from . import _dtype as D
from ._device import cuda_available, device, to_device
from ._tensor import Size, Tensor, _wrap

__all__ = ["save", "load", "add_safe_globals", "safe_globals", "get_safe_globals",
           "clear_safe_globals", "get_unsafe_globals_in_checkpoint",
           "DEFAULT_PROTOCOL"]  # fmt: skip

FileLike = Union[str, os.PathLike, IO[bytes]]
DEFAULT_PROTOCOL = 2  # the only protocol torch's weights-only unpickler reads
MAGIC_NUMBER = 0x1950A86A20F9469CFC6C  # first pickle of a legacy (pre-1.6) checkpoint
PROTOCOL_VERSION = 1001
STORAGE_ALIGNMENT = 64
_MAX_VERSION = 10  # torch 2.13 reads archive versions 1..10

# torch's legacy storage classes. int8 is Char and uint8 is Byte; uint16/32/64 have no class and
# go through `_rebuild_tensor_v3` with an untyped (byte) storage.
_STORAGE_DTYPES = {"DoubleStorage": "float64", "FloatStorage": "float32", "HalfStorage": "float16",
                   "BFloat16Storage": "bfloat16", "LongStorage": "int64", "IntStorage": "int32",
                   "ShortStorage": "int16", "CharStorage": "int8", "ByteStorage": "uint8",
                   "BoolStorage": "bool", "ComplexFloatStorage": "complex64",
                   "ComplexDoubleStorage": "complex128"}  # fmt: skip
_STORAGE_OF = {v: k for k, v in _STORAGE_DTYPES.items()}
# torch dtypes ember has no array type for: loading a file that names one is a RuntimeError.
_MISSING_DTYPES = ("complex32", "chalf", "float8_e4m3fn", "float8_e4m3fnuz", "float8_e5m2",
                   "float8_e5m2fnuz", "float8_e8m0fnu", "float4_e2m1fn_x2", "qint8", "quint8",
                   "qint32", "quint4x2", "quint2x4", "bits1x8", "bits2x4", "bits4x2", "bits8",
                   "bits16", *(f"uint{i}" for i in range(1, 8)),
                   *(f"int{i}" for i in range(1, 8)))  # fmt: skip
_UNSUPPORTED_REBUILDS = {"_rebuild_qtensor": "quantized tensors",
                         "_rebuild_sparse_tensor": "sparse tensors",
                         "_rebuild_sparse_csr": "sparse tensors",
                         "_rebuild_nested_tensor": "nested tensors",
                         "_rebuild_meta_tensor_no_storage": "meta tensors",
                         "_rebuild_wrapper_subclass": "tensor wrapper subclasses",
                         "_rebuild_device_tensor_from_numpy": "tensors of non-CPU/CUDA devices",
                         "_rebuild_device_tensor_from_cpu_tensor": "tensors of non-CPU/CUDA devices"}  # fmt: skip  # noqa: E501
_BLOCKED_MODULES = ("sys", "os", "posix", "nt")

UNSAFE_MESSAGE = (
    "Re-running `ember.load` with `weights_only` set to `False` will likely succeed, but it can "
    "result in arbitrary code execution. Do it only if you got the file from a trusted source."
)


# ---------------------------------------------------------------------------------------------
# Allow-list: torch's weights-only globals, mapped onto ember, plus the user's safe globals
# ---------------------------------------------------------------------------------------------
_user_globals: list[Any] = []


def add_safe_globals(safe_globals: list[Callable | tuple[Callable, str]]) -> None:
    r"""Allow ``weights_only`` loading to use these globals (classes or functions).

    Args:
        safe_globals: objects, or ``(object, "module.name")`` pairs when the object is pickled
            under another name than ``obj.__module__ + "." + obj.__qualname__``.

    Examples::

        >>> import ember
        >>> class MyConfig:
        ...     pass
        >>> ember.serialization.add_safe_globals([MyConfig])
        >>> MyConfig in ember.serialization.get_safe_globals()
        True
        >>> ember.serialization.clear_safe_globals()
    """
    for g in safe_globals:
        if g not in _user_globals:
            _user_globals.append(g)


def get_safe_globals() -> list[Callable | tuple[Callable, str]]:
    """The globals added with :func:`add_safe_globals` (and active :class:`safe_globals`)."""
    return list(_user_globals)


def clear_safe_globals() -> None:
    """Forget every global added with :func:`add_safe_globals`."""
    _user_globals.clear()


class safe_globals:
    r"""Context manager: allow these globals for ``weights_only`` loading inside the block.

    Examples::

        >>> import collections, ember
        >>> with ember.serialization.safe_globals([collections.namedtuple]):
        ...     collections.namedtuple in ember.serialization.get_safe_globals()
        True
    """

    def __init__(self, safe_globals: list[Callable | tuple[Callable, str]]) -> None:
        self.safe_globals = safe_globals

    def __enter__(self) -> None:
        self._added = [g for g in self.safe_globals if g not in _user_globals]
        add_safe_globals(self._added)

    def __exit__(self, *exc: object) -> None:
        for g in self._added:
            with contextlib.suppress(ValueError):
                _user_globals.remove(g)


def _user_allowed() -> dict[str, Any]:
    out = {}
    for g in _user_globals:
        if isinstance(g, tuple):
            out[g[1]] = g[0]
        else:
            out[f"{g.__module__}.{g.__qualname__}"] = g
    return out


class _StorageType:
    """What ``GLOBAL torch.FloatStorage`` (etc.) loads as: the element dtype of a storage."""

    __slots__ = ("dtype", "itemsize")

    def __init__(self, dtype: D.dtype | None) -> None:
        self.dtype = dtype  # None: torch.storage.UntypedStorage, counted in bytes
        self.itemsize = 1 if dtype is None else dtype.itemsize


class _Unsupported:
    """An allowed torch global that ember cannot build; loading it raises RuntimeError."""

    __slots__ = ("what",)

    def __init__(self, what: str) -> None:
        self.what = what


@functools.cache
def _torch_globals() -> dict[str, Any]:
    """torch's weights-only allow-list (2.13), each name mapped to ember's equivalent."""
    g: dict[str, Any] = {
        "collections.OrderedDict": OrderedDict, "collections.Counter": Counter,
        "torch.nn.parameter.Parameter": _parameter_type(), "torch.Tensor": Tensor,
        "torch.Size": Size,
        "torch.device": device, "torch.serialization._get_layout": _get_layout,
        "_codecs.encode": _encode, "builtins.bytearray": _bytearray, "builtins.set": set,
        "builtins.complex": complex,
        "torch._utils._rebuild_tensor": _rebuild_tensor,
        "torch._utils._rebuild_tensor_v2": _rebuild_tensor_v2,
        "torch._utils._rebuild_tensor_v3": _rebuild_tensor_v3,
        "torch._utils._rebuild_parameter": _rebuild_parameter,
        "torch._utils._rebuild_parameter_with_state": _rebuild_parameter_with_state,
        "torch._tensor._rebuild_from_type_v2": _rebuild_from_type_v2,
        "torch.storage.UntypedStorage": _StorageType(None),
        "torch.UntypedStorage": _StorageType(None),
    }  # fmt: skip
    for fn, what in _UNSUPPORTED_REBUILDS.items():
        g[f"torch._utils.{fn}"] = _Unsupported(what)
    for cls, name in _STORAGE_DTYPES.items():
        g[f"torch.{cls}"] = g[f"torch.cuda.{cls}"] = _StorageType(D.BY_NAME[name])
    for cls in ("QInt8Storage", "QUInt8Storage", "QInt32Storage", "QUInt4x2Storage",
                "QUInt2x4Storage"):  # fmt: skip
        g[f"torch.{cls}"] = _Unsupported("quantized tensors")
    for name, dt in D.BY_NAME.items():
        g[f"torch.{name}"] = dt
    for name in _MISSING_DTYPES:
        g[f"torch.{name}"] = _Unsupported(f"the dtype torch.{name}")
    return g


@functools.cache
def _callables() -> frozenset[int]:
    """ids of the allowed globals that REDUCE may call (not torch.Tensor, Parameter or dtypes)."""
    objs = [v for v in _torch_globals().values() if callable(v) and not isinstance(v, type)]
    return frozenset(id(v) for v in [*objs, OrderedDict, Counter, Size, device, set, complex])


def _is_user_allowed(obj: Any) -> bool:
    return any(obj is v for v in _user_allowed().values())  # identity: tensors overload ==


def _parameter_type() -> Any:
    global _PARAMETER
    if _PARAMETER is None:  # ember.nn imports ember; look it up on first use
        from .nn import parameter  # noqa: PLC0415

        _PARAMETER = getattr(parameter, "Parameter", None)
    return _PARAMETER


_PARAMETER: Any = None


def _resolve_global(module: str, name: str, weights_only: bool) -> Any:
    """The object a GLOBAL names: allow-listed for weights_only, else any importable one."""
    full = f"{module}.{name}"
    obj = _torch_globals().get(full, _resolve_global)
    if obj is _resolve_global and weights_only:
        if module in _BLOCKED_MODULES:
            raise pickle.UnpicklingError(
                f"Trying to load unsupported GLOBAL {full} whose module {module} is blocked."
            )
        obj = _user_allowed().get(full, _resolve_global)
        if obj is _resolve_global:
            shown = full[9:] if module == "builtins" else full
            raise pickle.UnpicklingError(
                f"Unsupported global: GLOBAL {shown} was not an allowed global by default. Please "
                f"use `ember.serialization.add_safe_globals([{shown}])` or the "
                f"`ember.serialization.safe_globals([{shown}])` context manager to allowlist "
                "this global if you trust this class/function."
            )
    if isinstance(obj, _Unsupported):
        raise RuntimeError(f"ember can't load {full}: {obj.what} are not supported by ember")
    if obj is _resolve_global:  # weights_only=False: torch's classes map onto ember's
        return _ember_equivalent(module, name) if module.split(".")[0] == "torch" else None
    return obj


def _ember_equivalent(module: str, name: str) -> Any:
    import importlib  # noqa: PLC0415

    try:
        return getattr(importlib.import_module("ember" + module[5:]), name)
    except (ImportError, AttributeError):
        raise pickle.UnpicklingError(f"ember has no equivalent of {module}.{name}") from None


def _get_layout(name: str) -> Any:
    import ember  # noqa: PLC0415

    if name not in ("torch.strided", "torch.sparse_coo"):
        raise RuntimeError(f"ember can't load the layout {name!r}")
    return getattr(ember, name[6:])


def _encode(obj: str, encoding: str = "utf-8", errors: str = "strict") -> bytes:
    """``_codecs.encode``, which protocol 2 uses for ``bytes``; text encodings only."""
    if type(obj) is not str or encoding not in ("latin1", "latin-1", "utf-8", "utf8", "ascii"):
        raise pickle.UnpicklingError(f"_codecs.encode only encodes str as text, got {encoding!r}")
    return obj.encode(encoding, errors)


def _bytearray(*args: Any) -> bytearray:
    if args and type(args[0]) is int:  # bytearray(n) would allocate n bytes the file never had
        raise pickle.UnpicklingError("bytearray(int) is not allowed in weights_only loading")
    return bytearray(*args)


# ---------------------------------------------------------------------------------------------
# Rebuilding tensors from storages (the functions torch's pickles call)
# ---------------------------------------------------------------------------------------------
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


# ---------------------------------------------------------------------------------------------
# Weights-only unpickler: torch's protocol-2 opcode subset, run over bytes
# ---------------------------------------------------------------------------------------------
_OP_ARG_BYTES = {b"N"[0]: 0, 0x88: 0, 0x89: 0, b")"[0]: 0, b"]"[0]: 0, b"}"[0]: 0, 0x8F: 0,
                 b"("[0]: 0, b"t"[0]: 0, 0x85: 0, 0x86: 0, 0x87: 0, b"a"[0]: 0, b"e"[0]: 0,
                 b"s"[0]: 0, b"u"[0]: 0, b"R"[0]: 0, b"b"[0]: 0, 0x81: 0, b"Q"[0]: 0,
                 b"J"[0]: 4, b"K"[0]: 1, b"M"[0]: 2, b"G"[0]: 8, b"h"[0]: 1, b"j"[0]: 4,
                 b"q"[0]: 1, b"r"[0]: 4, 0x80: 1}  # fmt: skip
_STOP, _GLOBAL, _BINUNICODE, _SHORT_BINSTRING, _LONG1 = 0x2E, 0x63, 0x58, 0x55, 0x8A


class _WeightsOnlyUnpickler:
    """Runs one pickle from ``data[pos:]`` with torch's weights-only rules; ``load`` returns it."""

    def __init__(self, data: bytes, pos: int, persistent_load: Callable[[Any], Any] | None) -> None:  # noqa: E501
        self.data, self.pos, self.persistent_load = data, pos, persistent_load

    def load(self) -> Any:
        try:
            return self._run()
        except pickle.UnpicklingError as e:
            raise pickle.UnpicklingError(f"Weights only load failed. {e}\n{UNSAFE_MESSAGE}") from None  # noqa: E501
        except RecursionError as e:
            raise pickle.UnpicklingError(f"Weights only load failed: pickle nests too deeply ({e})") from None  # noqa: E501
        except RuntimeError:
            raise
        except (IndexError, KeyError, TypeError, ValueError, AttributeError, OverflowError,
                struct.error) as e:  # fmt: skip
            raise pickle.UnpicklingError(
                f"Weights only load failed: invalid pickle data near byte {self.pos} "
                f"({type(e).__name__}: {e})"
            ) from None

    def _take(self, n: int) -> bytes:
        end = self.pos + n
        if end > len(self.data):
            raise pickle.UnpicklingError("pickle data was truncated")
        out = self.data[self.pos : end]
        self.pos = end
        return out

    def _line(self) -> str:
        end = self.data.find(b"\n", self.pos)
        if end < 0:
            raise pickle.UnpicklingError("pickle data was truncated")
        out = self.data[self.pos : end].decode("utf-8")
        self.pos = end + 1
        return out

    def _run(self) -> Any:  # noqa: C901 - one flat loop over opcodes, like pickle's own
        # perf: a flat if-chain over opcode bytes, most frequent first.
        data, take = self.data, self._take
        stack: list[Any] = []
        metastack: list[list[Any]] = []
        memo: dict[int, Any] = {}
        unpack = struct.unpack
        while True:
            if self.pos >= len(data):
                raise pickle.UnpicklingError("pickle data was truncated")
            op = data[self.pos]
            self.pos += 1
            if op == 0x71:  # q BINPUT
                memo[take(1)[0]] = stack[-1]
            elif op == 0x68:  # h BINGET
                stack.append(memo[take(1)[0]])
            elif op == 0x58:  # X BINUNICODE
                (n,) = unpack("<I", take(4))
                stack.append(str(take(n), "utf-8", "surrogatepass"))
            elif op == 0x4B:  # K BININT1
                stack.append(take(1)[0])
            elif op == 0x28:  # ( MARK
                metastack.append(stack)
                stack = []
            elif op == 0x74:  # t TUPLE
                items, stack = tuple(stack), metastack.pop()
                stack.append(items)
            elif op == 0x85:  # TUPLE1
                stack[-1] = (stack[-1],)
            elif op == 0x86:  # TUPLE2
                stack[-2:] = [(stack[-2], stack[-1])]
            elif op == 0x87:  # TUPLE3
                stack[-3:] = [(stack[-3], stack[-2], stack[-1])]
            elif op == 0x29:  # ) EMPTY_TUPLE
                stack.append(())
            elif op == 0x89:  # NEWFALSE
                stack.append(False)
            elif op == 0x88:  # NEWTRUE
                stack.append(True)
            elif op == 0x52:  # R REDUCE
                args = stack.pop()
                func = stack[-1]
                if id(func) not in _callables() and not _is_user_allowed(func):
                    raise pickle.UnpicklingError(f"Trying to call reduce for unrecognized function {func!r}")  # noqa: E501
                if type(args) is not tuple:
                    raise pickle.UnpicklingError("REDUCE arguments must be a tuple")
                stack[-1] = func(*args)
            elif op == 0x51:  # Q BINPERSID
                pid = stack.pop()
                if self.persistent_load is None or type(pid) is not tuple or not pid or pid[0] not in ("storage", b"storage"):  # noqa: E501
                    raise pickle.UnpicklingError(f"Only persistent_load of storage is allowed, got {pid!r:.80}")  # noqa: E501
                stack.append(self.persistent_load(pid))
            elif op == 0x75:  # u SETITEMS
                items, stack = stack, metastack.pop()
                target = stack[-1]
                if type(target) not in (dict, OrderedDict, Counter) or len(items) % 2:
                    raise pickle.UnpicklingError(f"Can only SETITEMS for dict, collections.OrderedDict, collections.Counter, but got {type(target)}")  # noqa: E501
                for i in range(0, len(items), 2):
                    target[items[i]] = items[i + 1]
            elif op == 0x73:  # s SETITEM
                v, k = stack.pop(), stack.pop()
                if type(stack[-1]) not in (dict, OrderedDict, Counter):
                    raise pickle.UnpicklingError(f"Can only SETITEM for dict, collections.OrderedDict, collections.Counter, but got {type(stack[-1])}")  # noqa: E501
                stack[-1][k] = v
            elif op == 0x7D:  # } EMPTY_DICT
                stack.append({})
            elif op == 0x5D:  # ] EMPTY_LIST
                stack.append([])
            elif op == 0x61:  # a APPEND
                item = stack.pop()
                if type(stack[-1]) is not list:
                    raise pickle.UnpicklingError(f"Can only append to lists, but got {type(stack[-1])}")  # noqa: E501
                stack[-1].append(item)
            elif op == 0x65:  # e APPENDS
                items, stack = stack, metastack.pop()
                if type(stack[-1]) is not list:
                    raise pickle.UnpicklingError(f"Can only extend lists, but got {type(stack[-1])}")  # noqa: E501
                stack[-1].extend(items)
            elif op == _GLOBAL:
                module, name = _fix_imports(self._line(), self._line())
                stack.append(_resolve_global(module, name, True))
            elif op == 0x62:  # b BUILD
                state = stack.pop()
                _build(stack[-1], state)
            elif op == 0x4E:  # N NONE
                stack.append(None)
            elif op == 0x4A:  # J BININT
                stack.append(unpack("<i", take(4))[0])
            elif op == 0x4D:  # M BININT2
                stack.append(unpack("<H", take(2))[0])
            elif op == 0x47:  # G BINFLOAT
                stack.append(unpack(">d", take(8))[0])
            elif op == _LONG1:
                stack.append(int.from_bytes(take(take(1)[0]), "little", signed=True))
            elif op == _SHORT_BINSTRING:
                stack.append(str(take(take(1)[0]), "utf-8"))
            elif op == 0x6A:  # j LONG_BINGET
                stack.append(memo[unpack("<I", take(4))[0]])
            elif op == 0x72:  # r LONG_BINPUT
                memo[unpack("<I", take(4))[0]] = stack[-1]
            elif op == 0x8F:  # EMPTY_SET
                stack.append(set())
            elif op == 0x81:  # NEWOBJ
                args, cls = stack.pop(), stack.pop()
                stack.append(_newobj(cls, args))
            elif op == 0x80:  # PROTO
                if take(1)[0] > 5:
                    raise pickle.UnpicklingError("unsupported pickle protocol")
            elif op == _STOP:
                if len(stack) != 1 or metastack:
                    raise pickle.UnpicklingError("pickle ended with a malformed stack")
                return stack[0]
            else:
                raise pickle.UnpicklingError(f"Unsupported operand {op}")


def _fix_imports(module: str, name: str) -> tuple[str, str]:
    """Python 2 names (``__builtin__.set``), which protocol 2 writes, as Python 3's."""
    if (module, name) in _compat_pickle.NAME_MAPPING:
        return _compat_pickle.NAME_MAPPING[(module, name)]
    return _compat_pickle.IMPORT_MAPPING.get(module, module), name


def _newobj(cls: Any, args: Any) -> Any:
    if type(args) is not tuple:
        raise pickle.UnpicklingError("NEWOBJ arguments must be a tuple")
    if cls is _parameter_type():
        return _rebuild_parameter(*args, None) if len(args) == 2 else _rebuild_parameter(*args)
    if any(cls is c for c in (OrderedDict, Counter, set, Size, complex)) or _is_user_allowed(cls):
        return cls.__new__(cls, *args)
    raise pickle.UnpicklingError(
        f"Can only create new object for nn.Parameter or classes allowlisted via `add_safe_globals` but got {cls!r}"  # noqa: E501
    )


def _build(inst: Any, state: Any) -> None:
    """BUILD: OrderedDict's ``__dict__`` (a state dict's ``_metadata``) and allow-listed types."""
    if type(inst) in (OrderedDict, Counter):
        if type(state) is not dict or not all(type(k) is str for k in state):
            raise pickle.UnpicklingError("BUILD state of an OrderedDict must be a dict of str")
        inst.__dict__.update(state)
    elif _is_user_allowed(type(inst)):
        if hasattr(inst, "__setstate__"):
            inst.__setstate__(state)
            return
        slots = None
        if type(state) is tuple and len(state) == 2:
            state, slots = state
        if state:
            inst.__dict__.update(state)
        for k, v in (slots or {}).items():
            setattr(inst, k, v)
    else:
        raise pickle.UnpicklingError(
            "Can only build Tensor, Parameter, OrderedDict or types allowlisted via "
            f"`add_safe_globals`, but got {type(inst)}"
        )


def _globals_in_pickle(data: bytes) -> set[str]:
    """Every ``module.name`` a protocol-2 pickle's GLOBAL opcodes name, without running it."""
    out, pos, n = set(), 0, len(data)
    while pos < n:
        op = data[pos]
        pos += 1
        if op == _STOP:
            return out
        if op == _GLOBAL:
            end1 = data.find(b"\n", pos)
            end2 = data.find(b"\n", end1 + 1) if end1 >= 0 else -1
            if end2 < 0:
                break
            module, name = (data[pos:end1].decode("utf-8", "replace"),
                            data[end1 + 1 : end2].decode("utf-8", "replace"))  # fmt: skip
            out.add(".".join(_fix_imports(module, name)))
            pos = end2 + 1
        elif op == _BINUNICODE and pos + 4 <= n:
            pos += 4 + struct.unpack("<I", data[pos : pos + 4])[0]
        elif op in (_SHORT_BINSTRING, _LONG1) and pos < n:
            pos += 1 + data[pos]
        elif op in _OP_ARG_BYTES:
            pos += _OP_ARG_BYTES[op]
        else:
            raise pickle.UnpicklingError(f"Unsupported operand {op}")
    raise pickle.UnpicklingError("pickle data was truncated")


# ---------------------------------------------------------------------------------------------
# Full unpickler (weights_only=False): any importable global, torch's names mapped onto ember
# ---------------------------------------------------------------------------------------------
def _full_unpickle(f: IO[bytes], persistent_load: Callable[[Any], Any] | None,
                   pickle_module: Any) -> Any:  # fmt: skip
    class Unpickler(pickle_module.Unpickler):  # type: ignore[misc, name-defined]
        def find_class(self, module: str, name: str) -> Any:
            module, name = _fix_imports(module, name)
            obj = _resolve_global(module, name, False)
            return super().find_class(module, name) if obj is None else obj

        def persistent_load(self, pid: Any) -> Any:
            if persistent_load is None:
                raise pickle.UnpicklingError("unsupported persistent id encountered")
            return persistent_load(pid)

    try:
        return Unpickler(f, encoding="utf-8").load()
    except EOFError:
        raise pickle.UnpicklingError("pickle data was truncated") from None


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


# ---------------------------------------------------------------------------------------------
# Reading the zip format
# ---------------------------------------------------------------------------------------------
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError,
               struct.error, NotImplementedError, zlib.error, OverflowError, KeyError)  # fmt: skip
_CORRUPT = "PytorchStreamReader failed reading zip archive"


class _ZipReader:
    """The records of a torch zip checkpoint, under one top-level folder whose name is free."""

    def __init__(self, f: IO[bytes], mm: Any = None) -> None:
        self.f, self.mm = f, mm
        self.background_crc = False  # check big records' CRCs in a thread, while reading on
        self.pending: list[tuple[str, int, Any]] = []
        self.pool: ThreadPoolExecutor | None = None
        try:
            self.size = f.seek(0, os.SEEK_END)
            zf = zipfile.ZipFile(f)
            infos = zf.infolist()
        except _ZIP_ERRORS as e:
            raise RuntimeError(f"{_CORRUPT}: {e}. The checkpoint file is likely corrupted.") from None  # noqa: E501
        self.zf = zf
        if not infos or "/" not in infos[0].filename:
            raise RuntimeError(f"{_CORRUPT}: no top-level folder in the archive")
        folder = infos[0].filename.split("/", 1)[0] + "/"
        self.records = {}
        for info in infos:
            if not info.filename.startswith(folder):
                raise RuntimeError(f"file in archive is not in a subdirectory {folder}: {info.filename}")  # noqa: E501
            self.records[info.filename[len(folder) :]] = info

    def read(self, name: str, nbytes: int | None = None) -> np.ndarray:
        """A record's bytes as a writable uint8 array (a view of the file when memory-mapped)."""
        info = self.records.get(name)
        if info is None:
            raise RuntimeError(f"{_CORRUPT}: no record '{name}' in the archive")
        if nbytes is not None and info.file_size != nbytes:
            raise RuntimeError(
                f"storage '{name}' has {info.file_size} bytes, but its pickle entry says {nbytes}"
            )
        try:
            if info.compress_type != zipfile.ZIP_STORED:
                with self.zf.open(info) as r:  # zipfile checks the CRC
                    return np.frombuffer(bytearray(r.read()), np.uint8)
            return self._read_stored(info)
        except _ZIP_ERRORS as e:
            raise RuntimeError(f"{_CORRUPT}: can't read record '{name}': {e}") from None

    def _read_stored(self, info: zipfile.ZipInfo) -> np.ndarray:
        # perf: read straight into the array (one copy, no CRC pass over an mmap).
        self.f.seek(info.header_offset)
        head = self.f.read(30)
        if len(head) != 30 or head[:4] != b"PK\x03\x04" or info.compress_size != info.file_size:
            raise zipfile.BadZipFile("bad local file header")
        name_len, extra_len = struct.unpack("<HH", head[26:30])
        start, n = info.header_offset + 30 + name_len + extra_len, info.file_size
        if start + n > self.size:
            raise zipfile.BadZipFile("record data runs past the end of the file")
        if self.mm is not None:
            return np.frombuffer(self.mm, np.uint8, n, start)
        out = np.empty(n, np.uint8)
        self.f.seek(start)
        if hasattr(self.f, "readinto"):
            got = self.f.readinto(out)
        else:
            chunk = self.f.read(n)
            got = len(chunk)
            out[:got] = np.frombuffer(chunk, np.uint8)
        if got != n:
            raise zipfile.BadZipFile("record data is truncated")
        # torch writes CRC 0 when its CRC option is off; any other value must match.
        if info.CRC and self.background_crc and n >= 1 << 20:
            # perf: zlib releases the GIL, so the check overlaps reading the next records
            self.pool = self.pool or ThreadPoolExecutor(1)
            self.pending.append((info.filename, info.CRC, self.pool.submit(zlib.crc32, out)))
        elif info.CRC and zlib.crc32(out) != info.CRC:
            raise zipfile.BadZipFile(f"Bad CRC-32 for file {info.filename!r}")
        return out

    def finish(self) -> None:
        """Wait for the background CRC checks: RuntimeError if a record is corrupt."""
        try:
            for name, crc, job in self.pending:
                if job.result() != crc:
                    raise RuntimeError(f"{_CORRUPT}: Bad CRC-32 for file {name!r}")
        finally:
            if self.pool is not None:
                self.pool.shutdown()

    def text(self, name: str) -> str:
        try:
            return self.read(name).tobytes().decode("utf-8")
        except UnicodeDecodeError:
            raise RuntimeError(f"{_CORRUPT}: record '{name}' is not text") from None


def _load_zip(f: IO[bytes], restore: Restore, weights_only: bool, mm: Any,
              pickle_module: Any) -> Any:  # fmt: skip
    z = _ZipReader(f, mm)
    if "constants.pkl" in z.records:
        raise RuntimeError("this is a TorchScript archive (torch.jit.save); ember can't load those")
    vname = "version" if "version" in z.records else ".data/version"
    if vname not in z.records:
        raise RuntimeError(f"{_CORRUPT}: Expected hasRecord(\"version\") to be true")
    version = z.text(vname).strip()
    if not version.isdigit() or not 1 <= int(version) <= _MAX_VERSION:
        raise RuntimeError(
            f"Attempted to read a PyTorch file with version {version!r}, but the maximum "
            f"supported version for reading is {_MAX_VERSION}."
        )
    order = z.text("byteorder").strip() if "byteorder" in z.records else "little"
    if order not in ("little", "big"):
        raise RuntimeError(f"{_CORRUPT}: unknown byteorder {order!r}")
    swap = order != sys.byteorder
    cache: dict[str, Any] = {}

    def persistent_load(pid: tuple[Any, ...]) -> _Storage:
        if len(pid) != 5:
            raise pickle.UnpicklingError(f"storage id must be ('storage', type, key, location, numel), got {pid!r:.100}")  # noqa: E501
        _, stype, key, location, numel = pid
        if type(stype) is not _StorageType or type(key) is not str or type(numel) is not int:
            raise pickle.UnpicklingError(f"malformed storage id {pid!r:.100}")
        nbytes = numel * stype.itemsize
        if key not in cache:
            raw = z.read(f"data/{key}", nbytes)
            if swap and stype.dtype is not None:
                raw.view(_np_dtype(stype.dtype)).byteswap(inplace=True)
            cache[key] = (restore(raw, _location(location), stype.dtype), [swap and stype.dtype is None])  # noqa: E501
        data, pending = cache[key]
        if data.nbytes != nbytes:
            raise RuntimeError(f"storage '{key}' is used with two different sizes")
        return _Storage(data, stype.dtype, pending)

    pkl = z.read("data.pkl").tobytes()
    # a callable map_location or a byteswap could write to a buffer while its CRC is computed
    z.background_crc = not swap and not getattr(restore, "calls_user", False)
    try:
        if weights_only:
            result = _WeightsOnlyUnpickler(pkl, 0, persistent_load).load()
        else:
            result = _full_unpickle(io.BytesIO(pkl), persistent_load, pickle_module)
    finally:
        z.finish()  # raises on a bad CRC, so a corrupt file never returns a result
    return result


# ---------------------------------------------------------------------------------------------
# Reading the legacy format: pickles (magic, version, sys_info, object, keys) then raw storages
# ---------------------------------------------------------------------------------------------
class _LegacyStorages:
    """Storages of a legacy file: allocated when the pickle names them, filled from the tail."""

    def __init__(self, file_size: int) -> None:
        self.budget = file_size  # storages can't hold more bytes than the file
        self.roots: dict[str, tuple[np.ndarray, D.dtype | None, str]] = {}
        self.views: dict[str, tuple[str, int, int]] = {}
        self.placed: dict[str, Any] | None = None  # root key -> relocated bytes, on a 2nd pass

    def persistent_load(self, pid: tuple[Any, ...]) -> Any:
        if type(pid) is tuple and len(pid) == 4 and pid[0] in ("module", b"module"):
            return pid[1]  # weights_only=False: a module class pickled with its source
        if type(pid) is not tuple or len(pid) != 6 or pid[0] not in ("storage", b"storage"):
            raise pickle.UnpicklingError(f"legacy storage id must have 6 fields, got {pid!r:.100}")
        _, stype, key, location, numel, view = pid
        if type(stype) is not _StorageType or type(key) is not str or type(numel) is not int:
            raise pickle.UnpicklingError(f"malformed storage id {pid!r:.100}")
        isz = stype.itemsize
        if key not in self.roots:
            if not 0 <= numel * isz <= self.budget:
                raise RuntimeError(f"storage {key!r} claims {numel} elements, more than the file holds")  # noqa: E501
            self.budget -= numel * isz
            self.roots[key] = (np.zeros(numel * isz, np.uint8), stype.dtype, _location(location))
        if self.roots[key][0].nbytes != numel * isz:
            raise RuntimeError(f"storage {key!r} is used with two different sizes")
        data = self.roots[key][0] if self.placed is None else self.placed[key]
        if view is not None:  # a storage view (torch < 0.4): a slice of the root storage
            if type(view) is not tuple or len(view) != 3 or not all(type(v) is int for v in view[1:]):  # noqa: E501
                raise pickle.UnpicklingError(f"malformed storage view {view!r:.100}")
            _, offset, size = view
            if offset < 0 or size < 0 or (offset + size) * isz > data.nbytes:
                raise RuntimeError(f"storage view {view!r:.100} is out of bounds")
            data = data[offset * isz : (offset + size) * isz]
        return _Storage(data, stype.dtype)

    def fill(self, data: bytes, pos: int, keys: Any, little_endian: bool) -> None:
        """Copy each storage's bytes from the file's tail (an int64 count, then the data)."""
        if type(keys) is not list or not all(type(k) is str for k in keys):
            raise RuntimeError("legacy checkpoint: the storage key list is missing")
        for key in keys:
            if key not in self.roots:
                raise RuntimeError(f"legacy checkpoint: storage key {key!r} not found")
            root, dt, _ = self.roots[key]
            isz = 1 if dt is None else dt.itemsize
            if pos + 8 > len(data):
                raise RuntimeError("legacy checkpoint is truncated")
            (count,) = struct.unpack("<q" if little_endian else ">q", data[pos : pos + 8])
            if count * isz != root.nbytes:
                raise RuntimeError(f"storage has wrong size: expected {root.nbytes // isz} got {count}")  # noqa: E501
            pos += 8
            if pos + root.nbytes > len(data):
                raise RuntimeError("legacy checkpoint is truncated")
            root[:] = np.frombuffer(data, np.uint8, root.nbytes, pos)
            pos += root.nbytes
            if little_endian != (sys.byteorder == "little") and dt is not None:
                root.view(_np_dtype(dt)).byteswap(inplace=True)


def _load_legacy(f: IO[bytes], restore: Restore, weights_only: bool, pickle_module: Any) -> Any:
    data = f.read()
    if not data.startswith(b"\x80"):
        raise RuntimeError(
            "not a PyTorch checkpoint: expected a zip archive (torch.save) or a legacy pickle, "
            f"got {data[:8]!r}"
        )
    storages = _LegacyStorages(len(data))
    pos = 0

    def run(persistent_load: Any = None) -> Any:
        nonlocal pos
        if weights_only:
            u = _WeightsOnlyUnpickler(data, pos, persistent_load)
            out = u.load()
            pos = u.pos
            return out
        buf = io.BytesIO(data)
        buf.seek(pos)
        out = _full_unpickle(buf, persistent_load, pickle_module)
        pos = buf.tell()
        return out

    if run() != MAGIC_NUMBER:
        raise RuntimeError("Invalid magic number; corrupt file?")
    version = run()
    if version != PROTOCOL_VERSION:
        raise RuntimeError(f"Invalid protocol version: {version!r:.40}")
    sys_info = run()
    little = sys_info.get("little_endian", True) if type(sys_info) is dict else True
    start = pos
    result = run(storages.persistent_load)
    keys = run()
    storages.fill(data, pos, keys, bool(little))
    placed = {k: restore(root, loc, dt) for k, (root, dt, loc) in storages.roots.items()}
    if any(placed[k] is not root for k, (root, _, _) in storages.roots.items()):
        # map_location moved a storage: rebuild the object over the moved storages
        storages.placed, pos = placed, start
        result = run(storages.persistent_load)
    return result


# ---------------------------------------------------------------------------------------------
# Writing: a protocol-2 pickle whose tensors are persistent storage records, then the zip
# ---------------------------------------------------------------------------------------------
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


class _Pickler(pickle._Pickler):  # type: ignore[misc, name-defined]
    """Python's protocol-2 pickler, writing tensors, dtypes and devices under torch's names."""

    dispatch = pickle._Pickler.dispatch.copy()  # type: ignore[attr-defined]

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


class _ZipWriter:
    """torch's zip layout: STORED records whose data start at multiples of 64, zip64 as needed."""

    def __init__(self, f: IO[bytes], folder: str) -> None:
        self.f, self.folder, self.pos = f, folder, 0
        self.entries: list[tuple[bytes, int, int, int]] = []

    def _write(self, b: Any) -> None:
        self.f.write(b)
        self.pos += memoryview(b).nbytes

    def write(self, name: str, data: Any, crc: int | None = None) -> None:
        name_b, n = f"{self.folder}/{name}".encode(), memoryview(data).nbytes
        crc, big = zlib.crc32(data) if crc is None else crc, n >= 0xFFFFFFFF
        extra = struct.pack("<HHQQ", 1, 16, n, n) if big else b""
        pad = -(self.pos + 30 + len(name_b) + len(extra) + 4) % STORAGE_ALIGNMENT
        extra += b"FB" + struct.pack("<H", pad) + b"Z" * pad  # torch's padding field
        n32 = 0xFFFFFFFF if big else n
        self.entries.append((name_b, crc, n, self.pos))
        head = struct.pack("<IHHHHHIIIHH", 0x04034B50, 45 if big else 20, 0x0800, 0, 0, 0x21,
                           crc, n32, n32, len(name_b), len(extra))  # fmt: skip
        self._write(head + name_b + extra)
        self._write(data)

    def close(self) -> None:
        cd_start = self.pos
        for name_b, crc, n, off in self.entries:
            big = [v for v in (n, n) if n >= 0xFFFFFFFF] + ([off] if off >= 0xFFFFFFFF else [])
            extra = struct.pack(f"<HH{len(big)}Q", 1, 8 * len(big), *big) if big else b""
            self._write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45 if big else 20,
                                    0x0800, 0, 0, 0x21, crc, min(n, 0xFFFFFFFF),
                                    min(n, 0xFFFFFFFF), len(name_b), len(extra), 0, 0, 0, 0,
                                    min(off, 0xFFFFFFFF)) + name_b + extra)  # fmt: skip
        cd_size, count, end64 = self.pos - cd_start, len(self.entries), self.pos
        self._write(struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, count, count,
                                cd_size, cd_start))  # fmt: skip
        self._write(struct.pack("<IIQI", 0x07064B50, 0, end64, 1))
        self._write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, min(count, 0xFFFF),
                                min(count, 0xFFFF), min(cd_size, 0xFFFFFFFF),
                                min(cd_start, 0xFFFFFFFF), 0))  # fmt: skip


def _write_archive(f: IO[bytes], folder: str, pkl: Any, records: list[np.ndarray]) -> None:
    """The records in the order torch 2.13 writes them."""
    z = _ZipWriter(f, folder)
    z.write("data.pkl", pkl)
    z.write(".format_version", b"1")
    z.write(".storage_alignment", str(STORAGE_ALIGNMENT).encode())
    z.write("byteorder", sys.byteorder.encode())
    # perf: a thread computes the CRCs (zlib releases the GIL) while earlier records are written
    with ThreadPoolExecutor(1) as pool:
        crcs = [pool.submit(zlib.crc32, r) if r.nbytes >= 1 << 20 else None for r in records]
        for i, (rec, crc) in enumerate(zip(records, crcs)):
            z.write(f"data/{i}", rec, None if crc is None else crc.result())
    z.write("version", b"3\n")
    # torch writes 40 decimal digits; ours come from the content, so equal saves are equal bytes
    z.write(".data/serialization_id", b"%040d" % zlib.crc32(repr([e[1] for e in z.entries]).encode()))  # noqa: E501
    z.close()


def _is_path(f: Any) -> bool:
    return isinstance(f, str | os.PathLike)


@contextlib.contextmanager
def _atomic_write(path: Any) -> Iterator[IO[bytes]]:
    """A temporary file beside ``path``, fsynced and renamed over it only once fully written."""
    path = os.path.realpath(os.fspath(path))  # write through symlinks, as open() would
    parent = os.path.dirname(path)
    if not os.path.isdir(parent):
        raise RuntimeError(f"Parent directory {parent} does not exist.")
    tmp = f"{path}.{os.urandom(6).hex()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _reduce_tensor(t: Tensor) -> tuple[Any, tuple[Any, ...]]:
    """``Tensor.__reduce_ex__`` for Python's own pickle and ``copy``: the array, on the host."""
    a, param = t._array, _parameter_type()
    host = np.asarray(a) if isinstance(a, np.ndarray | np.generic) else a.get()
    is_param = param is not None and isinstance(t, param)
    return _unpickle_tensor, (host, str(t.device), t.requires_grad, is_param)


_reduce_parameter = _reduce_tensor  # Parameter.__reduce_ex__


def _unpickle_tensor(array: np.ndarray, location: str, requires_grad: bool,
                     parameter: bool = False) -> Tensor:  # fmt: skip
    t = _wrap(_restore_to(array, location), requires_grad)
    return _parameter_type()(t, requires_grad) if parameter else t


# ---------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------
def save(obj: object, f: FileLike) -> None:
    r"""Save an object (tensors, state dicts, nested containers) in torch's checkpoint format.

    The file is a zip archive exactly as ``torch.save`` writes it (pickle protocol 2, one record
    per storage, 64-byte aligned): ``torch.load(f, weights_only=True)`` reads it, with
    ``mmap=True`` as well. Tensors that view one buffer (tied weights, ``x`` and ``x.t()``) share
    one storage record and load back sharing memory. A state dict keeps its ``_metadata``.

    When ``f`` is a path the archive is written to a temporary file beside it, flushed to disk
    and renamed over ``f``: a crash mid-save leaves the previous file intact.

    .. warning::
        Saving a whole module (``ember.save(model)``) pickles its class by reference; loading it
        needs ``weights_only=False``, which runs whatever code the file names. Prefer
        ``ember.save(model.state_dict(), f)``.

    Args:
        obj: the object to save.
        f: a path (str or ``os.PathLike``) or a binary file object open for writing.

    Examples::

        >>> import io, ember
        >>> buf = io.BytesIO()
        >>> ember.save({"w": ember.ones(2, 3)}, buf)
        >>> _ = buf.seek(0)
        >>> ember.load(buf)["w"].shape
        torch.Size([2, 3])
    """
    storages = _StorageWriter()
    pkl = io.BytesIO()
    _Pickler(pkl, storages).dump(obj)
    if _is_path(f):
        stem = os.path.splitext(os.path.basename(os.fspath(f)))[0] or "archive"
        with _atomic_write(f) as out:
            _write_archive(out, stem, pkl.getbuffer(), storages.records)
    else:
        _write_archive(f, "archive", pkl.getbuffer(), storages.records)  # type: ignore[arg-type]


def load(f: FileLike, map_location: Any = None, pickle_module: Any = None, *,
         weights_only: bool = True, mmap: bool | None = None) -> Any:  # fmt: skip
    r"""Load an object saved with ``torch.save`` or :func:`save`.

    Reads torch's zip format, the legacy (pre-1.6) format and, for a path ending in
    ``.safetensors``, safetensors files (see :mod:`ember.utils.safetensors`).

    With ``weights_only=True`` (the default) the pickle may only use torch's allow-listed globals
    (tensors, Parameters, dtypes, devices, ``OrderedDict``, containers and numbers) and those
    added with :func:`add_safe_globals`; anything else raises :class:`pickle.UnpicklingError`
    naming the global, before it is imported or called. Setting ``TORCH_FORCE_WEIGHTS_ONLY_LOAD=1``
    forces it on.

    .. warning::
        ``weights_only=False`` uses Python's full unpickler (needed for whole-module pickles), and
        a malicious file can then run arbitrary code. Only use it for files you trust.

    Args:
        f: a path or a binary file object open for reading (seekable).
        map_location: where storages go: ``None`` (where they were saved), a device or device
            string, a dict mapping saved locations to new ones, or a callable
            ``(storage, location) -> tensor | None`` (``None`` keeps the default).
        pickle_module: with ``weights_only=False``, the module whose ``Unpickler`` is used.
        weights_only: restrict unpickling to tensors and plain containers (default ``True``).
        mmap: memory-map the file instead of reading it (zip files given by path only); tensors
            are copy-on-write views of the file.

    Raises:
        pickle.UnpicklingError: the pickle is malformed or uses a global that is not allowed.
        RuntimeError: the archive or a storage is malformed, or uses a feature ember lacks.

    Examples::

        >>> import io, ember
        >>> buf = io.BytesIO()
        >>> w = ember.arange(6.0).reshape(2, 3)
        >>> ember.save({"w": w, "wt": w.t()}, buf)
        >>> _ = buf.seek(0)
        >>> sd = ember.load(buf, map_location="cpu")
        >>> sd["wt"]
        tensor([[0., 3.],
                [1., 4.],
                [2., 5.]])
    """
    if os.getenv("TORCH_FORCE_WEIGHTS_ONLY_LOAD", "0").lower() in ("1", "y", "yes", "true"):
        weights_only = True
    if weights_only and pickle_module is not None:
        raise RuntimeError("Can not safely load weights when explicit pickle_module is specified")
    if _is_path(f) and os.fsdecode(f).endswith(".safetensors"):
        return _load_safetensors(os.fsdecode(f), map_location)
    restore = _restore_fn(map_location)
    pickle_module = pickle_module or pickle
    with contextlib.ExitStack() as stack:
        fh = stack.enter_context(open(f, "rb")) if _is_path(f) else f  # noqa: SIM115
        if not fh.seekable():
            fh = io.BytesIO(fh.read())
        start = fh.tell()
        is_zip = fh.read(4) == b"PK\x03\x04"
        fh.seek(start)
        if is_zip:
            mm = None
            if mmap:
                if not _is_path(f):
                    raise ValueError("f must be a file path in order to use the mmap argument")
                if os.path.getsize(f) > 0:
                    mm = _mmap.mmap(fh.fileno(), 0, access=_mmap.ACCESS_COPY)
            return _load_zip(fh, restore, weights_only, mm, pickle_module)
        if mmap:
            raise RuntimeError(
                "mmap can only be used with files saved with "
                "`torch.save(_use_new_zipfile_serialization=True)`, please torch.save your "
                "checkpoint with this option in order to use mmap."
            )
        return _load_legacy(fh, restore, weights_only, pickle_module)


def _load_safetensors(path: str, map_location: Any) -> dict[str, Tensor]:
    # torch 2.13: a .safetensors path goes to safetensors.torch.load_file with a device.
    from .utils import safetensors  # noqa: PLC0415

    if isinstance(map_location, dict) or callable(map_location):
        kind = "dict" if isinstance(map_location, dict) else "callable"
        raise RuntimeError(
            f"Loading safetensors file with {kind} map_location is not supported. Use a device "
            "string or torch.device instead."
        )
    return safetensors.load_file(path, device="cpu" if map_location is None else str(map_location))  # noqa: E501


def get_unsafe_globals_in_checkpoint(f: FileLike) -> list[str]:
    r"""The globals in a checkpoint's pickle that ``weights_only`` loading would reject.

    Nothing in the pickle runs. Names allowed by default or through :func:`add_safe_globals` are
    left out.

    Examples::

        >>> import io, ember
        >>> buf = io.BytesIO()
        >>> ember.save({"w": ember.zeros(1)}, buf)
        >>> _ = buf.seek(0)
        >>> ember.serialization.get_unsafe_globals_in_checkpoint(buf)
        []
    """
    with contextlib.ExitStack() as stack:
        fh = stack.enter_context(open(f, "rb")) if _is_path(f) else f  # noqa: SIM115
        start = fh.tell()
        if fh.read(4) != b"PK\x03\x04":
            raise ValueError("Expected input to be a checkpoint returned by torch.save")
        fh.seek(start)
        z = _ZipReader(fh)
        if "constants.pkl" in z.records:
            raise ValueError("Expected input to be a checkpoint returned by torch.save but got a torchscript checkpoint")  # noqa: E501
        names = _globals_in_pickle(z.read("data.pkl").tobytes())
    allowed = set(_torch_globals()) | set(_user_allowed())
    return sorted(names - allowed)

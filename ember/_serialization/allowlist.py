"""The weights-only allow-list: torch's allowed globals mapped onto ember, plus the user's.

A weights-only pickle may name only torch's allowed globals (tensor rebuild functions, storage
classes, dtypes, ``OrderedDict``, ...) and those registered with
:func:`ember.serialization.add_safe_globals`. Nothing a file names outside that list is ever
imported or called: :func:`_resolve_global` raises :class:`pickle.UnpicklingError` naming it.
"""

from __future__ import annotations

import functools
import pickle
from collections import Counter, OrderedDict
from typing import Any

from .. import _dtype as D
from .._device import device
from .._tensor import Size, Tensor
from .rebuild import (_parameter_type, _rebuild_from_type_v2, _rebuild_parameter,
                      _rebuild_parameter_with_state, _rebuild_tensor, _rebuild_tensor_v2,
                      _rebuild_tensor_v3)  # fmt: skip
from .storage import _STORAGE_DTYPES, _StorageType

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

# The user's safe globals: ember.serialization.add_safe_globals and safe_globals edit this list.
_user_globals: list[Any] = []


def _user_allowed() -> dict[str, Any]:
    out = {}
    for g in _user_globals:
        if isinstance(g, tuple):
            out[g[1]] = g[0]
        else:
            out[f"{g.__module__}.{g.__qualname__}"] = g
    return out


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

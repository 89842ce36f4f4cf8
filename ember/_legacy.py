"""torch's legacy tensor types: ``FloatTensor(2, 3)``, ``isinstance(x, LongTensor)``, ``cuda.FloatTensor``.

Each type is a class, not a subclass of :class:`ember.Tensor` (in torch neither is): calling it
builds a plain ``Tensor`` of its dtype (from sizes, data or a tensor of that dtype), and
``isinstance`` asks whether a tensor has its dtype and device kind (through the
``_legacy_check`` hook of the Tensor metaclass). ``Tensor.type(ember.DoubleTensor)`` casts.

The names are wired into ``ember`` and ``ember.cuda`` lazily, from :data:`LAZY_ATTRS` and
:data:`CUDA_LAZY_ATTRS`.
"""

from __future__ import annotations

from typing import Any

from . import _dtype as D
from ._tensor import Tensor, _TensorMeta

__all__ = ["FloatTensor", "DoubleTensor", "HalfTensor", "BFloat16Tensor", "LongTensor",
           "IntTensor", "ShortTensor", "CharTensor", "ByteTensor", "BoolTensor", "cuda_types"]  # fmt: skip

_TYPES = {"Float": D.float32, "Double": D.float64, "Half": D.float16, "BFloat16": D.bfloat16,
          "Long": D.int64, "Int": D.int32, "Short": D.int16, "Char": D.int8, "Byte": D.uint8,
          "Bool": D.bool}  # fmt: skip

# torch's C++ names for dtypes in its TensorOptions error
_CPP = {"float32": "float", "float64": "double", "float16": "c10::Half", "bfloat16": "c10::BFloat16",
        "int64": "long int", "int32": "int", "int16": "short int", "int8": "signed char",
        "uint8": "unsigned char", "bool": "bool"}  # fmt: skip


def _options(dt: D.dtype, cuda: bool) -> str:
    dev = "cuda" if cuda else "cpu"
    return (f"TensorOptions(dtype={_CPP.get(dt.name, dt.name)}, device={dev}, layout=Strided, "
            "requires_grad=false (default), pinned_memory=false (default), "
            "memory_format=(nullopt))")  # fmt: skip


class _LegacyMeta(_TensorMeta):
    _legacy_name: str

    # torch: the types print as <class 'torch.FloatTensor'> / <class 'torch.cuda.FloatTensor'>
    def __repr__(cls) -> str:
        return f"<class '{cls._legacy_name}'>"


class _LegacyTensorType(metaclass=_LegacyMeta):
    """Base of the legacy types: construction and ``isinstance`` by dtype and device kind."""

    _legacy_dtype: D.dtype = D.float32
    _legacy_name: str = "torch.FloatTensor"
    is_cuda: bool = False
    is_sparse: bool = False

    @classmethod
    def _legacy_check(cls, obj: Any) -> bool:
        return (type.__instancecheck__(Tensor, obj) and not obj.is_sparse
                and obj.dtype is cls._legacy_dtype and obj.is_cuda == cls.is_cuda)  # fmt: skip

    def __new__(cls, *args: Any, device: Any = None, **kwargs: Any) -> Any:
        from ._factory import legacy_new  # noqa: PLC0415

        if cls.is_cuda:
            from ._device import cuda_available  # noqa: PLC0415

            if not cuda_available():
                raise TypeError(f"type {cls._legacy_name} not available. Torch not compiled with CUDA enabled.")  # noqa: E501
            device = "cuda" if device is None else device
        dt = cls._legacy_dtype
        if len(args) == 1 and not kwargs:
            (a,) = args
            if isinstance(a, Tensor):
                if a.dtype is not dt or a.is_cuda != cls.is_cuda:
                    raise TypeError(f"expected {_options(dt, cls.is_cuda)} (got {_options(a.dtype, a.is_cuda)})")  # noqa: E501
                return a
            if isinstance(a, float | bool | complex):
                raise TypeError(f"new(): data must be a sequence (got {type(a).__name__})")
        return legacy_new(Tensor, dt, *args, device=device, **kwargs)


def _make(prefix: str, name: str, dt: D.dtype, cuda: bool) -> type:
    body = {"_legacy_dtype": dt, "_legacy_name": f"{prefix}{name}Tensor", "is_cuda": cuda,
            "dtype": dt, "__module__": "ember.cuda" if cuda else "ember",
            "__doc__": f"Legacy type of {'CUDA' if cuda else 'CPU'} tensors of dtype {dt!r}."}  # fmt: skip
    return _LegacyMeta(f"{name}Tensor", (_LegacyTensorType,), body)


_cpu = {f"{n}Tensor": _make("torch.", n, dt, False) for n, dt in _TYPES.items()}
cuda_types: dict[str, type] = {f"{n}Tensor": _make("torch.cuda.", n, dt, True) for n, dt in _TYPES.items()}  # noqa: E501

FloatTensor = _cpu["FloatTensor"]
DoubleTensor = _cpu["DoubleTensor"]
HalfTensor = _cpu["HalfTensor"]
BFloat16Tensor = _cpu["BFloat16Tensor"]
LongTensor = _cpu["LongTensor"]
IntTensor = _cpu["IntTensor"]
ShortTensor = _cpu["ShortTensor"]
CharTensor = _cpu["CharTensor"]
ByteTensor = _cpu["ByteTensor"]
BoolTensor = _cpu["BoolTensor"]

# for the lead: entries of ember/__init__.py's _LAZY_ATTRS, and ember/cuda's module __getattr__
LAZY_ATTRS: dict[str, tuple[str, str]] = {name: ("_legacy", name) for name in _cpu}
CUDA_LAZY_ATTRS: dict[str, type] = dict(cuda_types)

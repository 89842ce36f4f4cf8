"""dtype objects (``ember.float32`` ...) and torch's type-promotion rules."""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

__all__ = ["dtype", "get_default_dtype", "set_default_dtype", "promote_types", "finfo", "iinfo"]


class dtype:
    """A tensor element type. Prints as torch's does (``torch.float32``) so user output matches."""

    __slots__ = ("name", "np", "is_floating_point", "is_complex", "is_signed", "itemsize", "_cat")

    def __init__(self, name: str, np_dtype: Any, cat: builtins.int) -> None:
        self.name = name
        self.np: Any = np.dtype(np_dtype) if np_dtype is not None else None  # None: bfloat16
        self._cat = cat  # promotion category: 0 bool, 1 integer, 2 floating, 3 complex
        self.is_floating_point = cat == 2
        self.is_complex = cat == 3
        self.is_signed = name not in ("uint8", "bool", "uint16", "uint32", "uint64")
        self.itemsize = self.np.itemsize if self.np is not None else 2

    def __repr__(self) -> str:
        return f"torch.{self.name}"

    def __reduce__(self) -> str:
        return self.name

    def to_real(self) -> dtype:
        return {"complex64": float32, "complex128": float64}.get(self.name, self)

    def to_complex(self) -> dtype:
        return {"float64": complex128}.get(self.name, complex64)


bool = dtype("bool", np.bool_, 0)  # noqa: A001 - torch's name
uint8 = dtype("uint8", np.uint8, 1)
int8 = dtype("int8", np.int8, 1)
int16 = dtype("int16", np.int16, 1)
int32 = dtype("int32", np.int32, 1)
int64 = dtype("int64", np.int64, 1)
uint16 = dtype("uint16", np.uint16, 1)
uint32 = dtype("uint32", np.uint32, 1)
uint64 = dtype("uint64", np.uint64, 1)
float16 = dtype("float16", np.float16, 2)
float32 = dtype("float32", np.float32, 2)
float64 = dtype("float64", np.float64, 2)
complex64 = dtype("complex64", np.complex64, 3)
complex128 = dtype("complex128", np.complex128, 3)


def _bfloat16() -> dtype:
    # bfloat16 comes from ml_dtypes when it is installed; without it the dtype exists but
    # allocating it raises a clear TypeError.
    try:
        import ml_dtypes  # type: ignore[import-not-found]  # noqa: PLC0415 - optional

        return dtype("bfloat16", ml_dtypes.bfloat16, 2)
    except ImportError:
        d = dtype("bfloat16", np.uint16, 2)
        d.np = None
        return d


bfloat16 = _bfloat16()

# torch's aliases
half, float, double = float16, float32, float64  # noqa: A001
short, int, long = int16, int32, int64  # noqa: A001
cfloat, cdouble = complex64, complex128

ALL = (bool, uint8, int8, int16, int32, int64, uint16, uint32, uint64, float16, bfloat16,
       float32, float64, complex64, complex128)  # fmt: skip
_FROM_NP: dict[Any, dtype] = {d.np: d for d in ALL if d.np is not None}
BY_NAME: dict[str, dtype] = {d.name: d for d in ALL}
BY_NAME.update(half=half, float=float, double=double, short=short, int=int, long=long,
               cfloat=cfloat, cdouble=cdouble)  # fmt: skip


def from_numpy(np_dtype: Any) -> dtype:
    """The ember dtype of a NumPy dtype; TypeError for ones torch has no equivalent of."""
    try:
        return _FROM_NP[np_dtype]
    except KeyError:
        pass
    try:
        return _FROM_NP[np.dtype(np_dtype)]
    except (KeyError, TypeError):
        raise TypeError(
            f"can't convert np.ndarray of type {np.dtype(np_dtype)}. The only supported types "
            "are: float64, float32, float16, complex64, complex128, int64, int32, int16, int8, "
            "uint64, uint32, uint16, uint8, and bool."
        ) from None


def to_np(d: dtype) -> Any:
    """The NumPy dtype behind ``d``."""
    if d.np is None:
        raise TypeError(f"{d} needs the optional package ml_dtypes (pip install ml_dtypes)")
    return d.np


_default = [float32]


def get_default_dtype() -> dtype:
    """The floating dtype used for Python floats and float factories (float32 by default)."""
    return _default[0]


def set_default_dtype(d: dtype) -> None:
    """Set the default floating dtype (float32 or float64, as torch allows)."""
    if d not in (float16, bfloat16, float32, float64):
        raise TypeError(f"only floating-point types are supported as the default type, got {d}")
    _default[0] = d


_ORDER = {d: i for i, d in enumerate(ALL)}


def promote_types(a: dtype, b: dtype) -> dtype:
    """torch.promote_types: the smallest dtype both ``a`` and ``b`` convert to safely."""
    if a is b:
        return a
    if {a, b} == {float16, bfloat16}:
        return float32
    if a is bfloat16 or b is bfloat16:
        other = b if a is bfloat16 else a
        return bfloat16 if other._cat < 2 else promote_types(other, float32) if other is float16 else other  # noqa: E501
    if a._cat <= 1 < b._cat or b._cat <= 1 < a._cat:
        # torch: bool/integer with floating/complex gives the floating/complex dtype as is
        # (float32 with int64 is float32; NumPy would say float64)
        return b if b._cat > a._cat else a
    r = from_numpy(np.promote_types(a.np, b.np))
    # torch never goes from integers to float64: uint64 with int64 is an error in torch, and
    # NumPy would say float64. Keep integers integral.
    if a._cat <= 1 and b._cat <= 1 and r._cat == 2:
        return int64
    return r


def result_type(*operands: Any) -> dtype:
    """torch.result_type over tensors and Python scalars.

    # torch: dimensioned tensors decide the dtype; zero-dim tensors and Python scalars only
    # raise the category (bool < integer < floating < complex), never the width inside one.
    """
    from ._tensor import Tensor  # noqa: PLC0415

    dims: dtype | None = None
    zero: dtype | None = None
    cat_scalar = -1
    for x in operands:
        if isinstance(x, Tensor):
            d = x.dtype
            if x._array.ndim:
                dims = d if dims is None else promote_types(dims, d)
            else:
                zero = d if zero is None else promote_types(zero, d)
        else:
            cat_scalar = builtins.max(cat_scalar, scalar_category(x))
    r = dims
    if zero is not None:
        r = zero if r is None else (r if r._cat >= zero._cat else zero)
    if cat_scalar >= 0:
        if r is None or r._cat < cat_scalar:
            r = default_for_category(cat_scalar)
    return r if r is not None else get_default_dtype()


def scalar_category(x: Any) -> builtins.int:
    """Promotion category of a Python scalar."""
    if isinstance(x, builtins.bool | np.bool_):
        return 0
    if isinstance(x, builtins.int | np.integer):
        return 1
    if isinstance(x, builtins.float | np.floating):
        return 2
    if isinstance(x, builtins.complex | np.complexfloating):
        return 3
    raise TypeError(f"unsupported operand type: {type(x).__name__}")


def default_for_category(cat: builtins.int) -> dtype:
    """The dtype a lone Python scalar of category ``cat`` becomes."""
    if cat == 0:
        return bool
    if cat == 1:
        return int64
    if cat == 2:
        return get_default_dtype()
    return complex128 if get_default_dtype() is float64 else complex64


class finfo:
    """Machine limits of a floating dtype (``torch.finfo``)."""

    def __init__(self, type: dtype | None = None) -> None:  # noqa: A002 - torch's name
        t = type or get_default_dtype()
        fi = np.finfo(to_np(t))
        self.bits, self.eps, self.max, self.min = fi.bits, builtins.float(fi.eps), builtins.float(fi.max), builtins.float(fi.min)  # noqa: E501
        self.tiny = self.smallest_normal = builtins.float(fi.tiny)
        self.resolution = builtins.float(fi.resolution)
        self.dtype = t.name

    def __repr__(self) -> str:
        return (f"finfo(resolution={self.resolution}, min={self.min:g}, max={self.max:g}, "
                f"eps={self.eps:g}, smallest_normal={self.tiny:g}, tiny={self.tiny:g}, "
                f"dtype={self.dtype})")  # fmt: skip


class iinfo:
    """Machine limits of an integer dtype (``torch.iinfo``)."""

    def __init__(self, type: dtype) -> None:  # noqa: A002 - torch's name
        ii = np.iinfo(to_np(type))
        self.bits, self.max, self.min, self.dtype = ii.bits, builtins.int(ii.max), builtins.int(ii.min), type.name  # noqa: E501

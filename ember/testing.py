r"""``ember.testing``: ``assert_close`` and ``make_tensor`` (``torch.testing``).

``assert_close`` walks sequences and mappings, then compares each pair of tensors (or NumPy
arrays, or Python numbers) attribute by attribute (shape, device, dtype) and finally by value:
``|actual - expected| <= atol + rtol * |expected|``, elementwise, with per-dtype defaults.
"""

from __future__ import annotations

import collections.abc as abc
import math
from typing import Any

import numpy as np

from . import _dtype as D
from ._tensor import Tensor, _wrap

__all__ = ["assert_close", "make_tensor"]

# torch's default (rtol, atol) per dtype; anything else (integers, bool) must be equal.
_TOLERANCES = {
    "float16": (1e-3, 1e-5),
    "bfloat16": (1.6e-2, 1e-5),
    "float32": (1.3e-6, 1e-5),
    "float64": (1e-7, 1e-7),
    "complex64": (1.3e-6, 1e-5),
    "complex128": (1e-7, 1e-7),
}


class _Unsupported(Exception):
    pass


def _tolerances(*dtypes: D.dtype) -> tuple[float, float]:
    tols = [_TOLERANCES.get(d.name, (0.0, 0.0)) for d in dtypes]
    return max(t[0] for t in tols), max(t[1] for t in tols)


def _mismatch_msg(kind: str, *, extra: str, abs_diff: Any, abs_idx: Any, atol: float,
                  rel_diff: Any, rel_idx: Any, rtol: float) -> str:
    equality = rtol == 0 and atol == 0

    def line(name: str, diff: Any, idx: Any, tol: float) -> str:
        msg = (f"{name.title()} difference: {diff}" if idx is None
               else f"Greatest {name} difference: {diff} at index {idx}")  # fmt: skip
        return msg + ("" if equality else f" (up to {tol} allowed)") + "\n"

    msg = f"{kind} are not {'equal' if equality else 'close'}!\n\n{extra}\n"
    msg += line("absolute", abs_diff, abs_idx, atol) + line("relative", rel_diff, rel_idx, rtol)
    return msg.strip()


def _scalar_msg(actual: Any, expected: Any, rtol: float, atol: float) -> str:
    abs_diff = abs(actual - expected)
    rel_diff = float("inf") if expected == 0 else abs_diff / abs(expected)
    return _mismatch_msg("Scalars", extra=f"Expected {expected} but got {actual}.",
                         abs_diff=abs_diff, abs_idx=None, atol=atol, rel_diff=rel_diff,
                         rel_idx=None, rtol=rtol)  # fmt: skip


def _isclose(a: np.ndarray, e: np.ndarray, rtol: float, atol: float, equal_nan: bool) -> Any:
    if a.dtype.kind not in "fc":
        if rtol == 0 and atol == 0:
            return a == e
        a, e = a.astype(np.float64), e.astype(np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        close = (a == e) | (np.isfinite(a) & np.isfinite(e)
                            & (np.abs(a - e) <= atol + rtol * np.abs(e)))  # fmt: skip
    if equal_nan:
        close |= np.isnan(a) & np.isnan(e)
    return close


def _first_max(x: np.ndarray) -> int:
    """``torch.max(x, 0)``'s index: NaN wins, ties go to the first."""
    nan = np.isnan(x) if x.dtype.kind in "fc" else None
    if nan is not None and nan.any():
        return int(np.flatnonzero(nan)[0])
    return int(np.argmax(x))


def _tensor_msg(a: np.ndarray, e: np.ndarray, matches: np.ndarray, rtol: float, atol: float) -> str:
    n = matches.size
    bad = n - int(matches.sum())
    extra = f"Mismatched elements: {bad} / {n} ({bad / n:.1%})"
    af, ef, mf = a.reshape(-1), e.reshape(-1), matches.reshape(-1)
    if a.dtype.kind not in "fc":  # torch: integers and bools are compared as int64
        af, ef = af.astype(np.int64), ef.astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        abs_diff = np.abs(af - ef)
        abs_diff[mf] = 0
        rel_diff = abs_diff / np.abs(ef)
        if rel_diff.dtype != abs_diff.dtype and abs_diff.dtype.kind == "i":
            rel_diff = rel_diff.astype(D.get_default_dtype().np)  # int / int is the default dtype
    rel_diff[mf] = 0
    ia, ir = _first_max(abs_diff), _first_max(rel_diff)
    shape = matches.shape
    return _mismatch_msg("Tensor-likes", extra=extra, abs_diff=abs_diff[ia].item(),
                         abs_idx=tuple(int(i) for i in np.unravel_index(ia, shape)), atol=atol,
                         rel_diff=rel_diff[ir].item(),
                         rel_idx=tuple(int(i) for i in np.unravel_index(ir, shape)), rtol=rtol)  # fmt: skip


def _as_tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else _wrap(np.asarray(x))


def _compare_tensors(actual: Any, expected: Any, *, rtol: Any, atol: Any, equal_nan: bool,
                     check_device: bool, check_dtype: bool) -> str | None:
    a, e = _as_tensor(actual), _as_tensor(expected)
    for attr, on in (("shape", True), ("device", check_device), ("dtype", check_dtype)):
        va, ve = getattr(a, attr), getattr(e, attr)
        if on and va != ve:
            return f"The values for attribute '{attr}' do not match: {va} != {ve}."
    if a.dtype != e.dtype:
        common = D.promote_types(a.dtype, e.dtype)
        a, e = a.to(common), e.to(common)
    if rtol is None:
        rtol, atol = _tolerances(_as_tensor(actual).dtype, _as_tensor(expected).dtype)
    an = np.asarray(a.detach().cpu()._array)
    en = np.asarray(e.detach().cpu()._array)
    matches = _isclose(an, en, rtol, atol, equal_nan)
    if matches.all():
        return None
    if an.ndim == 0:
        return _scalar_msg(an.item(), en.item(), rtol, atol)
    return _tensor_msg(an, en, matches, rtol, atol)


def _compare_numbers(actual: Any, expected: Any, *, rtol: Any, atol: Any, equal_nan: bool,
                     check_dtype: bool) -> str | None:
    if check_dtype and type(actual) is not type(expected):
        return f"The (d)types do not match: {type(actual)} != {type(expected)}."
    if rtol is None:
        def dt(x: Any) -> D.dtype:
            return D.complex128 if isinstance(x, complex) else D.float64 if isinstance(x, float) else D.int64  # noqa: E501

        rtol, atol = _tolerances(dt(actual), dt(expected))
    if actual == expected or (equal_nan and _isnan(actual) and _isnan(expected)):
        return None
    if all(map(math.isfinite, (abs(actual), abs(expected)))) and abs(actual - expected) <= atol + rtol * abs(expected):  # noqa: E501
        return None
    return _scalar_msg(actual, expected, rtol, atol)


def _isnan(x: Any) -> bool:
    return isinstance(x, float | complex) and x != x


def _is_number(x: Any) -> bool:
    return isinstance(x, bool | int | float | complex)


def _walk(actual: Any, expected: Any, path: str, **kw: Any) -> tuple[str, str] | None:
    """The first failing pair, as ``(message, path)``; ``None`` when everything is close."""
    seq = abc.Sequence
    if (isinstance(actual, seq) and isinstance(expected, seq)
            and not isinstance(actual, str) and not isinstance(expected, str)):  # fmt: skip
        if len(actual) != len(expected):
            return f"The length of the sequences mismatch: {len(actual)} != {len(expected)}", path
        for i, (a, e) in enumerate(zip(actual, expected)):
            r = _walk(a, e, f"{path}[{i}]", **kw)
            if r is not None:
                return r
        return None
    if isinstance(actual, abc.Mapping) and isinstance(expected, abc.Mapping):
        ka, ke = set(actual), set(expected)
        if ka != ke:
            return ("The keys of the mappings do not match:\n"
                    f"Missing keys in the actual mapping: {sorted(ke - ka)}\n"
                    f"Additional keys in the actual mapping: {sorted(ka - ke)}"), path  # fmt: skip
        for k in expected:
            r = _walk(actual[k], expected[k], f"{path}[{k!r}]", **kw)
            if r is not None:
                return r
        return None
    tensorish = (Tensor, np.ndarray)
    if isinstance(actual, tensorish) and isinstance(expected, tensorish):
        if not (isinstance(actual, type(expected)) or isinstance(expected, type(actual))):
            raise _Unsupported
        msg = _compare_tensors(actual, expected, **kw)
        return None if msg is None else (msg, path)
    if actual is None or expected is None:
        ok = actual is None and expected is None
        return None if ok else (f"None mismatch: {actual} is not {expected}", path)
    if isinstance(actual, bool | np.bool_) and isinstance(expected, bool | np.bool_):
        ok = bool(actual) == bool(expected)
        return None if ok else (f"Booleans mismatch: {actual} is not {expected}", path)
    if _is_number(actual) and _is_number(expected):
        kw = {k: v for k, v in kw.items() if k != "check_device"}
        msg = _compare_numbers(actual, expected, **kw)
        return None if msg is None else (msg, path)
    raise _Unsupported


def assert_close(actual: Any, expected: Any, *, allow_subclasses: bool = True, rtol: float | None = None,
                 atol: float | None = None, equal_nan: bool = False, check_device: bool = True,
                 check_dtype: bool = True, check_layout: bool = True, check_stride: bool = False,
                 msg: Any = None) -> None:
    r"""Raise ``AssertionError`` unless ``actual`` and ``expected`` are close.

    Closeness is ``|actual - expected| <= atol + rtol * |expected|`` with torch's per-dtype
    defaults (float32: ``rtol=1.3e-6, atol=1e-5``; float64: ``1e-7, 1e-7``; integers and bools
    must be equal). Sequences and mappings are compared item by item. ``msg`` replaces the
    message (a callable receives the generated one).
    """
    if (rtol is None) != (atol is None):
        raise ValueError(
            f"Both 'rtol' and 'atol' must be either specified or omitted, "
            f"but got no {'rtol' if rtol is None else 'atol'}."
        )
    try:
        failure = _walk(actual, expected, "", rtol=rtol, atol=atol, equal_nan=equal_nan,
                        check_device=check_device, check_dtype=check_dtype)  # fmt: skip
    except _Unsupported:
        raise TypeError(
            f"No comparison pair was able to handle inputs of type {type(actual)} "
            f"and {type(expected)}."
        ) from None
    if failure is None:
        return
    text, path = failure
    if path:
        text += f"\n\nThe failure occurred for item {path}"
    if callable(msg):
        text = msg(text)
    elif msg is not None:
        text = msg
    raise AssertionError(text)


def make_tensor(*shape: Any, dtype: D.dtype, device: Any, low: float | None = None,
                high: float | None = None, requires_grad: bool = False,
                noncontiguous: bool = False, exclude_zero: bool = False,
                memory_format: Any = None) -> Tensor:
    r"""A tensor of ``shape`` filled with uniform random values in ``[low, high)``.

    Defaults: ``[-9, 9)`` for floats, ``[-9, 10)`` for integers (``[0, 10)`` unsigned), random
    bools for ``bool``. ``exclude_zero`` replaces zeros with the dtype's smallest step.
    """
    from ._factory import tensor  # noqa: PLC0415
    from ._random import _gen  # noqa: PLC0415

    if len(shape) == 1 and isinstance(shape[0], abc.Sequence):
        shape = tuple(shape[0])
    shape = tuple(int(s) for s in shape)
    if requires_grad and not (dtype.is_floating_point or dtype.is_complex):
        raise ValueError(
            "`requires_grad=True` is not supported for boolean and integral dtypes, "
            f"but got dtype={dtype}"
        )
    rng = _gen(None)
    full = shape[:-1] + (shape[-1] * 2,) if noncontiguous and shape and math.prod(shape) > 1 else shape  # noqa: E501
    npdt = dtype.np if dtype.np is not None else np.dtype(np.float32)  # bfloat16: via float32
    if dtype == D.bool:
        arr = rng.integers(0, 2, full).astype(bool)
    else:
        lo_default, hi_default = (-9, 9) if dtype.is_floating_point or dtype.is_complex else (-9, 10)  # noqa: E501
        if dtype.name.startswith("uint"):
            lo_default = 0
        lo = lo_default if low is None else low
        hi = hi_default if high is None else high
        if math.isnan(lo) or math.isnan(hi):
            raise ValueError(f"`low` and `high` cannot be NaN, but got low={lo} and high={hi}")
        if lo >= hi:
            raise ValueError(f"`low` must be less than `high`, but got {lo} >= {hi}")
        if dtype.is_floating_point or dtype.is_complex:
            arr = rng.uniform(lo, hi, full)
            if dtype.is_complex:
                arr = arr + 1j * rng.uniform(lo, hi, full)
        else:
            info = np.iinfo(npdt)
            arr = rng.integers(max(math.ceil(lo), info.min), min(math.ceil(hi), info.max + 1), full)  # noqa: E501
        arr = arr.astype(npdt if dtype.is_floating_point or dtype.is_complex else np.int64)
        if exclude_zero:
            step = np.finfo(arr.dtype).tiny if arr.dtype.kind in "fc" else 1
            arr[arr == 0] = step
    t = tensor(arr, dtype=dtype)
    if full != shape:
        t = t[..., ::2]
    if device is not None and str(device) != "cpu":
        t = t.to(device)
    if requires_grad:
        t.requires_grad_(True)
    return t

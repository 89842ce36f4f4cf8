"""Tensor printing: torch's ``repr(tensor)`` layout, byte for byte, computed from a NumPy array."""

from __future__ import annotations

import contextlib
import dataclasses
import math
from collections.abc import Iterator
from typing import Any

import numpy as np

__all__ = ["format_tensor", "get_printoptions", "printoptions", "set_printoptions"]


@dataclasses.dataclass
class _PrinterOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


PRINT_OPTS = _PrinterOptions()

_PROFILES: dict[str, dict[str, float]] = {
    "default": {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80},
    "short": {"precision": 2, "threshold": 1000, "edgeitems": 2, "linewidth": 80},
    "full": {"precision": 4, "threshold": math.inf, "edgeitems": 3, "linewidth": 80},
}

# The element types torch can hold; NumPy and torch spell them the same way.
_DTYPES = frozenset(
    ("bool", "uint8", "int8", "int16", "int32", "int64", "uint16", "uint32", "uint64")
    + ("float16", "bfloat16", "float32", "float64", "complex64", "complex128")
)
_UNSUPPORTED_DTYPE = (
    "can't print an array of type {}. The only supported types are: float64, float32, "
    "float16, bfloat16, complex64, complex128, int64, int32, int16, int8, uint64, uint32, "
    "uint16, uint8, and bool."
)


def set_printoptions(
    precision: int | None = None,
    threshold: float | None = None,
    edgeitems: int | None = None,
    linewidth: int | None = None,
    profile: str | None = None,
    sci_mode: bool | None = None,
) -> None:
    r"""Set the options used when tensors are printed (the same options as NumPy's).

    Args:
        precision: digits after the decimal point for floating point values (default 4).
        threshold: tensors with more elements than this are summarized with ``...``
            (default 1000).
        edgeitems: items kept at the start and end of each summarized dimension (default 3).
        linewidth: characters per line before a row of values wraps (default 80).
        profile: ``"default"``, ``"short"`` or ``"full"``: a preset, applied before the
            other arguments so they can override it.
        sci_mode: ``True`` forces scientific notation, ``False`` forbids it, and ``None``
            (the default) lets each tensor choose from the range of its values.

    Examples::

        >>> set_printoptions(precision=2)
        >>> get_printoptions()["precision"]
        2
        >>> set_printoptions(profile="default")
    """
    if profile is not None:
        for name, value in _PROFILES[profile].items():
            setattr(PRINT_OPTS, name, value)
    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    # torch: sci_mode is always assigned, so any call without it resets it to None.
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions() -> dict[str, Any]:
    """The current print options, as keyword arguments for :func:`set_printoptions`."""
    return dataclasses.asdict(PRINT_OPTS)


@contextlib.contextmanager
def printoptions(**kwargs: Any) -> Iterator[None]:
    """Change the print options inside a ``with`` block; they are restored on exit."""
    old = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**old)


# ---------------------------------------------------------------------------------------------
# Element formatting
# ---------------------------------------------------------------------------------------------


class _Formatter:
    """Formats the values of one real array at a common width, in integer, fixed or sci mode."""

    def __init__(self, values: np.ndarray) -> None:
        self.floating = values.dtype.kind == "f"
        self.int_mode = True
        self.sci_mode = False
        self.width = 1
        if not self.floating:
            self.width = max([1, *(len(str(v)) for v in values.ravel().tolist())])
            return
        flat = values.ravel()
        # Width and mode come from the nonzero finite values only: nan, inf and 0 just get padded.
        nonzero = flat[np.isfinite(flat) & (flat != 0)].astype(np.float64)
        if nonzero.size == 0:
            return
        self.int_mode = bool(np.all(nonzero == np.ceil(nonzero)))
        self.sci_mode = (
            _wants_sci(np.abs(nonzero))
            if PRINT_OPTS.sci_mode is None
            else bool(PRINT_OPTS.sci_mode)
        )
        if self.sci_mode:
            spec, extra = f".{PRINT_OPTS.precision}e", 0
        elif self.int_mode:
            spec, extra = ".0f", 1  # the "." that int-valued floats get
        else:
            spec, extra = f".{PRINT_OPTS.precision}f", 0
        self.width = max(len(format(v, spec)) + extra for v in nonzero.tolist())

    def format(self, value: float) -> str:
        """``value`` (a Python float, int or bool) right-aligned to the common width."""
        if not self.floating:
            text = str(value)
        elif self.sci_mode:
            text = format(value, f".{PRINT_OPTS.precision}e")
        elif self.int_mode:
            text = format(value, ".0f")
            if math.isfinite(value):
                text += "."
        else:
            text = format(value, f".{PRINT_OPTS.precision}f")
        return text.rjust(self.width)


def _wants_sci(magnitudes: np.ndarray) -> bool:
    """Choose scientific notation as torch does: when the values span a wide or extreme range."""
    lo, hi = magnitudes.min(), magnitudes.max()
    with np.errstate(over="ignore"):  # 1e300 / 1e-300 is inf, which rightly means "wide"
        ratio = hi / lo
    return bool(ratio > 1000.0 or hi > 1.0e8 or lo < 1.0e-4)


class _ComplexFormatter:
    """Formats complex values as ``real+imagj``, each part with its own :class:`_Formatter`."""

    def __init__(self, values: np.ndarray) -> None:
        self.real, self.imag = _Formatter(values.real), _Formatter(values.imag)
        self.width = self.real.width + self.imag.width + 1  # the "j"

    def format(self, value: complex) -> str:
        """``value`` as ``a+bj``, the real part padded and the imaginary part not."""
        real = self.real.format(value.real)
        imag = (self.imag.format(value.imag) + "j").lstrip()
        # a sign already separates the parts for negative numbers and -0.0
        return real + imag if imag[0] in "+-" else real + "+" + imag


# ---------------------------------------------------------------------------------------------
# Layout
# ---------------------------------------------------------------------------------------------


def _summarized(x: np.ndarray) -> np.ndarray:
    """The values a summarized print shows: ``edgeitems`` from each end of every long axis."""
    e = PRINT_OPTS.edgeitems
    if x.ndim == 0:
        return x
    if not e:
        return x[:0]  # the print is just "[...]": no value is shown
    for axis, n in enumerate(x.shape):
        if n > 2 * e:
            x = np.take(x, [*range(e), *range(n - e, n)], axis=axis)
    return x


def _vector_str(x: np.ndarray, indent: int, summarize: bool, fmt: Any) -> str:
    """A 1-D array, wrapped to the line width with continuation lines under the first value."""
    e = PRINT_OPTS.edgeitems
    per_line = max(1, (PRINT_OPTS.linewidth - indent) // (fmt.width + 2))  # 2 for ", "
    if summarize and not e:
        data = ["..."]
    elif summarize and len(x) > 2 * e:
        data = [fmt.format(v) for v in x[:e].tolist()]
        data += [" ..."] + [fmt.format(v) for v in x[-e:].tolist()]
    else:
        data = [fmt.format(v) for v in x.tolist()]
    lines = [", ".join(data[i : i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested_str(x: np.ndarray, indent: int, summarize: bool, fmt: Any) -> str:
    """Nested brackets; the blocks of an n-D array are separated by n - 2 blank lines."""
    if x.ndim == 0:
        return fmt.format(x.item())
    if x.ndim == 1:
        return _vector_str(x, indent, summarize, fmt)
    e, n = PRINT_OPTS.edgeitems, x.shape[0]
    rows = [*range(e), None, *range(n - e, n)] if summarize and n > 2 * e else range(n)
    parts = ["..." if i is None else _nested_str(x[i], indent + 1, summarize, fmt) for i in rows]
    return "[" + ("," + "\n" * (x.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def _add_suffixes(text: str, suffixes: list[str], indent: int) -> str:
    """Append ``, suffix`` items, each starting a new line when it would pass the line width."""
    # torch: this overcounts the last line by two characters; the wrapping depends on it.
    last_line_len = len(text) - text.rfind("\n") + 1
    out = [text]
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > PRINT_OPTS.linewidth:
            out.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
        else:
            out.append(", " + suffix)
            last_line_len += len(suffix) + 2
    return "".join(out) + ")"


def format_tensor(
    array: np.ndarray,
    suffixes: list[str],
    *,
    indent: int = 7,
    default_dtype: str = "float32",
    dtype_name: str | None = None,
) -> str:
    """What torch's ``repr`` prints for a CPU tensor holding ``array``, ``tensor(...)`` included.

    ``suffixes`` are the caller's extras in torch's order (``device=...`` first, then
    ``grad_fn=<...>`` or ``requires_grad=True``). ``size=`` and ``dtype=`` are added here, after
    any ``device=`` items, as torch does. ``indent`` is the width of the ``tensor(`` prefix and
    ``default_dtype`` the name of the default floating dtype, whose ``dtype=`` is omitted.
    ``dtype_name`` names the tensor's dtype when ``array`` holds its values in a wider type
    (``"bfloat16"`` for a float32 copy of a bfloat16 tensor).
    """
    x = np.asarray(array)
    name = dtype_name or x.dtype.name
    if name not in _DTYPES:
        raise TypeError(_UNSUPPORTED_DTYPE.format(x.dtype))
    if x.dtype.kind not in "biufc":  # bfloat16 (ml_dtypes): float32 holds every value exactly
        x = x.astype(np.float32)
    own = []
    if x.size == 0:
        body = "[]"
        # torch: empty tensors show their shape unless it is (0,), and any non-default dtype
        if x.ndim != 1:
            own.append(f"size={tuple(x.shape)}")
        if name != default_dtype:
            own.append(f"dtype=torch.{name}")
    else:
        if not PRINT_OPTS.edgeitems:
            own.append(f"size={tuple(x.shape)}")
        default_complex = "complex128" if default_dtype == "float64" else "complex64"
        if name not in (default_dtype, default_complex, "int64", "bool"):
            own.append(f"dtype=torch.{name}")
        body = _tensor_str(x, indent)
    n_device = 0
    while n_device < len(suffixes) and suffixes[n_device].startswith("device="):
        n_device += 1
    ordered = [*suffixes[:n_device], *own, *suffixes[n_device:]]
    return _add_suffixes("tensor(" + body, ordered, indent)


def _tensor_str(x: np.ndarray, indent: int) -> str:
    """The bracketed values of a non-empty array."""
    summarize = x.size > PRINT_OPTS.threshold
    shown = _summarized(x) if summarize else x
    fmt = _ComplexFormatter(shown) if x.dtype.kind == "c" else _Formatter(shown)
    return _nested_str(x, indent, summarize, fmt)

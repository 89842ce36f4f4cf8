"""Comparison ops, as torch's docs group them, with the logic, bitwise and integer ops.

``eq``, ``lt``, ... and the predicates (``isnan``, ``isclose``, ``equal``, ...) return bool tensors
or Python bools, the logic, bitwise and integer ops (``gcd``, shifts) bool or integer tensors: none
of them records a graph. ``maximum`` and ``minimum`` are the exception, with a gradient. Also
here: ``isin``, and ``searchsorted``/``bucketize``, which find where values fall among sorted ones.
They are ``ember.eq``, ``Tensor.eq`` and so on; ``ember._ops.elementwise`` re-exports them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor
from ..autograd.function import Op
from .elementwise import _SCALAR_TYPE, _arr, _checked, _nodiff, _out, _promote, _xp
from .shape import sum_to

__all__ = [
    "eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less", "less_equal",
    "not_equal", "logical_and", "logical_or", "logical_xor", "logical_not", "bitwise_and",
    "bitwise_or", "bitwise_xor", "bitwise_not", "bitwise_left_shift", "bitwise_right_shift",
    "gcd", "lcm", "isnan", "isinf", "isfinite", "isposinf", "isneginf", "isreal", "signbit",
    "isclose", "allclose", "equal", "is_nonzero", "is_same_size", "isin", "searchsorted",
    "bucketize", "maximum", "minimum", "fmax", "fmin",
]  # fmt: skip


# --- comparisons, logic and bitwise ops -------------------------------------------------------


def _cmp(f: Any, name: str) -> Any:
    def fn(input: Any, other: Any, *, out: Tensor | None = None) -> Tensor:
        a, b, s = _promote(input, other)
        return _out(_nodiff(f(a._array, _arr(b, s))), out)

    fn.__name__ = name
    fn.__doc__ = f"Elementwise ``{name}`` comparison, a bool tensor."
    return fn


eq = _cmp(np.equal, "eq")
ne = not_equal = _cmp(np.not_equal, "ne")
lt = less = _cmp(np.less, "lt")
le = less_equal = _cmp(np.less_equal, "le")
gt = greater = _cmp(np.greater, "gt")
ge = greater_equal = _cmp(np.greater_equal, "ge")


def _logic(f: Any, name: str) -> Any:
    def fn(input: Tensor, other: Any) -> Tensor:
        o = other._array if isinstance(other, Tensor) else other
        return _nodiff(f(input._array, o))

    fn.__name__ = name
    fn.__doc__ = f"Elementwise ``{name}``."
    return fn


logical_and = _logic(np.logical_and, "logical_and")
logical_or = _logic(np.logical_or, "logical_or")
logical_xor = _logic(np.logical_xor, "logical_xor")


def logical_not(input: Tensor) -> Tensor:
    """Elementwise NOT, a bool tensor."""
    return _nodiff(np.logical_not(input._array))


def _bitwise(f: Any, name: str) -> Any:
    def fn(input: Tensor, other: Any) -> Tensor:
        o = other._array if isinstance(other, Tensor) else other
        if input.dtype._cat >= 2 or (isinstance(other, Tensor) and other.dtype._cat >= 2):
            raise RuntimeError(f'"{name}_cpu" not implemented for \'{input.dtype.name.capitalize()}\'')  # noqa: E501
        return _nodiff(f(input._array, o))

    fn.__name__ = name
    fn.__doc__ = f"Elementwise ``{name}`` (integer and bool tensors)."
    return fn


bitwise_and = _bitwise(np.bitwise_and, "bitwise_and")
bitwise_or = _bitwise(np.bitwise_or, "bitwise_or")
bitwise_xor = _bitwise(np.bitwise_xor, "bitwise_xor")


def bitwise_not(input: Tensor) -> Tensor:
    """``~input`` for integer and bool tensors."""
    if input.dtype._cat >= 2:
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type tensors")  # noqa: E501
    return _nodiff(np.invert(input._array))


def _integer_op(f: Any, name: str) -> Any:
    def fn(input: Tensor, other: Any) -> Tensor:
        for t in (input, other):
            if isinstance(t, Tensor) and t.dtype._cat >= 2:
                st = _SCALAR_TYPE.get(t.dtype.name, t.dtype.name.capitalize())
                raise NotImplementedError(f'"{name}_cpu" not implemented for \'{st}\'')
        a, b, s = _promote(input, other)
        return _nodiff(f(a._array, _arr(b, s)))

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Elementwise ``{name}`` of integer tensors."
    return fn


gcd = _integer_op(np.gcd, "gcd")
lcm = _integer_op(np.lcm, "lcm")
bitwise_left_shift = _integer_op(np.left_shift, "lshift")
bitwise_right_shift = _integer_op(np.right_shift, "rshift")
bitwise_left_shift.__name__ = bitwise_left_shift.__qualname__ = "bitwise_left_shift"
bitwise_right_shift.__name__ = bitwise_right_shift.__qualname__ = "bitwise_right_shift"


# --- predicates -------------------------------------------------------------------------------


def isnan(input: Tensor) -> Tensor:
    """True where NaN."""
    return _nodiff(np.isnan(input._array))


def isinf(input: Tensor) -> Tensor:
    """True where +/-inf."""
    return _nodiff(np.isinf(input._array))


def isfinite(input: Tensor) -> Tensor:
    """True where finite."""
    return _nodiff(np.isfinite(input._array))


def isposinf(input: Tensor) -> Tensor:
    """True where ``+inf``."""
    return _nodiff(np.isposinf(input._array) if input._array.dtype.kind == "f" else input._array != input._array)  # noqa: E501


def isneginf(input: Tensor) -> Tensor:
    """True where ``-inf``."""
    return _nodiff(np.isneginf(input._array) if input._array.dtype.kind == "f" else input._array != input._array)  # noqa: E501


def isreal(input: Tensor) -> Tensor:
    """True where the imaginary part is 0 (everywhere, for a real tensor)."""
    return _nodiff(np.isreal(input._array))


def signbit(input: Tensor) -> Tensor:
    """True where the sign bit is set."""
    return _nodiff(np.signbit(input._array))


def isclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> Tensor:  # noqa: E501
    """``|input - other| <= atol + rtol * |other|`` elementwise."""
    if input.dtype is not other.dtype:
        raise RuntimeError(f"{input.dtype} did not match {other.dtype}")
    return _nodiff(np.isclose(input._array, other._array, rtol=rtol, atol=atol, equal_nan=equal_nan))


def allclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:  # noqa: E501
    """Whether every element is close (see ``isclose``)."""
    return bool(isclose(input, other, rtol, atol, equal_nan).all())


def equal(input: Tensor, other: Tensor) -> bool:
    """True when the shapes and all elements are equal."""
    return input.shape == other.shape and bool(np.array_equal(input._array, other._array))


def is_nonzero(input: Tensor) -> bool:
    """The truth value of a one-element tensor."""
    n = input.numel()
    if n == 0:
        raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
    if n > 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return bool(input._array.reshape(()))


def is_same_size(input: Tensor, other: Tensor) -> bool:
    """Whether the two shapes are equal."""
    return tuple(input.shape) == tuple(other.shape)


# --- maximum and minimum: the comparisons with a gradient -------------------------------------


def maximum(input: Tensor, other: Tensor) -> Tensor:
    """Elementwise max of two tensors (the gradient is split evenly at ties, as in torch)."""
    return _checked(_MaxMin, *_promote(input, other)[:2], fn="max")


def minimum(input: Tensor, other: Tensor) -> Tensor:
    """Elementwise min of two tensors."""
    return _checked(_Minimum, *_promote(input, other)[:2], fn="min")


fmax, fmin = maximum, minimum


class _MaxMin(Op, node_name="MaximumBackward0"):
    @staticmethod
    def forward(ctx: Any, a: Tensor, b: Tensor, fn: str = "max") -> Any:
        x, y = a._array, b._array
        if ctx.recording:
            ctx.save_for_backward(a, b)
            ctx.fn = fn
        xp = _xp(x)
        return xp.maximum(x, y) if fn == "max" else xp.minimum(x, y)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any, Any]:
        a, b = ctx.saved_tensors
        win = (a > b) if ctx.fn == "max" else (a < b)
        tie = (a == b).to(grad.dtype) * 0.5
        wa = win.to(grad.dtype) + tie
        wb = 1 - wa
        ga, gb = ctx.needs_input_grad
        return (sum_to(grad * wa, a.shape) if ga else None), (sum_to(grad * wb, b.shape) if gb else None)  # noqa: E501


class _Minimum(_MaxMin, node_name="MinimumBackward0"):
    pass


# --- where values fall: membership and sorted search ------------------------------------------


def isin(elements: Any, test_elements: Any, *, assume_unique: bool = False, invert: bool = False) -> Tensor:  # noqa: E501
    """True where an element of ``elements`` is in ``test_elements``."""
    e = elements._array if isinstance(elements, Tensor) else np.asarray(elements)
    t = test_elements._array if isinstance(test_elements, Tensor) else np.asarray(test_elements)
    return _nodiff(np.isin(e, t, assume_unique=assume_unique, invert=invert))


def searchsorted(sorted_sequence: Tensor, input: Any, *, out_int32: bool = False, right: bool = False, side: str | None = None, sorter: Tensor | None = None) -> Tensor:  # noqa: E501
    """Indices where ``input``'s values would be inserted into the (innermost, sorted) rows of
    ``sorted_sequence`` to keep them sorted."""
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}")  # noqa: E501
        if right and side == "left":
            raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, "
                               "got side of left while right was True")  # fmt: skip
        right = side == "right"
    seq = sorted_sequence._array
    if sorter is not None:
        seq = np.take_along_axis(seq, sorter._array, -1)
    scalar = not isinstance(input, Tensor)
    v = np.asarray(input) if scalar else input._array
    how = "right" if right else "left"
    if seq.ndim == 1:
        r = np.searchsorted(seq, v, how)
    else:
        if v.shape[:-1] != seq.shape[:-1]:
            raise RuntimeError("torch.searchsorted(): boundaries tensor should be 1 dimension or "
                               "the first N-1 dimensions of boundaries tensor and input value "
                               "tensor must match, but we got boundaries tensor "
                               f"{list(seq.shape)} and input value tensor {list(v.shape)}")  # fmt: skip
        # perf: one searchsorted on rows offset so that they do not overlap, not one per row
        rows_s = seq.reshape(-1, seq.shape[-1]).astype(np.float64)
        rows_v = v.reshape(-1, v.shape[-1]).astype(np.float64)
        lo = np.minimum(rows_s.min(initial=0), rows_v.min(initial=0))
        span = np.maximum(rows_s.max(initial=0), rows_v.max(initial=0)) - lo + 1
        if np.isfinite(span) and span * rows_s.shape[0] < 2.0**52:  # offsets stay exact
            off = (np.arange(rows_s.shape[0]) * span)[:, None]
            flat = np.searchsorted((rows_s - lo + off).ravel(), (rows_v - lo + off).ravel(), how)
            r = flat.reshape(rows_v.shape) - np.arange(rows_s.shape[0])[:, None] * seq.shape[-1]
        else:  # inf/NaN or huge ranges: row by row
            r = np.stack([np.searchsorted(a, b, how) for a, b in zip(rows_s, rows_v)])
        r = r.reshape(v.shape)
    return _nodiff(np.asarray(r, np.int32 if out_int32 else np.int64))


def bucketize(input: Any, boundaries: Tensor, *, out_int32: bool = False, right: bool = False) -> Tensor:  # noqa: E501
    """The bucket of each element of ``input`` among the 1-D sorted ``boundaries``."""
    if boundaries.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries.ndim})")  # noqa: E501
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)

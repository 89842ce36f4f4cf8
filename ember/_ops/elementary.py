"""Elementary functions: exp, log, powers and roots, trig and hyperbolic functions and their
inverses, and the functions composed of them (sigmoid, logit, sinc, hypot, atan2, xlogy,
logaddexp, frexp, ldexp); ``special.py`` holds the special functions (erf, the gamma family).

The one-input ops are built by ``elementwise._unary_op`` from a forward and a backward formula.
They are ``ember.exp``, ``Tensor.exp`` and so on; ``ember._ops.elementwise`` re-exports them.
"""

from __future__ import annotations

import math
import operator
from typing import Any

import numpy as np

from .._dtype import get_default_dtype, result_type
from .._tensor import Tensor
from ..autograd.function import Op
from .compare import logical_and, maximum
from .elementwise import _float_in, _nodiff, _unary_op, _xp, mul, where
from .shape import sum_to

__all__ = [
    "exp", "exp2", "log", "log2", "log10", "log1p", "expm1", "sqrt", "rsqrt", "reciprocal",
    "sin", "cos", "tan", "asin", "acos", "atan", "atan2", "sinh", "cosh", "tanh", "asinh",
    "acosh", "atanh", "sigmoid", "arccos", "arcsin", "arctan", "arctan2", "arccosh", "arcsinh",
    "arctanh", "hypot", "xlogy", "logaddexp", "logaddexp2", "logit", "sinc", "frexp", "ldexp",
]  # fmt: skip


# --- exp, log, roots, trig and hyperbolic functions -------------------------------------------

Exp, exp = _unary_op("exp", np.exp, lambda g, a, y: g * y, save_output=True, bwd_array=operator.mul)
Exp2, exp2 = _unary_op("exp2", np.exp2, lambda g, a, y: g * y * math.log(2.0), save_output=True)
Log, log = _unary_op("log", np.log, lambda g, a, y: g / a)
Log2, log2 = _unary_op("log2", np.log2, lambda g, a, y: g / (a * math.log(2.0)))
Log10, log10 = _unary_op("log10", np.log10, lambda g, a, y: g / (a * math.log(10.0)))
Log1p, log1p = _unary_op("log1p", np.log1p, lambda g, a, y: g / (a + 1), node_name="Log1PBackward0")
Expm1, expm1 = _unary_op("expm1", np.expm1, lambda g, a, y: g * (y + 1), save_output=True)
Sqrt, sqrt = _unary_op("sqrt", np.sqrt, lambda g, a, y: g / (y * 2), save_output=True)
Rsqrt, rsqrt = _unary_op("rsqrt", lambda x: 1 / np.sqrt(x), lambda g, a, y: g * y**3 * -0.5, save_output=True)  # noqa: E501
Sin, sin = _unary_op("sin", np.sin, lambda g, a, y: g * cos(a))
Cos, cos = _unary_op("cos", np.cos, lambda g, a, y: -g * sin(a))
Tan, tan = _unary_op("tan", np.tan, lambda g, a, y: g * (y * y + 1), save_output=True)
Asin, asin = _unary_op("asin", np.arcsin, lambda g, a, y: g * rsqrt(1 - a * a))
Acos, acos = _unary_op("acos", np.arccos, lambda g, a, y: -g * rsqrt(1 - a * a))
Atan, atan = _unary_op("atan", np.arctan, lambda g, a, y: g / (a * a + 1))
Sinh, sinh = _unary_op("sinh", np.sinh, lambda g, a, y: g * cosh(a))
Cosh, cosh = _unary_op("cosh", np.cosh, lambda g, a, y: g * sinh(a))


def _tanh_backward(g: Any, y: Any) -> Any:
    # perf: g - g*y*y, three array-array passes (Python scalars are slow NumPy operands)
    d = g * y
    d *= y
    return g - d


Tanh, tanh = _unary_op("tanh", np.tanh, lambda g, a, y: TanhBackward.apply(g, y), save_output=True,
                       bwd_array=_tanh_backward)  # fmt: skip


class TanhBackward(Op):
    """``grad * (1 - y**2)``: torch's ``tanh_backward``, one op so backward stays cheap."""

    @staticmethod
    def forward(ctx: Any, g: Tensor, y: Tensor) -> Any:
        if ctx.recording:
            ctx.save_for_backward(g, y)
        return _tanh_backward(g._array, y._array)

    @staticmethod
    def backward(ctx: Any, gg: Tensor) -> tuple[Any, Any]:
        g, y = ctx.saved_tensors
        need_g, need_y = ctx.needs_input_grad
        return (gg * (1 - y * y) if need_g else None), (gg * g * y * -2 if need_y else None)


Asinh, asinh = _unary_op("asinh", np.arcsinh, lambda g, a, y: g * rsqrt(a * a + 1))
Acosh, acosh = _unary_op("acosh", np.arccosh, lambda g, a, y: g * rsqrt(a * a - 1))
Atanh, atanh = _unary_op("atanh", np.arctanh, lambda g, a, y: g / (1 - a * a))
Reciprocal, reciprocal = _unary_op("reciprocal", lambda x: 1 / x, lambda g, a, y: -g * y * y, save_output=True)  # noqa: E501


# perf: 0.5 as a 0-d array of the operand's dtype: NumPy takes it at half the cost of a Python
# float (same result: a Python float operand is cast to the array's dtype first anyway)


def _sigmoid(x: Any) -> Any:
    """``1 / (1 + exp(-x))``: torch's formula, which keeps the left tail's relative precision.

    Where ``exp(-x)`` overflows to inf the result is exactly 0, as in torch (the overflow is the
    formula working, so its warning is silenced)."""
    if x.dtype == np.float16:  # torch computes half in float32 and rounds once
        return _sigmoid(x.astype(np.float32)).astype(np.float16)
    if type(x) is np.ndarray and x.ndim:
        # perf: four in-place passes
        y = np.negative(x)
        with np.errstate(over="ignore"):
            np.exp(y, out=y)
        y += 1
        np.reciprocal(y, out=y)
        return y
    xp = _xp(x)
    with np.errstate(over="ignore"):
        return (1 / (1 + xp.exp(-x))).astype(x.dtype, copy=False)


def _sigmoid_backward(g: Any, y: Any) -> Any:
    # perf: g*y - g*y*y, three array-array passes
    gy = g * y
    d = gy * y
    gy -= d
    return gy


Sigmoid, sigmoid = _unary_op("sigmoid", _sigmoid, lambda g, a, y: SigmoidBackward.apply(g, y), save_output=True,  # noqa: E501
                             bwd_array=_sigmoid_backward)  # fmt: skip


class SigmoidBackward(Op):
    """``grad * y * (1 - y)``: torch's ``sigmoid_backward`` as one op."""

    @staticmethod
    def forward(ctx: Any, g: Tensor, y: Tensor) -> Any:
        if ctx.recording:
            ctx.save_for_backward(g, y)
        return _sigmoid_backward(g._array, y._array)

    @staticmethod
    def backward(ctx: Any, gg: Tensor) -> tuple[Any, Any]:
        g, y = ctx.saved_tensors
        need_g, need_y = ctx.needs_input_grad
        return (gg * y * (1 - y) if need_g else None), (gg * g * (1 - 2 * y) if need_y else None)


# --- built on them ----------------------------------------------------------------------------


def atan2(input: Tensor, other: Tensor) -> Tensor:
    """``atan(input / other)`` in the right quadrant."""
    y, x = _float_in(input), _float_in(other)
    if not (y.requires_grad or x.requires_grad):
        return _nodiff(np.arctan2(y._array, x._array))
    r2 = x * x + y * y
    return _Atan2.apply(y, x, r2=r2)


class _Atan2(Op, node_name="Atan2Backward0"):
    @staticmethod
    def forward(ctx: Any, y: Tensor, x: Tensor, r2: Tensor | None = None) -> Any:
        ctx.save_for_backward(y, x)
        return np.arctan2(y._array, x._array)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any, Any]:
        y, x = ctx.saved_tensors
        r2 = x * x + y * y
        return sum_to(grad * x / r2, y.shape), sum_to(-grad * y / r2, x.shape)


def hypot(input: Tensor, other: Tensor) -> Tensor:
    """``sqrt(input**2 + other**2)``."""
    return sqrt(input * input + other * other)


def xlogy(input: Any, other: Any) -> Tensor:
    """``input * log(other)``, 0 where ``input`` is 0 (and ``other`` is not NaN)."""
    return _XLogY.apply(*_float_pair(input, other))


def xlog1py(input: Any, other: Any) -> Tensor:
    """``input * log1p(other)``, 0 where ``input`` is 0 (and ``other`` is not NaN)."""
    return _XLog1PY.apply(*_float_pair(input, other))


def _float_pair(input: Any, other: Any) -> tuple[Tensor, Tensor]:
    """Both operands as tensors of their promoted dtype, or the default float for integers."""
    x = input if isinstance(input, Tensor) else other.new_tensor(input)
    y = other if isinstance(other, Tensor) else x.new_tensor(other)
    dt = result_type(input, other)
    dt = dt if dt.is_floating_point else get_default_dtype()
    return x.to(dt), y.to(dt)


class _XLogY(Op, node_name="XlogyBackward0"):
    """``x * log(y)`` with torch's special cases: 0 where x is 0 unless y is NaN, and -inf or NaN
    where the log is, without NumPy's log(0) warning."""

    log = staticmethod(np.log)
    pole = 0.0

    @classmethod
    def forward(cls, ctx: Any, x: Tensor, y: Tensor) -> Any:
        if ctx.recording:
            ctx.save_for_backward(x, y)
        a, b = x._array, y._array
        with np.errstate(divide="ignore", invalid="ignore"):
            r = a * cls.log(b)
        return np.where((a == 0) & (b == b), r.dtype.type(0), r)

    @classmethod
    def backward(cls, ctx: Any, grad: Tensor) -> tuple[Any, Any]:
        # torch: d/dx = xlogy(grad, y), but 0 where x == 0 and y is at or past the log's pole;
        # d/dy = x / y (x / (1 + y) for log1p), inf and NaN included
        x, y = ctx.saved_tensors
        need_x, need_y = ctx.needs_input_grad
        gx = gy = None
        with np.errstate(divide="ignore", invalid="ignore"):
            if need_x:
                off = (x == 0) & (y <= cls.pole)
                gx = sum_to(where(off, grad.new_zeros(()), cls.apply(grad, y)), x.shape)
            if need_y:
                gy = sum_to(grad * x / (y - cls.pole), y.shape)
        return gx, gy


class _XLog1PY(_XLogY, node_name="SpecialXlog1PyBackward0"):
    """``x * log1p(y)``, as ``_XLogY``."""

    log = staticmethod(np.log1p)
    pole = -1.0


def logaddexp(input: Tensor, other: Tensor) -> Tensor:
    """``log(exp(input) + exp(other))`` without overflow."""
    m = maximum(input, other).detach()
    return m + log(exp(input - m) + exp(other - m))


def logaddexp2(input: Tensor, other: Tensor) -> Tensor:
    """``log2(2**input + 2**other)`` without overflow."""
    m = maximum(input, other).detach()
    return m + log2(exp2(input - m) + exp2(other - m))


class Logit(Op):
    @staticmethod
    def forward(ctx: Any, a: Tensor, eps: float | None = None) -> Any:
        ctx.eps = eps
        if ctx.recording:
            ctx.save_for_backward(a)
        x = a._array if eps is None else a._array.clip(eps, 1 - eps)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(x / (1 - x))

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        (a,) = ctx.saved_tensors
        g = grad / (a * (1 - a))
        if ctx.eps is None:
            return g
        inside = logical_and(a >= ctx.eps, a <= 1 - ctx.eps)  # clamped: no gradient
        return where(inside, g, g.new_zeros(()))


def logit(input: Tensor, eps: float | None = None) -> Tensor:
    """``log(p / (1 - p))``, with ``p`` clamped to ``[eps, 1 - eps]`` when ``eps`` is given."""
    return Logit.apply(_float_in(input), eps=eps)


class Sinc(Op):
    @staticmethod
    def forward(ctx: Any, a: Tensor) -> Any:
        if ctx.recording:
            ctx.save_for_backward(a)
        return np.sinc(a._array)  # NumPy's sinc is the normalised one, as torch's

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        # d/dx sin(pi x)/(pi x) = (cos(pi x) - sinc(x)) / x, and 0 at x = 0
        (a,) = ctx.saved_tensors
        zero = a == 0
        safe = where(zero, a.new_ones(()), a)
        d = (cos(safe * math.pi) - Sinc.apply(safe)) / safe
        return grad * where(zero, a.new_zeros(()), d)


def sinc(input: Tensor) -> Tensor:
    """Normalised sinc, ``sin(pi x) / (pi x)``, 1 at 0."""
    return Sinc.apply(_float_in(input))


def frexp(input: Tensor) -> Any:
    """Mantissa in ``[0.5, 1)`` and int32 exponent with ``input == mantissa * 2**exponent``."""
    from .. import return_types  # noqa: PLC0415 - loads on first use

    if input._array.dtype.kind != "f":
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    m, e = np.frexp(input._array)
    if not hasattr(return_types, "frexp"):
        return_types.frexp = return_types._make("frexp", ("mantissa", "exponent"))
    return return_types.frexp((_nodiff(m), _nodiff(e.astype(np.int32))))


def ldexp(input: Tensor, other: Any) -> Tensor:
    """``input * 2**other``."""
    o = other if isinstance(other, Tensor) else input.new_tensor(other)
    return mul(input, exp2(_float_in(o)))


arccos, arcsin, arctan, arctan2 = acos, asin, atan, atan2
arccosh, arcsinh, arctanh = acosh, asinh, atanh

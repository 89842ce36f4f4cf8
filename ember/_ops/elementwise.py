"""Elementwise ops: arithmetic with torch's type promotion, unary math, comparisons, ``where``.

Binary ops take ``(a, b)`` Tensors, or ``(a, None, scalar=s)`` for a Python scalar operand: the
scalar then shows as a ``None`` edge in ``next_functions``, as in torch.
"""

from __future__ import annotations

import math
import operator
from typing import Any

import numpy as np

from .._dtype import default_for_category, get_default_dtype, result_type, scalar_category
from .._tensor import Tensor, _wrap
from ..autograd.function import Op
from ..autograd.grad_mode import _state
from .shape import broadcast_error, sum_to

_ndarray = np.ndarray
_NO_KW: dict[str, Any] = {}

__all__ = [
    "add", "sub", "mul", "div", "true_divide", "floor_divide", "remainder", "fmod", "pow",
    "neg", "negative", "exp", "exp2", "log", "log2", "log10", "log1p", "expm1", "sqrt", "rsqrt",
    "abs", "absolute", "sign", "sgn", "reciprocal", "sin", "cos", "tan", "asin", "acos", "atan",
    "atan2", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "sigmoid", "relu", "erf", "erfc",
    "erfinv", "square", "clamp", "clip", "clamp_min", "clamp_max", "maximum", "minimum", "fmax",
    "fmin", "where", "lerp", "floor", "ceil", "round", "trunc", "frac", "eq", "ne", "lt", "le",
    "gt", "ge", "greater", "greater_equal", "less", "less_equal", "not_equal",
    "logical_and", "logical_or", "logical_xor", "logical_not", "bitwise_and", "bitwise_or",
    "bitwise_xor", "bitwise_not", "isnan", "isinf", "isfinite", "isclose", "allclose", "equal",
    "nan_to_num", "addcmul", "addcdiv", "rsub", "signbit", "hypot", "xlogy", "logaddexp",
    "copysign", "deg2rad", "rad2deg", "float_power", "heaviside",
]  # fmt: skip


# --- promotion --------------------------------------------------------------------------------


def _promote(a: Any, b: Any) -> tuple[Any, Any, Any]:
    """Cast two operands (Tensor or scalar) to torch's result dtype; scalars stay scalars."""
    if isinstance(b, Tensor):
        if not isinstance(a, Tensor):
            b2, a2, s = _promote(b, a)
            return a2, b2, s
        if a._array.dtype == b._array.dtype:
            return a, b, None
        rt = result_type(a, b)
        return (a if a.dtype is rt else a.to(rt)), (b if b.dtype is rt else b.to(rt)), None
    if not isinstance(a, Tensor):
        raise TypeError(f"expected a Tensor operand, got {type(a).__name__} and {type(b).__name__}")
    if isinstance(b, np.ndarray | np.generic) and np.ndim(b):
        return _promote(a, _wrap(np.asarray(b)))
    cat = scalar_category(b)
    if cat == 1 and a.dtype._cat == 1 and not isinstance(b, np.generic):
        info = np.iinfo(a._array.dtype)
        if not info.min <= b <= info.max:
            b = np.asarray(b).astype(a._array.dtype)  # torch wraps out-of-range ints
    if cat > a.dtype._cat:
        a = a.to(default_for_category(cat) if cat != 2 or a.dtype._cat < 2 else get_default_dtype())
    return a, None, b


def _arr(b: Tensor | None, s: Any) -> Any:
    return s if b is None else b._array


# --- arithmetic -------------------------------------------------------------------------------


class Add(Op):
    inplace_needs_copy = False
    fn = staticmethod(operator.add)

    @staticmethod
    def forward(ctx: Any, a: Tensor, b: Tensor | None, scalar: Any = None, alpha: Any = 1) -> Any:
        if ctx.recording:
            ctx.shapes = (a._array.shape, b._array.shape if b is not None else None)
            ctx.alpha = alpha
        y = scalar if b is None else b._array
        return a._array + (y if alpha == 1 else y * alpha)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any, Any]:
        sa, sb = ctx.shapes
        ga, gb = ctx.needs_input_grad
        gb_ = None
        if gb:
            gb_ = sum_to(grad if ctx.alpha == 1 else grad * ctx.alpha, sb)
        return (sum_to(grad, sa) if ga else None), gb_


class Sub(Op):
    inplace_needs_copy = False
    fn = staticmethod(operator.sub)

    @staticmethod
    def forward(ctx: Any, a: Tensor, b: Tensor | None, scalar: Any = None, alpha: Any = 1) -> Any:
        if ctx.recording:
            ctx.shapes = (a._array.shape, b._array.shape if b is not None else None)
            ctx.alpha = alpha
        y = scalar if b is None else b._array
        return a._array - (y if alpha == 1 else y * alpha)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any, Any]:
        sa, sb = ctx.shapes
        ga, gb = ctx.needs_input_grad
        return (sum_to(grad, sa) if ga else None), (sum_to(-grad * ctx.alpha if ctx.alpha != 1 else -grad, sb) if gb else None)  # noqa: E501


class Rsub(Op, node_name="RsubBackward1"):
    """``scalar - a``."""

    @staticmethod
    def forward(ctx: Any, a: Tensor, scalar: Any = 0, alpha: Any = 1) -> Any:
        ctx.alpha = alpha
        return scalar - a._array * alpha if alpha != 1 else scalar - a._array

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        return -grad * ctx.alpha if ctx.alpha != 1 else -grad


class Mul(Op):
    fn = staticmethod(operator.mul)
    @staticmethod
    def forward(ctx: Any, a: Tensor, b: Tensor | None, scalar: Any = None) -> Any:
        if ctx.recording:
            ctx.save_for_backward(a, b)
            if b is None:
                ctx.scalar = scalar
        return a._array * (scalar if b is None else b._array)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any, Any]:
        a, b = ctx.saved_tensors
        ga, gb = ctx.needs_input_grad
        if b is None:
            return grad * ctx.scalar, None
        g, x, y = grad._array, a._array, b._array
        if not _state.enabled and g.ndim and g.shape == x.shape == y.shape and g.dtype is x.dtype:
            # perf: no graph to build and no broadcast to undo: two array products, no op calls
            return (_wrap(g * y) if ga else None), (_wrap(g * x) if gb else None)
        # d(a*b)/da = b: broadcasting in forward becomes a sum in backward
        return (sum_to(grad * b, a._array.shape) if ga else None), (sum_to(grad * a, b._array.shape) if gb else None)  # noqa: E501


class Div(Op):
    fn = staticmethod(operator.truediv)
    @staticmethod
    def forward(ctx: Any, a: Tensor, b: Tensor | None, scalar: Any = None, rounding_mode: Any = None) -> Any:  # noqa: E501
        if ctx.recording:
            ctx.save_for_backward(a, b)
            ctx.scalar = scalar
        y = _arr(b, scalar)
        if rounding_mode is None:
            return a._array / y
        if rounding_mode == "floor":
            return a._array // y
        if rounding_mode == "trunc":
            q = a._array / y
            return np.trunc(q).astype(a._array.dtype, copy=False) if a._array.dtype.kind in "iu" else np.trunc(q)  # noqa: E501
        raise RuntimeError(
            f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{rounding_mode}'"  # noqa: E501
        )

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any, Any]:
        a, b = ctx.saved_tensors
        ga, gb = ctx.needs_input_grad
        if b is None:
            return grad / ctx.scalar, None
        return (
            sum_to(grad / b, a._array.shape) if ga else None,
            sum_to(-grad * a / (b * b), b._array.shape) if gb else None,
        )


class Neg(Op):
    inplace_needs_copy = False

    @staticmethod
    def forward(ctx: Any, a: Tensor) -> Any:
        return -a._array

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        return -grad


class Pow(Op):
    """``a ** exponent`` for a scalar exponent."""

    @staticmethod
    def forward(ctx: Any, a: Tensor, exponent: Any = 1) -> Any:
        ctx.save_for_backward(a)
        ctx.exponent = exponent
        x = a._array
        if exponent == 2:
            return x * x
        if exponent == 0.5:
            return np.sqrt(x) if type(x) is np.ndarray else x**0.5
        out = x**exponent
        if x.dtype.kind in "iu" and isinstance(exponent, int) and exponent < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        (a,) = ctx.saved_tensors
        p = ctx.exponent
        if p == 0:
            return grad * 0
        if p == 2:
            return grad * (a * 2)
        return grad * (a ** (p - 1) * p)


class PowTensor(Op, node_name="PowBackward1"):
    """``a ** b`` with a Tensor exponent."""

    save_output = True

    @staticmethod
    def forward(ctx: Any, a: Tensor, b: Tensor) -> Any:
        ctx.save_for_backward(a, b)
        return a._array ** b._array

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any, Any]:
        a, b = ctx.saved_tensors
        ga, gb = ctx.needs_input_grad
        out = ctx.output
        grad_a = sum_to(grad * b * a ** (b - 1), a.shape) if ga else None
        # torch: where a == 0 the log term is taken as 0 (so 0 ** b has a finite gradient)
        grad_b = sum_to(grad * out * where(a == 0, a.new_zeros(()), log(a.abs())), b.shape) if gb else None
        return grad_a, grad_b


class RpowScalar(Op, node_name="PowBackward2"):
    """``scalar ** b``."""

    save_output = True

    @staticmethod
    def forward(ctx: Any, b: Tensor, base: Any = 1) -> Any:
        ctx.base = base
        return np.asarray(base, dtype=b._array.dtype) ** b._array

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        return grad * ctx.output * math.log(ctx.base) if ctx.base > 0 else grad * 0


def _binary(op: type[Op], a: Any, b: Any, **kw: Any) -> Tensor:
    a, b, s = _promote(a, b)
    if b is None:
        return op.apply(a, None, scalar=s, **kw)
    return _checked(op, a, b, **kw)


def _checked(op: type[Op], a: Tensor, b: Tensor, **kw: Any) -> Tensor:
    """``op.apply(a, b)`` with torch's message when the shapes do not broadcast."""
    try:
        return op.apply(a, b, **kw)
    except ValueError:
        if a._array.shape != b._array.shape:
            raise broadcast_error(a.shape, b.shape) from None
        raise


def _fast(op: type[Op], a: Any, b: Any) -> Any:
    """perf: the common case (two tensors of one dtype, or a float tensor and a Python float)
    skips promotion; returns None when the general path is needed."""
    if isinstance(a, Tensor):
        if isinstance(b, Tensor):
            if a._array.dtype is b._array.dtype:
                if _state.enabled and (a._rg or b._rg):
                    try:
                        return op._record((a, b), _NO_KW)
                    except ValueError:
                        return _checked(op, a, b)
                # perf: nothing to record, so skip the Op machinery (the backward pass of a
                # plain .backward() runs entirely on this path)
                try:
                    out = op.fn(a._array, b._array)
                except (ValueError, TypeError):
                    return _checked(op, a, b)
                if type(out) is not _ndarray and isinstance(out, np.generic):
                    out = np.asarray(out)  # 0-d inputs give NumPy scalars
                return _wrap(out)
        elif (type(b) is float or type(b) is int) and a._array.dtype.kind == "f":
            if _state.enabled and a._rg:
                return op._record((a, None), {"scalar": b})
            out = op.fn(a._array, b)
            return _wrap(np.asarray(out) if isinstance(out, np.generic) else out)
    return None


def add(input: Any, other: Any, *, alpha: Any = 1, out: Tensor | None = None) -> Tensor:
    r"""``input + alpha * other``, with broadcasting and torch's type promotion."""
    if out is None and alpha == 1:
        if isinstance(other, Tensor) and isinstance(input, Tensor) and input._array.dtype is other._array.dtype and (input._rg or other._rg) and _state.enabled:  # noqa: E501
            try:
                return Add._record((input, other), _NO_KW)
            except ValueError:
                pass
        r = _fast(Add, input, other)
        if r is not None:
            return r
    return _out(_binary(Add, input, other, alpha=alpha), out)


def sub(input: Any, other: Any, *, alpha: Any = 1, out: Tensor | None = None) -> Tensor:
    r"""``input - alpha * other``."""
    if out is None and alpha == 1 and (type(other) is float or (isinstance(other, Tensor) and other._array.dtype.kind != "b")):  # noqa: E501
        r = _fast(Sub, input, other)
        if r is not None:
            return r
    if isinstance(input, Tensor) and input.dtype._cat == 0 and isinstance(other, Tensor) and other.dtype._cat == 0:  # noqa: E501
        raise RuntimeError(
            "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or "
            "`logical_xor()` operator instead."
        )
    return _out(_binary(Sub, input, other, alpha=alpha), out)


def rsub(input: Tensor, other: Any, alpha: Any = 1) -> Tensor:
    """``other - alpha * input``."""
    if alpha == 1 and (type(other) is float or type(other) is int) and input._array.dtype.kind == "f" and not (_state.enabled and input._rg):  # noqa: E501
        out = other - input._array  # perf: no graph to record
        return _wrap(np.asarray(out) if isinstance(out, np.generic) else out)
    if isinstance(other, Tensor):
        return sub(other, input, alpha=alpha)
    a, _, s = _promote(input, other)
    return Rsub.apply(a, scalar=s, alpha=alpha)


def mul(input: Any, other: Any, *, out: Tensor | None = None) -> Tensor:
    r"""``input * other``, elementwise with broadcasting."""
    if out is None:
        # perf: _fast inlined for the commonest op: two recorded tensors of one dtype
        if isinstance(other, Tensor) and isinstance(input, Tensor) and input._array.dtype is other._array.dtype and (input._rg or other._rg) and _state.enabled:  # noqa: E501
            try:
                return Mul._record((input, other), _NO_KW)
            except ValueError:
                pass
        r = _fast(Mul, input, other)
        if r is not None:
            return r
    return _out(_binary(Mul, input, other), out)


def div(input: Any, other: Any, *, rounding_mode: str | None = None, out: Tensor | None = None) -> Tensor:  # noqa: E501
    r"""``input / other``; true division unless ``rounding_mode`` is ``'trunc'`` or ``'floor'``."""
    if rounding_mode is None and out is None and isinstance(input, Tensor) and input._array.dtype.kind == "f":  # noqa: E501
        r = _fast(Div, input, other)
        if r is not None:
            return r
    if rounding_mode is None:
        # torch: true division of integers gives the default float dtype
        if isinstance(input, Tensor) and input.dtype._cat < 2 and (not isinstance(other, Tensor) or other.dtype._cat < 2) and scalar_or_cat(other) < 2:  # noqa: E501
            input = input.to(get_default_dtype())
    return _out(_binary(Div, input, other, rounding_mode=rounding_mode), out)


def scalar_or_cat(x: Any) -> int:
    return x.dtype._cat if isinstance(x, Tensor) else scalar_category(x)


true_divide = div


def floor_divide(input: Any, other: Any) -> Tensor:
    """``input // other`` (rounds toward negative infinity, as torch does since 1.13)."""
    return div(input, other, rounding_mode="floor")


def remainder(input: Any, other: Any) -> Tensor:
    """Python-style modulus (the sign follows the divisor)."""
    a, b, s = _promote(input, other)
    return _nodiff(np.mod(a._array, _arr(b, s)), a) if not a.requires_grad else a - floor_divide(a, other) * other  # noqa: E501


def fmod(input: Any, other: Any) -> Tensor:
    """C-style modulus (the sign follows the dividend)."""
    a, b, s = _promote(input, other)
    return a - div(a, other, rounding_mode="trunc") * other if a.requires_grad else _nodiff(np.fmod(a._array, _arr(b, s)), a)  # noqa: E501


def pow(input: Any, exponent: Any) -> Tensor:
    r"""``input ** exponent`` (either may be a Tensor)."""
    if not isinstance(input, Tensor):
        b = exponent
        if b.dtype._cat < scalar_category(input):
            b = b.to(default_for_category(scalar_category(input)))
        return RpowScalar.apply(b, base=input)
    if isinstance(exponent, Tensor):
        a, b, _ = _promote(input, exponent)
        return PowTensor.apply(a, b)
    a, _, s = _promote(input, exponent)
    return Pow.apply(a, exponent=s)


def float_power(input: Any, exponent: Any) -> Tensor:
    """``pow`` computed in float64."""
    from .._dtype import float64  # noqa: PLC0415

    x = input.to(float64) if isinstance(input, Tensor) else input
    e = exponent.to(float64) if isinstance(exponent, Tensor) else exponent
    return pow(x, e)


def _out(result: Tensor, out: Tensor | None) -> Tensor:
    if out is None:
        return result
    from ..autograd.grad_mode import no_grad  # noqa: PLC0415

    if out.shape != result.shape:
        out.resize_(result.shape)
    with no_grad():
        out.copy_(result)
    return out


def _nodiff(array: Any, like: Tensor | None = None) -> Tensor:
    """A result that carries no gradient (comparisons, integer ops)."""
    if isinstance(array, np.generic):
        array = np.asarray(array)
    return _wrap(array)


# --- unary math -------------------------------------------------------------------------------


def _float_in(x: Tensor) -> Tensor:
    # torch: math functions on integer tensors compute in the default float dtype
    return x if x._array.dtype.kind in "fc" else x.to(get_default_dtype())


def _unary_op(name: str, fwd: Any, bwd: Any, save_output: bool = False, float_only: bool = True,
              node_name: str | None = None, bwd_array: Any = None) -> Any:  # fmt: skip
    """Build an ``Op`` class and its public function from a forward and a backward formula.

    ``bwd_array(grad_array, output_array)``, for ``save_output`` ops, is the backward formula on
    arrays, used when no graph is built (no ``create_graph``).
    """

    def forward(ctx: Any, a: Tensor) -> Any:
        if not save_output and ctx.recording:
            ctx.save_for_backward(a)
        return fwd(a._array)

    def backward(ctx: Any, grad: Tensor) -> Any:
        if save_output:
            out = ctx._out
            g = grad._array
            if (bwd_array is not None and not _state.enabled and out is not None
                    and out[1][0] == out[2] and g.dtype is out[0].dtype):  # fmt: skip
                # perf: nothing to record, the output unmodified, one dtype: the formula on arrays
                r = bwd_array(g, out[0])
                return _wrap(r if type(r) is _ndarray or not isinstance(r, np.generic) else np.asarray(r))  # noqa: E501
            return bwd(grad, None, ctx.output)
        (a,) = ctx.saved_tensors
        return bwd(grad, a, None)

    cls_name = name[0].upper() + name[1:]
    op = type(cls_name, (Op,), {
        "forward": staticmethod(forward), "backward": staticmethod(backward),
        "save_output": save_output, "inplace_needs_copy": not save_output, "__module__": __name__,
        "__doc__": f"Elementwise ``{name}``.",
    }, node_name=node_name)  # fmt: skip

    def fn(input: Tensor, *, out: Tensor | None = None) -> Tensor:
        x = input if input._array.dtype.kind in "fc" or not float_only else _float_in(input)
        r = op._record((x,), _NO_KW) if x._rg and _state.enabled else op.apply(x)
        return r if out is None else _out(r, out)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Elementwise ``{name}`` of ``input``."
    fn._op = op  # type: ignore[attr-defined]
    return op, fn


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


class Relu(Op):
    save_output = True
    inplace_needs_copy = False

    @staticmethod
    def forward(ctx: Any, a: Tensor) -> Any:
        x = a._array
        return np.maximum(x, 0) if type(x) is np.ndarray else x * (x > 0)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        return grad * (ctx.output > 0)


def relu(input: Tensor) -> Tensor:
    """``max(input, 0)`` elementwise."""
    return Relu.apply(input)


class Abs(Op):
    @staticmethod
    def forward(ctx: Any, a: Tensor) -> Any:
        ctx.save_for_backward(a)
        return np.abs(a._array)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        (a,) = ctx.saved_tensors
        return grad * sign(a)


def abs(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Absolute value, elementwise."""
    return _out(Abs.apply(input), out)


absolute = abs


def neg(input: Tensor) -> Tensor:
    """``-input``."""
    if input.dtype._cat == 0:
        raise RuntimeError(
            "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to "
            "invert a mask, use the `~` or `logical_not()` operator instead."
        )
    return Neg.apply(input)


negative = neg


def square(input: Tensor) -> Tensor:
    """``input * input``."""
    return pow(input, 2)


def sign(input: Tensor) -> Tensor:
    """-1, 0 or 1 by the sign of each element (no gradient flows through it)."""
    return _nodiff(np.sign(input._array))


sgn = sign


def signbit(input: Tensor) -> Tensor:
    """True where the sign bit is set."""
    return _nodiff(np.signbit(input._array))


def _rounding(name: str, f: Any) -> Any:
    class _R(Op):
        @staticmethod
        def forward(ctx: Any, a: Tensor) -> Any:
            return f(a._array)

        @staticmethod
        def backward(ctx: Any, grad: Tensor) -> Any:
            return grad * 0

    _R.__name__ = _R.__qualname__ = name[0].upper() + name[1:]
    _R._node_cls.__name__ = f"{_R.__name__}Backward0"

    def fn(input: Tensor, **kw: Any) -> Tensor:
        if input.dtype._cat < 2:
            return input.clone()
        if kw.get("decimals"):
            d = kw["decimals"]
            return _nodiff(np.round(input._array, d))
        return _R.apply(input)

    fn.__name__ = name
    fn.__doc__ = f"Elementwise ``{name}``."
    return fn


floor = _rounding("floor", np.floor)
ceil = _rounding("ceil", np.ceil)
round = _rounding("round", np.round)  # noqa: A001 - torch's name; numpy rounds half to even as torch does
trunc = _rounding("trunc", np.trunc)


def frac(input: Tensor) -> Tensor:
    """``input - trunc(input)``."""
    return input - trunc(input).detach()


class Clamp(Op, node_name="ClampBackward1"):
    @staticmethod
    def forward(ctx: Any, a: Tensor, min: Any = None, max: Any = None) -> Any:  # noqa: A002
        x = a._array
        if ctx.recording:
            lo = x >= min if min is not None else True
            hi = x <= max if max is not None else True
            ctx.mask = lo & hi
        if min is not None and max is not None:
            return np.clip(x, min, max) if type(x) is np.ndarray else x.clip(min, max)
        if min is not None:
            return np.maximum(x, min) if type(x) is np.ndarray else x.clip(min, None)
        return np.minimum(x, max) if type(x) is np.ndarray else x.clip(None, max)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        return grad * _wrap(ctx.mask) if ctx.mask is not True else grad


def clamp(input: Tensor, min: Any = None, max: Any = None, *, out: Tensor | None = None) -> Tensor:  # noqa: A002
    r"""Clamp every element into ``[min, max]``; either bound may be a Tensor."""
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        r = input
        if min is not None:
            r = maximum(r, min if isinstance(min, Tensor) else input.new_tensor(min))
        if max is not None:
            r = minimum(r, max if isinstance(max, Tensor) else input.new_tensor(max))
        return _out(r, out)
    x = input
    if (isinstance(min, float) or isinstance(max, float)) and x.dtype._cat < 2:
        x = x.to(get_default_dtype())
    return _out(Clamp.apply(x, min=min, max=max), out)


clip = clamp


def clamp_min(input: Tensor, min: Any) -> Tensor:  # noqa: A002
    """``clamp(input, min=min)``."""
    return clamp(input, min=min)


def clamp_max(input: Tensor, max: Any) -> Tensor:  # noqa: A002
    """``clamp(input, max=max)``."""
    return clamp(input, max=max)


class Where(Op):
    @staticmethod
    def forward(ctx: Any, cond: Tensor, a: Tensor, b: Tensor) -> Any:
        c = cond._array
        if ctx.recording:
            ctx.cond = cond
            ctx.shapes = (a.shape, b.shape)
        return (np.where if type(c) is np.ndarray else _xp(c).where)(c, a._array, b._array)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any, Any, Any]:
        _, ga, gb = ctx.needs_input_grad
        z = grad.new_zeros(())
        c = ctx.cond
        return (
            None,
            sum_to(where(c, grad, z), ctx.shapes[0]) if ga else None,
            sum_to(where(c, z, grad), ctx.shapes[1]) if gb else None,
        )


def _xp(a: Any) -> Any:
    from .._device import array_namespace  # noqa: PLC0415

    return array_namespace(a)


def where(condition: Tensor, input: Any = None, other: Any = None) -> Any:
    r"""Elements of ``input`` where ``condition`` holds, else of ``other``; one argument gives ``nonzero(as_tuple=True)``."""  # noqa: E501
    if input is None and other is None:
        from .indexing import nonzero  # noqa: PLC0415

        return nonzero(condition, as_tuple=True)
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise TypeError("where(): expected a Tensor for input or other")
    if condition.dtype._cat != 0:
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype {condition.dtype.name.capitalize()}")  # noqa: E501
    if isinstance(input, Tensor) and isinstance(other, Tensor):
        a, b, _ = _promote(input, other)
    elif isinstance(input, Tensor):
        a, _, s = _promote(input, other)
        b = _wrap(np.asarray(s, dtype=a._array.dtype))
    else:
        b, _, s = _promote(other, input)
        a = _wrap(np.asarray(s, dtype=b._array.dtype))
    if a.device != b.device and (a.ndim == 0 or b.ndim == 0):
        a, b = a.to(condition.device), b.to(condition.device)
    return Where.apply(condition, a, b)


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


def copysign(input: Tensor, other: Any) -> Tensor:
    """``abs(input)`` with the sign of ``other``."""
    o = other._array if isinstance(other, Tensor) else other
    return abs(input) * _wrap(np.where(np.signbit(o), -1.0, 1.0).astype(_float_in(input)._array.dtype))  # noqa: E501


def deg2rad(input: Tensor) -> Tensor:
    """Degrees to radians."""
    return _float_in(input) * (math.pi / 180)


def rad2deg(input: Tensor) -> Tensor:
    """Radians to degrees."""
    return _float_in(input) * (180 / math.pi)


def heaviside(input: Tensor, values: Tensor) -> Tensor:
    """Step function: 0 below zero, 1 above, ``values`` at zero."""
    return _nodiff(np.heaviside(input._array, values._array).astype(input._array.dtype))


def lerp(input: Tensor, end: Tensor, weight: Any) -> Tensor:
    """``input + weight * (end - input)``."""
    return input + weight * (end - input)


def addcmul(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: Any = 1) -> Tensor:
    """``input + value * tensor1 * tensor2``."""
    return input + tensor1 * tensor2 * value


def addcdiv(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: Any = 1) -> Tensor:
    """``input + value * tensor1 / tensor2``."""
    return input + tensor1 / tensor2 * value


def nan_to_num(input: Tensor, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None) -> Tensor:  # noqa: E501
    """Replace NaN and infinities with finite numbers."""
    mask = _wrap(np.isfinite(input._array))
    fixed = _nodiff(np.nan_to_num(input._array, nan=nan, posinf=posinf, neginf=neginf))
    return where(mask, input, fixed) if input.requires_grad else fixed


# --- comparisons and logic: no gradients ------------------------------------------------------


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


def logical_not(input: Tensor) -> Tensor:
    """Elementwise NOT, a bool tensor."""
    return _nodiff(np.logical_not(input._array))


def bitwise_not(input: Tensor) -> Tensor:
    """``~input`` for integer and bool tensors."""
    if input.dtype._cat >= 2:
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type tensors")  # noqa: E501
    return _nodiff(np.invert(input._array))


def isnan(input: Tensor) -> Tensor:
    """True where NaN."""
    return _nodiff(np.isnan(input._array))


def isinf(input: Tensor) -> Tensor:
    """True where +/-inf."""
    return _nodiff(np.isinf(input._array))


def isfinite(input: Tensor) -> Tensor:
    """True where finite."""
    return _nodiff(np.isfinite(input._array))


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


# --- aliases, extra math, and the real-dtype identities of complex ops --------------------------

arccos, arcsin, arctan, arctan2 = acos, asin, atan, atan2
arccosh, arcsinh, arctanh, fix = acosh, asinh, atanh, trunc


def positive(input: Tensor) -> Tensor:
    """``+input``: the input itself."""
    if input.dtype.name == "bool":
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


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


def logaddexp2(input: Tensor, other: Tensor) -> Tensor:
    """``log2(2**input + 2**other)`` without overflow."""
    m = maximum(input, other).detach()
    return m + log2(exp2(input - m) + exp2(other - m))


def isposinf(input: Tensor) -> Tensor:
    """True where ``+inf``."""
    return _nodiff(np.isposinf(input._array) if input._array.dtype.kind == "f" else input._array != input._array)  # noqa: E501


def isneginf(input: Tensor) -> Tensor:
    """True where ``-inf``."""
    return _nodiff(np.isneginf(input._array) if input._array.dtype.kind == "f" else input._array != input._array)  # noqa: E501


def isreal(input: Tensor) -> Tensor:
    """True where the imaginary part is 0 (everywhere, for a real tensor)."""
    return _nodiff(np.isreal(input._array))


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


_SCALAR_TYPE = {"float16": "Half", "bfloat16": "BFloat16", "float32": "Float", "float64": "Double"}


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


def conj(input: Tensor) -> Tensor:
    """The complex conjugate: the input itself for a real tensor (as in torch)."""
    return input if not input.dtype.is_complex else _nodiff(input._array.conj())


def resolve_conj(input: Tensor) -> Tensor:
    """The input (ember never keeps a lazy conjugate bit)."""
    return input


resolve_neg = resolve_conj


def real(input: Tensor) -> Tensor:
    """The real part: the input itself for a real tensor."""
    return input if not input.dtype.is_complex else _nodiff(input._array.real)


def imag(input: Tensor) -> Tensor:
    """The imaginary part; torch has none for real tensors."""
    if not input.dtype.is_complex:
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
    return _nodiff(input._array.imag)


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


def addr(input: Tensor, vec1: Tensor, vec2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """``beta * input + alpha * outer(vec1, vec2)`` (``input`` is ignored when ``beta`` is 0)."""
    for name, v in (("vec1", vec1), ("vec2", vec2)):
        if v.ndim != 1:
            raise RuntimeError(f"addr: Expected 1-D argument {name}, but got {v.ndim}-D")
    outer = vec1.unsqueeze(1) * vec2.unsqueeze(0)
    if alpha != 1:
        outer = outer * alpha
    if beta == 0:  # torch ignores input then (NaN in it does not propagate)
        return outer
    return input * beta + outer if beta != 1 else input + outer


# --- special functions (erf, erfc, erfinv, the gamma family): special.py, re-exported here ----

from .special import digamma, erf, erfc, erfinv, lgamma, mvlgamma, polygamma  # noqa: E402

__all__ += [
    "arccos", "arcsin", "arctan", "arctan2", "arccosh", "arcsinh", "arctanh", "fix", "positive",
    "logit", "sinc", "logaddexp2", "isposinf", "isneginf", "isreal", "frexp", "ldexp", "gcd",
    "lcm", "conj", "resolve_conj", "resolve_neg", "real", "imag", "is_nonzero", "is_same_size",
    "addr", "lgamma", "digamma", "polygamma", "mvlgamma", "bitwise_left_shift", "bitwise_right_shift",
]  # fmt: skip


def nextafter(input: Tensor, other: Any) -> Tensor:
    """The next float after ``input`` toward ``other``."""
    a, b, s = _promote(input, other)
    return _nodiff(np.nextafter(a._array, _arr(b, s)))


__all__ += ["nextafter"]


# --- torch's other spellings, and the function forms of in-place methods ----------------------

multiply, subtract, divide = mul, sub, div


def is_signed(input: Tensor) -> bool:
    """Whether the dtype is signed."""
    return input.dtype.is_signed


def broadcast_shapes(*shapes: Any) -> Any:
    """The shape that tensors of ``shapes`` broadcast to."""
    from .._tensor import Size  # noqa: PLC0415

    norm = [(s,) if isinstance(s, int) else tuple(s) for s in shapes]
    try:
        return Size(np.broadcast_shapes(*norm))
    except ValueError:
        pass
    for i, s in enumerate(norm[1:], 1):
        p = np.broadcast_shapes(*norm[:i])
        for k in range(1, min(len(p), len(s)) + 1):
            if s[-k] != p[-k] and s[-k] != 1 and p[-k] != 1:
                raise RuntimeError(f"Attempting to broadcast a dimension of length {s[-k]} at "
                                   f"{-k}! Mismatching argument at index {i} had {s}; but "
                                   f"expected shape should be broadcastable to {list(p)}")  # fmt: skip
    raise AssertionError("unreachable")


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


def _inplace_function(name: str) -> Any:
    def fn(input: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        return getattr(input, name)(*args, **kwargs)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``input.{name}(...)``."
    return fn


# torch.exp_(x) and friends: the in-place methods as functions
_INPLACE_FUNCTIONS = [
    "abs_", "acos_", "acosh_", "arccos_", "arccosh_", "arcsin_", "arcsinh_", "arctan_",
    "arctanh_", "asin_", "asinh_", "atan_", "atanh_", "ceil_", "clamp_", "clamp_max_",
    "clamp_min_", "clip_", "cos_", "cosh_", "deg2rad_", "erf_", "erfc_", "exp2_", "exp_",
    "expm1_", "fix_", "floor_", "frac_", "gcd_", "lcm_", "ldexp_", "log10_", "log1p_", "log2_",
    "log_", "logit_", "nan_to_num_", "neg_", "negative_", "rad2deg_", "reciprocal_", "relu_",
    "round_", "rsqrt_", "sigmoid_", "sin_", "sinc_", "sinh_", "sqrt_", "square_", "tan_",
    "tanh_", "trunc_", "xlogy_", "zero_", "fill_", "index_put_", "detach_", "resize_as_",
]  # fmt: skip
for _n in _INPLACE_FUNCTIONS:
    globals()[_n] = _inplace_function(_n)

__all__ += ["multiply", "subtract", "divide", "is_signed", "broadcast_shapes", "isin",
            "searchsorted", "bucketize", *_INPLACE_FUNCTIONS]  # fmt: skip

"""Elementwise ops: arithmetic with torch's type promotion, ``clamp``, ``where``, and the
``_unary_op`` builder of the one-input math ops.

Binary ops take ``(a, b)`` Tensors, or ``(a, None, scalar=s)`` for a Python scalar operand: the
scalar then shows as a ``None`` edge in ``next_functions``, as in torch.

Three families live in files of their own: comparisons, logic and bitwise ops in ``compare.py``;
exp, log, sqrt, trig and sigmoid in ``elementary.py``; erf and the gamma family in ``special.py``.
They are re-exported at the end of this one, so that the Tensor methods and ``from
ember._ops.elementwise import X`` find every elementwise op here; ``ember/__init__.py`` takes
``ember.eq``, ``ember.exp``, ... from the modules' own ``__all__``.
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
    "neg", "negative", "abs", "absolute", "sign", "sgn", "relu", "square", "clamp", "clip",
    "clamp_min", "clamp_max", "where", "lerp", "floor", "ceil", "round", "trunc", "frac",
    "nan_to_num", "addcmul", "addcdiv", "rsub", "copysign", "deg2rad", "rad2deg", "float_power",
    "heaviside", "fix", "positive", "conj", "resolve_conj", "resolve_neg", "real", "imag",
    "addr", "nextafter", "multiply", "subtract", "divide", "is_signed", "broadcast_shapes",
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


# --- unary ops: an Op from a forward and a backward formula (elementary.py, special.py) -------


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


# --- aliases, and the real-dtype identities of complex ops ------------------------------------

fix = trunc


def positive(input: Tensor) -> Tensor:
    """``+input``: the input itself."""
    if input.dtype.name == "bool":
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


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


def nextafter(input: Tensor, other: Any) -> Tensor:
    """The next float after ``input`` toward ``other``."""
    a, b, s = _promote(input, other)
    return _nodiff(np.nextafter(a._array, _arr(b, s)))


# torch's names of the float dtypes, for "not implemented for 'Float'" messages
_SCALAR_TYPE = {"float16": "Half", "bfloat16": "BFloat16", "float32": "Float", "float64": "Double"}


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

__all__ += _INPLACE_FUNCTIONS


# --- the families in their own files, re-exported: compare.py, elementary.py, special.py ------

from .compare import *  # noqa: E402, F403
from .compare import maximum, minimum  # noqa: E402 - clamp's Tensor bounds
from .elementary import *  # noqa: E402, F403
from .elementary import log, xlog1py  # noqa: E402, F401 - PowTensor's backward; ember.special
from .special import digamma, erf, erfc, erfinv, lgamma, mvlgamma, polygamma  # noqa: E402

__all__ += ["erf", "erfc", "erfinv", "lgamma", "digamma", "polygamma", "mvlgamma"]

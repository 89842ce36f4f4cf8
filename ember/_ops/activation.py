"""Fused activation ops: softmax/log-softmax and the pointwise nonlinearities (gelu, silu, elu, ...).

Each op computes its forward on arrays in one pass and has a hand-written backward.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ember._device import array_namespace
from ember._tensor import Tensor, _wrap
from ember.autograd.function import Op
from ember.autograd.grad_mode import _state
from .shape import _dim, _xp, sum_to
from .special import chunked, erf_array
from .._threads import GRAIN, parallel_for

__all__ = ["softmax", "log_softmax", "gelu"]


class Softmax(Op):
    save_output = True

    @staticmethod
    def forward(ctx: Any, a: Tensor, dim: int = -1) -> Any:
        x = a._array
        ctx.dim = dim
        xp = _xp(x)
        e = x - x.max(axis=dim, keepdims=True)
        xp.exp(e, out=e)
        e /= e.sum(axis=dim, keepdims=True)
        return e

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        y = ctx.output
        # d softmax: y * (g - sum(g * y))
        if _state.enabled:
            return y * (grad - (grad * y).sum(ctx.dim, keepdim=True))
        ya, g = y._array, grad._array  # perf: no graph needed, stay on arrays
        gy = g * ya
        out = g - gy.sum(axis=ctx.dim, keepdims=True)
        out *= ya
        return _wrap(out)


class LogSoftmax(Op):
    save_output = True

    @staticmethod
    def forward(ctx: Any, a: Tensor, dim: int = -1) -> Any:
        x = a._array
        ctx.dim = dim
        xp = _xp(x)
        s = x - x.max(axis=dim, keepdims=True)
        s -= xp.log(xp.exp(s).sum(axis=dim, keepdims=True))
        return s

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        y = ctx.output
        if _state.enabled:
            from .elementwise import exp  # noqa: PLC0415

            return grad - exp(y) * grad.sum(ctx.dim, keepdim=True)
        ya, g = y._array, grad._array  # perf: no graph needed, stay on arrays
        out = _ns(ya).exp(ya)
        out *= g.sum(axis=ctx.dim, keepdims=True)
        return _wrap(g - out)


def _prep(input: Tensor, dim: Any, dtype: Any, name: str) -> tuple[Tensor, int]:
    if dim is None:
        import warnings  # noqa: PLC0415

        warnings.warn(
            f"Implicit dimension choice for {name} has been deprecated. Change the call to include "
            "dim=X as an argument.",
            UserWarning,
            stacklevel=3,
        )
        dim = 0 if input.ndim in (0, 1, 3) else 1
    x = input.to(dtype) if dtype is not None else input
    if x.dtype._cat < 2:
        raise RuntimeError(f'"{name}_lastdim_kernel_impl" not implemented for \'{x.dtype.name.capitalize()}\'')  # noqa: E501
    return x, _dim(dim, x.ndim)


def softmax(input: Tensor, dim: Any = None, dtype: Any = None, *, _stacklevel: int = 3) -> Tensor:
    r"""``exp(x) / sum(exp(x))`` along ``dim``."""
    x, d = _prep(input, dim, dtype, "softmax")
    if x.ndim == 0:
        return Softmax.apply(x.reshape(1), dim=0).reshape(())
    return Softmax.apply(x, dim=d)


def log_softmax(input: Tensor, dim: Any = None, dtype: Any = None, *, _stacklevel: int = 3) -> Tensor:  # noqa: E501
    r"""``log(softmax(x))`` along ``dim``, computed stably."""
    x, d = _prep(input, dim, dtype, "log_softmax")
    if x.ndim == 0:
        return LogSoftmax.apply(x.reshape(1), dim=0).reshape(())
    return LogSoftmax.apply(x, dim=d)


# --- pointwise activations ---------------------------------------------------------------------
# Each is one fused Op: forward on arrays, backward ``grad * f'(x)``. Where f' is piecewise
# constant (leaky_relu, hardtanh, ...) f'(x) is a constant mask, so double backward is exact.
# Elsewhere f'(x) is itself an Op whose backward is ``grad * f''(x)``, so one level of
# double backward (gradient penalties) is exact as well.

_SQRT_HALF = 0.7071067811865476
_INV_SQRT_2PI = 0.3989422804014327
_TANH_K = 0.7978845608028654  # sqrt(2 / pi)
_TANH_C = 0.044715
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _ns(x: Any) -> Any:
    return np if type(x) is np.ndarray else array_namespace(x)


def _sig(x: Any) -> Any:
    # perf: one pass, and no overflow warning for large negative x
    with np.errstate(over="ignore"):
        return 1 / (1 + _ns(x).exp(-x))


def _softplus(x: Any) -> Any:
    return _ns(x).logaddexp(0, x).astype(x.dtype, copy=False)


def _pointwise(name: str, f: Any, df: Any, d2f: Any = None, node_name: str | None = None) -> type[Op]:  # noqa: E501
    """Build the Op for ``y = f(x, **p)`` whose derivative is ``df(x, **p)``.

    ``d2f`` is the second derivative (arrays); ``None`` means ``df`` is piecewise constant.
    """

    def forward(ctx: Any, a: Tensor, **p: Any) -> Any:
        if ctx.recording:
            ctx.save_for_backward(a)
            ctx.p = p
        return f(a._array, **p)

    if d2f is None:

        def backward(ctx: Any, grad: Tensor) -> Any:
            (a,) = ctx.saved_tensors
            if _state.enabled:
                return grad * _wrap(df(a._array, **ctx.p))
            return _wrap(grad._array * df(a._array, **ctx.p))

    else:

        def dforward(ctx: Any, a: Tensor, **p: Any) -> Any:
            if ctx.recording:
                ctx.save_for_backward(a)
                ctx.p = p
            return df(a._array, **p)

        def dbackward(ctx: Any, grad: Tensor) -> Any:
            (a,) = ctx.saved_tensors
            return grad * _wrap(d2f(a._array, **ctx.p))

        cls_d: Any = type(f"{name}Derivative", (Op,), {
            "forward": staticmethod(dforward), "backward": staticmethod(dbackward),
            "__module__": __name__}, node_name=f"{node_name or name}BackwardBackward0")  # fmt: skip

        def backward(ctx: Any, grad: Tensor) -> Any:
            (a,) = ctx.saved_tensors
            if _state.enabled:  # create_graph: record f'(x) as an op of its own
                return grad * cls_d.apply(a, **ctx.p)
            # perf: a plain backward needs no graph, so multiply the arrays directly
            return _wrap(grad._array * df(a._array, **ctx.p))

    return type(name, (Op,), {
        "forward": staticmethod(forward), "backward": staticmethod(backward),
        "__module__": __name__, "__doc__": f"Fused ``{name.lower()}``."},
        node_name=f"{node_name or name}Backward0")  # fmt: skip


# gelu -----------------------------------------------------------------------------------------
_AS = (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)  # A&S 7.1.26


def _cdf(x: Any) -> Any:
    """The standard normal CDF: exact erf in float64; else float32 A&S 7.1.26 (abs. error < 2e-7).

    Below zero it is computed as erfc directly, so small tails keep their relative precision.
    """
    if x.dtype == np.float64:
        return 0.5 * (1 + erf_array(x * _SQRT_HALF))
    xp = _ns(x)
    # perf: Horner's rule in place on two float32 buffers, no other temporaries
    a = xp.abs(x, dtype=np.float32) if xp is np else xp.abs(x).astype(np.float32)
    a *= np.float32(_SQRT_HALF)
    t = a * np.float32(0.3275911)
    t += 1
    xp.reciprocal(t, out=t)
    h = t * np.float32(_AS[4] / 2)
    for c in _AS[3::-1]:
        h += np.float32(c / 2)
        h *= t
    xp.square(a, out=a)
    xp.negative(a, out=a)
    xp.exp(a, out=a)
    h *= a  # h = erfc(|x| / sqrt 2) / 2
    # perf: arithmetic instead of np.where, whose random-mask branching costs 10x a pass
    flip = 1 - 2 * h
    flip *= x >= 0
    h += flip
    return h if h.dtype == x.dtype else h.astype(x.dtype)


def _dgelu_from_cdf(x: Any, cdf: Any, g: Any) -> Any:
    d = x * x
    d *= -0.5
    xp = _ns(x)
    xp.exp(d, out=d)
    d *= x
    d *= _INV_SQRT_2PI
    d += cdf
    d *= g
    return d


_CHUNK = 1 << 17  # float32 elements per piece: big enough to amortise per-call overhead
_FAST_MIN = 1 << 16  # the float32 kernels below take arrays larger than this
_F32 = np.float32
_INV_P = _F32(1 / (0.3275911 * _SQRT_HALF))  # t = 1 / (1 + p |x| / sqrt 2) = _INV_P / (_INV_P + |x|)
_AS_HALF = tuple(_F32(c / 2) for c in _AS)
_NEG_HALF_LOG2E = _F32(-0.5 / math.log(2))
_EXP2_SQ_MAX = _F32(174)  # x^2 * _NEG_HALF_LOG2E >= -125.5: exp2's result stays a normal float


def _exp_neg_half_square(xs: Any, out: Any) -> Any:
    """``exp(-xs^2 / 2)`` into ``out``, for a float32 piece.

    # perf: as exp2(x^2 * -log2(e) / 2), since NumPy's float32 exp2 is twice as fast as exp;
    # but where its result would be subnormal it falls to a slow path (10-100x), so pieces with
    # |x| above 13.2 keep exp.
    """
    np.square(xs, out=out)
    if out.max() <= _EXP2_SQ_MAX:
        out *= _NEG_HALF_LOG2E
        return np.exp2(out, out=out)
    out *= _F32(-0.5)
    return np.exp(out, out=out)


def _fast_f32(*arrays: Any) -> bool:
    """Whether the chunked float32 NumPy kernels below apply (same-shape C-contiguous arrays)."""
    x = arrays[0]
    return (type(x) is np.ndarray and x.dtype == np.float32 and x.size > _FAST_MIN
            and all(type(a) is np.ndarray and a.dtype == np.float32 and a.shape == x.shape
                    and a.flags.c_contiguous for a in arrays))  # fmt: skip


def _gelu_f32(x: Any, deriv: bool) -> tuple[Any, Any]:
    """``(x * cdf, cdf + x * pdf)`` for a float32 array, the same formula as :func:`_cdf`; the
    derivative (second) is None unless ``deriv``.

    # perf: one cache-sized piece at a time, into preallocated outputs, with temporaries reused
    # across pieces (no per-piece allocation, no copy-out): 13% faster than chunked(_cdf). The
    # derivative costs the forward three passes and saves the backward seven (its exp above all).
    """
    n = x.size
    y, d = np.empty(n, _F32), np.empty(n, _F32) if deriv else None
    _over_pieces(n, _gelu_range, x.reshape(-1), y, d)
    return y.reshape(x.shape), None if d is None else d.reshape(x.shape)


def _over_pieces(n: int, kernel: Any, *arrays: Any) -> None:
    """``kernel(lo, hi, *arrays)`` over ``range(n)``, split among threads.

    # perf: each thread takes one contiguous part of at least ``GRAIN`` elements, which the
    # kernel walks in ``_CHUNK`` pieces (128K elements ran a serial GELU 7% faster than 64K).
    # Results are bit-identical to the serial loop.
    """
    parallel_for(lambda lo, hi: kernel(lo, hi, *arrays), n, GRAIN)


def _gelu_range(lo: int, hi: int, xf: Any, y: Any, d: Any) -> None:
    m = min(_CHUNK, hi - lo)
    t, h, e, pos, cdf = (np.empty(m, _F32) for _ in range(5))
    mask = np.empty(m, bool)
    c4, c3, c2, c1, c0 = _AS_HALF[::-1]
    one, neg_two, inv = _F32(1), _F32(-2), _F32(_INV_SQRT_2PI)
    for i in range(lo, hi, _CHUNK):
        xs = xf[i:min(i + _CHUNK, hi)]
        k = xs.size
        tt, hh, ee, pp, mm, cs = t[:k], h[:k], e[:k], pos[:k], mask[:k], cdf[:k]
        np.abs(xs, out=tt)
        tt += _INV_P
        np.divide(_INV_P, tt, out=tt)
        np.multiply(tt, c4, out=hh)
        for c in (c3, c2, c1, c0):
            hh += c
            hh *= tt
        _exp_neg_half_square(xs, ee)
        if d is not None:
            np.multiply(xs, ee, out=d[i:i + k])
        hh *= ee  # h = erfc(|x| / sqrt 2) / 2
        # cdf = h + (x >= 0) * (1 - 2h): arithmetic, since masked selects are 10x slower
        np.greater_equal(xs, 0, out=mm)
        np.copyto(pp, mm)  # perf: cast the mask once; a float * bool product is 3x slower
        np.multiply(hh, neg_two, out=ee)
        ee += one
        ee *= pp
        np.add(hh, ee, out=cs)
        np.multiply(xs, cs, out=y[i:i + k])
        if d is not None:
            dd = d[i:i + k]  # d gelu = cdf + x * pdf
            dd *= inv
            dd += cs


def _gelu(x: Any, approximate: str = "none") -> Any:
    if approximate == "tanh":
        t = _ns(x).tanh(_TANH_K * (x + _TANH_C * x * x * x))
        return 0.5 * x * (1 + t)
    return x * _cdf(x)


def _dgelu(x: Any, approximate: str = "none") -> Any:
    xp = _ns(x)
    if approximate == "tanh":
        x2 = x * x
        t = xp.tanh(_TANH_K * (x + _TANH_C * x2 * x))
        return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * (_TANH_K * (1 + 3 * _TANH_C * x2))
    return (_cdf(x) + x * _INV_SQRT_2PI * xp.exp(-0.5 * x * x)).astype(x.dtype, copy=False)


def _d2gelu(x: Any, approximate: str = "none") -> Any:
    xp = _ns(x)
    if approximate == "tanh":
        x2 = x * x
        t = xp.tanh(_TANH_K * (x + _TANH_C * x2 * x))
        du = _TANH_K * (1 + 3 * _TANH_C * x2)
        return (1 - t * t) * (du + 0.5 * x * (6 * _TANH_K * _TANH_C * x - 2 * t * du * du))
    return _INV_SQRT_2PI * xp.exp(-0.5 * x * x) * (2 - x * x)


_GeluDerivative = _pointwise("_GeluD", _dgelu, _d2gelu, node_name="GeluBackward")


class Gelu(Op):
    """Fused GELU; the forward keeps what the backward needs: for float32 arrays the derivative
    itself, else the normal CDF it computed (erf form)."""

    @staticmethod
    def forward(ctx: Any, a: Tensor, approximate: str = "none") -> Any:
        x = a._array
        cdf = dgelu = None
        if approximate == "tanh":
            y = _gelu(x, approximate)
        elif _fast_f32(x):
            y, dgelu = _gelu_f32(x, ctx.recording)
        else:
            cdf = chunked(_cdf, x)
            y = x * cdf
        if ctx.recording:
            ctx.save_for_backward(a)
            ctx.approximate, ctx.cdf, ctx.dgelu = approximate, cdf, dgelu
        return y

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        (a,) = ctx.saved_tensors
        if _state.enabled:
            return grad * _GeluDerivative.apply(a, approximate=ctx.approximate)
        x, g = a._array, grad._array
        if ctx.dgelu is not None:
            return _wrap((ctx.dgelu * g).astype(x.dtype, copy=False))
        if ctx.cdf is None:
            return _wrap(g * _dgelu(x, ctx.approximate))
        # perf: d gelu = cdf + x * pdf, with the cdf from the forward
        return _wrap(chunked(_dgelu_from_cdf, x, ctx.cdf, g))


# silu / mish / softplus / logsigmoid ------------------------------------------------------------
def _silu(x: Any) -> Any:
    return x * _sig(x)


def _dsilu(x: Any) -> Any:
    s = _sig(x)
    return s * (1 + x * (1 - s))


def _d2silu(x: Any) -> Any:
    s = _sig(x)
    return s * (1 - s) * (2 + x * (1 - 2 * s))


_SiluDerivative = _pointwise("_SiluD", _dsilu, _d2silu, node_name="SiluBackward")


class Silu(Op):
    """Fused SiLU (swish); the forward keeps its sigmoid for the backward."""

    @staticmethod
    def forward(ctx: Any, a: Tensor) -> Any:
        x = a._array
        s = _sig(x)
        if ctx.recording:
            ctx.save_for_backward(a)
            ctx.s = s
        return x * s

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        (a,) = ctx.saved_tensors
        if _state.enabled:
            return grad * _SiluDerivative.apply(a)
        # perf: s * (1 + x * (1 - s)) in place, with s from the forward
        s = ctx.s
        d = 1 - s
        d *= a._array
        d += 1
        d *= s
        d *= grad._array
        return _wrap(d)


def _mish(x: Any) -> Any:
    return x * _ns(x).tanh(_softplus(x))


def _dmish(x: Any) -> Any:
    t = _ns(x).tanh(_softplus(x))
    return t + x * (1 - t * t) * _sig(x)


def _d2mish(x: Any) -> Any:
    t = _ns(x).tanh(_softplus(x))
    s = _sig(x)
    return (1 - t * t) * (2 * s + x * s * ((1 - s) - 2 * t * s))


Mish = _pointwise("Mish", _mish, _dmish, _d2mish)


def _blend(mask: Any, a: Any, b: Any) -> Any:
    """``where(mask, a, b)`` for finite values, as arithmetic (np.where branches per element)."""
    out = a - b
    out *= mask
    out += b
    return out


def _softplus_b(x: Any, beta: float = 1.0, threshold: float = 20.0) -> Any:
    xb = x * beta
    sp = _softplus(xb)
    if beta != 1:
        sp /= beta
    # torch: linear above the threshold (in units of beta * x)
    return _blend(xb > threshold, x, sp)


def _dsoftplus(x: Any, beta: float = 1.0, threshold: float = 20.0) -> Any:
    xb = x * beta
    return _blend(xb > threshold, 1, _sig(xb).astype(x.dtype, copy=False))


def _d2softplus(x: Any, beta: float = 1.0, threshold: float = 20.0) -> Any:
    xb = x * beta
    s = _sig(xb).astype(x.dtype, copy=False)
    return beta * s * (1 - s) * (xb <= threshold)


Softplus = _pointwise("Softplus", _softplus_b, _dsoftplus, _d2softplus)


def _logsigmoid(x: Any) -> Any:
    return -_softplus(-x)


def _dlogsigmoid(x: Any) -> Any:
    return _sig(-x)


def _d2logsigmoid(x: Any) -> Any:
    s = _sig(x)
    return -s * (1 - s)


LogSigmoid = _pointwise("LogSigmoid", _logsigmoid, _dlogsigmoid, _d2logsigmoid)


# elu family -----------------------------------------------------------------------------------
def _elu(x: Any, alpha: float = 1.0, scale: float = 1.0, input_scale: float = 1.0) -> Any:
    xp = _ns(x)
    neg = xp.minimum(x, 0)
    if input_scale != 1:
        neg *= input_scale
    xp.expm1(neg, out=neg)
    if alpha != 1:
        neg *= alpha
    neg += xp.maximum(x, 0)  # perf: the two branches are 0 where the other one applies
    if scale != 1:
        neg *= scale
    return neg


def _delu(x: Any, alpha: float = 1.0, scale: float = 1.0, input_scale: float = 1.0) -> Any:
    xp = _ns(x)
    neg = xp.minimum(x, 0)
    if input_scale != 1:
        neg *= input_scale
    xp.exp(neg, out=neg)
    c = alpha * input_scale * scale
    neg *= c  # equals c where x > 0, where the slope is `scale` instead
    neg += (x > 0) * x.dtype.type(scale - c)
    return neg


def _d2elu(x: Any, alpha: float = 1.0, scale: float = 1.0, input_scale: float = 1.0) -> Any:
    xp = _ns(x)
    neg = (alpha * input_scale * input_scale * scale) * xp.exp(xp.minimum(x, 0) * input_scale)
    return neg * (x <= 0)


Elu = _pointwise("Elu", _elu, _delu, _d2elu)


def _f32(fn: Any) -> Any:
    # torch: celu's backward takes 1/alpha with alpha rounded to float32 (``1.0 / alpha.toFloat()``)
    def f(x: Any, alpha: float = 1.0, scale: float = 1.0, input_scale: float = 1.0) -> Any:
        return fn(x, alpha, scale, 1.0 / float(np.float32(alpha)))

    return f


Celu = _pointwise("Celu", _elu, _f32(_delu), _f32(_d2elu))


# piecewise linear -----------------------------------------------------------------------------
def _leaky(x: Any, negative_slope: float = 0.01) -> Any:
    xp = _ns(x)
    if 0 <= negative_slope <= 1:  # perf: two passes instead of three
        return xp.maximum(x, x * negative_slope)
    out = xp.minimum(x, 0)
    out *= negative_slope
    out += xp.maximum(x, 0)
    return out


def _dleaky(x: Any, negative_slope: float = 0.01) -> Any:
    d = (x > 0).astype(x.dtype)
    d *= 1 - negative_slope
    d += negative_slope
    return d


LeakyRelu = _pointwise("LeakyRelu", _leaky, _dleaky)


def _hardtanh(x: Any, min_val: float = -1.0, max_val: float = 1.0) -> Any:
    return _ns(x).clip(x, min_val, max_val).astype(x.dtype, copy=False)


def _dhardtanh(x: Any, min_val: float = -1.0, max_val: float = 1.0) -> Any:
    return ((x > min_val) & (x < max_val)).astype(x.dtype)


Hardtanh = _pointwise("Hardtanh", _hardtanh, _dhardtanh)


def _hardswish(x: Any) -> Any:
    return x * _ns(x).clip(x + 3, 0, 6) / 6


def _dhardswish(x: Any) -> Any:
    # torch: 0 below -3, x/3 + 1/2 on [-3, 3], 1 above
    d = x / 3 - 0.5
    d *= x <= 3
    d += 1
    d *= x >= -3
    return d


def _d2hardswish(x: Any) -> Any:
    return (((x > -3) & (x < 3)) / 3).astype(x.dtype, copy=False)


Hardswish = _pointwise("Hardswish", _hardswish, _dhardswish, _d2hardswish)


def _hardsigmoid(x: Any) -> Any:
    return _ns(x).clip(x + 3, 0, 6) / 6


_ONE_SIXTH_F32 = float(np.float32(1.0 / 6.0))  # torch: the backward's 1/6 is a float32 constant


def _dhardsigmoid(x: Any) -> Any:
    return (((x > -3) & (x < 3)) * _ONE_SIXTH_F32).astype(x.dtype, copy=False)


Hardsigmoid = _pointwise("Hardsigmoid", _hardsigmoid, _dhardsigmoid)


def _threshold(x: Any, threshold: float = 0.0, value: float = 0.0) -> Any:
    return _blend(x > threshold, x, x.dtype.type(value))


def _dthreshold(x: Any, threshold: float = 0.0, value: float = 0.0) -> Any:
    return (x > threshold).astype(x.dtype)


Threshold = _pointwise("Threshold", _threshold, _dthreshold)


def _hardshrink(x: Any, lambd: float = 0.5) -> Any:
    return x * ((x > lambd) | (x < -lambd))


def _dhardshrink(x: Any, lambd: float = 0.5) -> Any:
    return ((x > lambd) | (x < -lambd)).astype(x.dtype)


Hardshrink = _pointwise("Hardshrink", _hardshrink, _dhardshrink)


def _softshrink(x: Any, lambd: float = 0.5) -> Any:
    return x - _ns(x).clip(x, -lambd, lambd).astype(x.dtype, copy=False)


Softshrink = _pointwise("Softshrink", _softshrink, _dhardshrink)


# two-input and split ops ----------------------------------------------------------------------
class PreluKernel(Op):
    """``x if x > 0 else weight * x``, ``weight`` broadcast along dim 1 (or a single value)."""

    @staticmethod
    def forward(ctx: Any, a: Tensor, w: Tensor) -> Any:
        x, wa = a._array, w._array
        if ctx.recording:
            ctx.save_for_backward(a, w)
        xp = _ns(x)
        out = xp.minimum(x, 0)
        out *= wa if out.ndim >= wa.ndim else wa.reshape(())  # weight (C, 1, ...) or one slope
        out += xp.maximum(x, 0)
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        from .elementwise import where  # noqa: PLC0415

        a, w = ctx.saved_tensors
        pos = a > 0
        ga = where(pos, grad, grad * w) if ctx.needs_input_grad[0] else None
        gw = sum_to(where(pos, 0.0, grad * a), w.shape) if ctx.needs_input_grad[1] else None
        return ga, gw


class Glu(Op):
    """``a * sigmoid(b)`` where ``a, b`` are the two halves of the input along ``dim``."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, dim: int = -1) -> Any:
        arr = x._array
        h = arr.shape[dim] // 2
        a, b = _ns(arr).split(arr, [h], axis=dim)
        if ctx.recording:
            ctx.save_for_backward(x)
            ctx.dim = dim
        return a * _sig(b).astype(arr.dtype, copy=False)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        from .elementwise import sigmoid  # noqa: PLC0415
        from .shape import cat  # noqa: PLC0415

        (x,) = ctx.saved_tensors
        a, b = x.chunk(2, ctx.dim)
        s = sigmoid(b)
        ga = grad * s
        return cat([ga, ga * a * (1 - s)], ctx.dim)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """GELU, exact (erf) or with the tanh approximation."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    return Gelu.apply(_float_only(input, "GeluKernelImpl"), approximate=approximate)


def _float_only(x: Tensor, kernel: str) -> Tensor:
    if x.dtype._cat < 2:
        raise NotImplementedError(f'"{kernel}" not implemented for \'{_TORCH_NAME.get(x.dtype.name, x.dtype.name)}\'')  # noqa: E501
    return x


_TORCH_NAME = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
               "bool": "Bool"}  # fmt: skip

"""Fused activation ops: softmax/log-softmax and the pointwise nonlinearities (gelu, silu, elu, ...).

Each op computes its forward on arrays in one pass and has a hand-written backward.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ember._device import array_namespace
from ember._tensor import Tensor, _wrap
from ember.autograd.function import Op
from ember.autograd.grad_mode import _state
from .shape import _dim, _xp, sum_to
from .special import erf_array

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
        return y * (grad - (grad * y).sum(ctx.dim, keepdim=True))


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
        from .elementwise import exp  # noqa: PLC0415

        y = ctx.output
        return grad - exp(y) * grad.sum(ctx.dim, keepdim=True)


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

        cls_d = type(f"{name}Derivative", (Op,), {
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
    """The standard normal CDF: exact erf in float64; else one float32 pass (abs. error < 2e-7).

    Below zero it is computed as erfc directly, so small tails keep their relative precision.
    """
    if x.dtype == np.float64:
        return 0.5 * (1 + erf_array(x * _SQRT_HALF))
    xp = _ns(x)
    a = xp.abs(x).astype(np.float32, copy=False) * np.float32(_SQRT_HALF)
    t = 1 / (1 + 0.3275911 * a)
    half_erfc = (0.5 * t) * (_AS[0] + t * (_AS[1] + t * (_AS[2] + t * (_AS[3] + t * _AS[4]))))
    half_erfc *= xp.exp(-a * a)
    return xp.where(x < 0, half_erfc, 1 - half_erfc).astype(x.dtype, copy=False)


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


Gelu = _pointwise("Gelu", _gelu, _dgelu, _d2gelu)


# silu / mish / softplus / logsigmoid ------------------------------------------------------------
def _silu(x: Any) -> Any:
    return x * _sig(x)


def _dsilu(x: Any) -> Any:
    s = _sig(x)
    return s * (1 + x * (1 - s))


def _d2silu(x: Any) -> Any:
    s = _sig(x)
    return s * (1 - s) * (2 + x * (1 - 2 * s))


Silu = _pointwise("Silu", _silu, _dsilu, _d2silu)


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


def _softplus_b(x: Any, beta: float = 1.0, threshold: float = 20.0) -> Any:
    xb = x * beta
    # torch: linear above the threshold (in units of beta * x)
    return _ns(x).where(xb > threshold, x, _softplus(xb) / beta).astype(x.dtype, copy=False)


def _dsoftplus(x: Any, beta: float = 1.0, threshold: float = 20.0) -> Any:
    xb = x * beta
    return _ns(x).where(xb > threshold, 1, _sig(xb)).astype(x.dtype, copy=False)


def _d2softplus(x: Any, beta: float = 1.0, threshold: float = 20.0) -> Any:
    xb = x * beta
    s = _sig(xb)
    return _ns(x).where(xb > threshold, 0, beta * s * (1 - s)).astype(x.dtype, copy=False)


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
    neg = alpha * xp.expm1(xp.minimum(x, 0) * input_scale)
    return (scale * xp.where(x > 0, x, neg)).astype(x.dtype, copy=False)


def _delu(x: Any, alpha: float = 1.0, scale: float = 1.0, input_scale: float = 1.0) -> Any:
    xp = _ns(x)
    neg = (alpha * input_scale) * xp.exp(xp.minimum(x, 0) * input_scale)
    return (scale * xp.where(x > 0, 1, neg)).astype(x.dtype, copy=False)


def _d2elu(x: Any, alpha: float = 1.0, scale: float = 1.0, input_scale: float = 1.0) -> Any:
    xp = _ns(x)
    neg = (alpha * input_scale * input_scale) * xp.exp(xp.minimum(x, 0) * input_scale)
    return (scale * xp.where(x > 0, 0, neg)).astype(x.dtype, copy=False)


Elu = _pointwise("Elu", _elu, _delu, _d2elu)


def _f32(fn: Any) -> Any:
    # torch: celu's backward takes 1/alpha with alpha rounded to float32 (``1.0 / alpha.toFloat()``)
    def f(x: Any, alpha: float = 1.0, scale: float = 1.0, input_scale: float = 1.0) -> Any:
        return fn(x, alpha, scale, 1.0 / float(np.float32(alpha)))

    return f


Celu = _pointwise("Celu", _elu, _f32(_delu), _f32(_d2elu))


# piecewise linear -----------------------------------------------------------------------------
def _leaky(x: Any, negative_slope: float = 0.01) -> Any:
    return _ns(x).where(x > 0, x, x * negative_slope)


def _dleaky(x: Any, negative_slope: float = 0.01) -> Any:
    t = x.dtype.type
    return _ns(x).where(x > 0, t(1), t(negative_slope))


LeakyRelu = _pointwise("LeakyRelu", _leaky, _dleaky)


def _hardtanh(x: Any, min_val: float = -1.0, max_val: float = 1.0) -> Any:
    return _ns(x).clip(x, min_val, max_val).astype(x.dtype, copy=False)


def _dhardtanh(x: Any, min_val: float = -1.0, max_val: float = 1.0) -> Any:
    return ((x > min_val) & (x < max_val)).astype(x.dtype)


Hardtanh = _pointwise("Hardtanh", _hardtanh, _dhardtanh)


def _hardswish(x: Any) -> Any:
    return x * _ns(x).clip(x + 3, 0, 6) / 6


def _dhardswish(x: Any) -> Any:
    xp = _ns(x)
    return xp.where(x < -3, 0, xp.where(x <= 3, x / 3 + 0.5, 1)).astype(x.dtype, copy=False)


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
    return _ns(x).where(x > threshold, x, value).astype(x.dtype, copy=False)


def _dthreshold(x: Any, threshold: float = 0.0, value: float = 0.0) -> Any:
    return (x > threshold).astype(x.dtype)


Threshold = _pointwise("Threshold", _threshold, _dthreshold)


def _hardshrink(x: Any, lambd: float = 0.5) -> Any:
    return _ns(x).where((x > lambd) | (x < -lambd), x, 0).astype(x.dtype, copy=False)


def _dhardshrink(x: Any, lambd: float = 0.5) -> Any:
    return ((x > lambd) | (x < -lambd)).astype(x.dtype)


Hardshrink = _pointwise("Hardshrink", _hardshrink, _dhardshrink)


def _softshrink(x: Any, lambd: float = 0.5) -> Any:
    xp = _ns(x)
    return xp.where(x > lambd, x - lambd, xp.where(x < -lambd, x + lambd, 0)).astype(x.dtype, copy=False)  # noqa: E501


Softshrink = _pointwise("Softshrink", _softshrink, _dhardshrink)


# two-input and split ops ----------------------------------------------------------------------
class PreluKernel(Op):
    """``x if x > 0 else weight * x``, ``weight`` broadcast along dim 1 (or a single value)."""

    @staticmethod
    def forward(ctx: Any, a: Tensor, w: Tensor) -> Any:
        x, wa = a._array, w._array
        if ctx.recording:
            ctx.save_for_backward(a, w)
        return _ns(x).where(x > 0, x, x * wa)

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

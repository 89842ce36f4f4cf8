"""Special functions: erf, erfc, erfinv and the gamma family (lgamma, digamma, polygamma,
mvlgamma).

NumPy has none of them and SciPy is not a dependency, so each is a vectorised kernel on arrays
(``erf_array`` and friends, also used by GELU and ``nn.init.trunc_normal_``) under an ``Op``.
``ember._ops.elementwise`` re-exports the ops, so they are ``ember.erf``, ``Tensor.erf`` and so on.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._tensor import Tensor
from ..autograd.function import Op
from .elementwise import _float_in, _unary_op, exp

__all__ = ["erf", "erfc", "erfinv", "lgamma", "digamma", "polygamma", "mvlgamma"]


def _xp(a: Any) -> Any:
    from .._device import array_namespace  # noqa: PLC0415

    return array_namespace(a)


CHUNK = 1 << 16  # elements; a few of these fit in L2 cache


def chunked(fn: Any, *arrays: Any) -> Any:
    """``fn(*arrays)`` for an elementwise ``fn``, run over cache-sized pieces of the inputs.

    # perf: a chain of NumPy passes over a large array streams it through memory once per pass;
    # doing the whole chain on one cache-sized piece at a time was 4x faster for GELU's erf.
    Falls back to one call for CuPy arrays, small or non-contiguous inputs, or mixed shapes.
    """
    x = arrays[0]
    n = x.size
    if (n <= 2 * CHUNK or type(x) is not np.ndarray
            or any(type(a) is not np.ndarray or a.shape != x.shape or not a.flags.c_contiguous for a in arrays)):  # noqa: E501
        return fn(*arrays)
    flats = [a.reshape(-1) for a in arrays]
    out = None
    for i in range(0, n, CHUNK):
        r = fn(*(f[i:i + CHUNK] for f in flats))
        if out is None:
            out = np.empty(n, dtype=r.dtype)
        out[i:i + CHUNK] = r
    return out.reshape(x.shape)


# --- erf, erfc, erfinv -------------------------------------------------------------------------

_SQRT_PI = math.sqrt(math.pi)
# W. J. Cody's rational approximations (CALERF, netlib specfun; 1969), about 1e-16 relative in
# float64, highest degree first: erf(x) / x in x^2 on |x| <= 0.46875, then exp(x^2) erfc(x) in x
# on (0.46875, 4] and, beyond 4, 1 / sqrt(pi) - R(1/x^2) / x^2 scaled by 1 / x
_ERF_NUM = (1.85777706184603153e-1, 3.16112374387056560e00, 1.13864154151050156e02,
            3.77485237685302021e02, 3.20937758913846947e03)  # fmt: skip
_ERF_DEN = (1.0, 2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
            2.84423683343917062e03)  # fmt: skip
_ERFCX_NUM = (2.15311535474403846e-8, 5.64188496988670089e-1, 8.88314979438837594e00,
              6.61191906371416295e01, 2.98635138197400131e02, 8.81952221241769090e02,
              1.71204761263407058e03, 2.05107837782607147e03, 1.23033935479799725e03)  # fmt: skip
_ERFCX_DEN = (1.0, 1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
              1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
              3.43936767414372164e03, 1.23033935480374942e03)  # fmt: skip
_ERFCX_TAIL_NUM = (1.63153871373020978e-2, 3.05326634961232344e-1, 3.60344899949804439e-1,
                   1.25781726111229246e-1, 1.60837851487422766e-2, 6.58749161529837803e-4)  # fmt: skip
_ERFCX_TAIL_DEN = (1.0, 2.56852019228982242e00, 1.87295284992346047e00, 5.27905102951428412e-1,
                   6.05183413124413191e-2, 2.33520497626869185e-3)  # fmt: skip
_NEAR = 0.46875  # Cody's split: below it erf(x) / x is a ratio in x^2, with no cancellation
# Numerical Recipes' erfc approximation: fractional error below 1.2e-7 everywhere.
_ERFC = (-1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807, -1.13520398,
         1.48851587, -0.82215223, 0.17087277)  # fmt: skip


def _ratio(t: Any, num: tuple[float, ...], den: tuple[float, ...]) -> Any:
    """``num(t) / den(t)`` for polynomial coefficients given highest degree first."""
    p, q = t * num[0], t * den[0]
    p += num[1]
    q += den[1]
    for a, b in zip(num[2:], den[2:]):  # perf: in place
        p *= t
        p += a
        q *= t
        q += b
    p /= q
    return p


def _erf_near(x64: Any) -> Any:
    """``erf(x)`` for float64 ``|x| <= 0.46875``, as ``x`` times Cody's ratio in ``x^2``."""
    return x64 * _ratio(x64 * x64, _ERF_NUM, _ERF_DEN)


def _erfc_abs_f64(x64: Any) -> Any:
    """``erfc(|x|)`` to float64 precision for ``|x| > 0.46875`` by Cody's approximations."""
    xp = _xp(x64)
    # perf: every piece over the whole array, then selected (boolean gathers cost more)
    y = xp.minimum(xp.abs(x64), 30.0)  # erfc(30) is 0 even in float64; inf stays out of it
    yf = xp.maximum(y, 4.0)
    t = 1 / (yf * yf)
    far = (1 / _SQRT_PI - t * _ratio(t, _ERFCX_TAIL_NUM, _ERFCX_TAIL_DEN)) / yf
    scaled = xp.where(y <= 4, _ratio(y, _ERFCX_NUM, _ERFCX_DEN), far)
    # erfc = exp(-y^2) * scaled; y^2 = s^2 + d with s = y rounded down to 1/16, so that s^2 is
    # exact; exp(-s^2) as two halves keeps precision into the subnormals
    s = xp.trunc(y * 16) / 16
    half = xp.exp(s * s * -0.5)
    return half * xp.exp(-(y - s) * (y + s)) * scaled * half


def _erfc_abs_f32(x64: Any) -> Any:
    """``erfc(|x|)`` by Numerical Recipes' formula (relative error below 1.2e-7, exp(-x^2)
    factored in): enough below float64, at a third of the passes of Cody's."""
    xp = _xp(x64)
    z = xp.abs(x64)
    t = 1 / (1 + 0.5 * z)
    poly = xp.full_like(z, _ERFC[-1])
    for c in _ERFC[-2::-1]:
        poly *= t
        poly += c
    poly -= z * z
    return t * xp.exp(poly)


def _erfc_f64(x64: Any) -> Any:
    """``erfc`` to float64 precision by Cody's approximations."""
    return _erfc_from(_erfc_abs_f64(x64), x64)


def _erfc_f32(x64: Any) -> Any:
    v = _erfc_abs_f32(x64)  # no near-0 branch: NR's erfc is within 1.2e-7 there too
    return _xp(x64).where(x64 < 0, 2 - v, v)


def _erfc_from(v: Any, x64: Any) -> Any:
    """``erfc(x)`` from ``v = erfc(|x|)``, and from Cody's erf ratio near 0."""
    xp = _xp(x64)
    return xp.where(xp.abs(x64) <= _NEAR, 1 - _erf_near(x64), xp.where(x64 < 0, 2 - v, v))


def _erf_f64(x64: Any) -> Any:
    """``erf`` to float64 precision by Cody's approximations."""
    return _erf_from(_erfc_abs_f64(x64), x64)


def _erf_f32(x64: Any) -> Any:
    return _erf_from(_erfc_abs_f32(x64), x64)


def _erf_from(v: Any, x64: Any) -> Any:
    """``erf(x)`` from ``v = erfc(|x|)``: ``+-(1 - v)`` away from 0, where erf is at least 0.49
    and the subtraction loses nothing; Cody's ratio near 0, tiny ``|x|`` included."""
    xp = _xp(x64)
    return xp.where(xp.abs(x64) <= _NEAR, _erf_near(x64), xp.where(x64 < 0, v - 1, 1 - v))


def _in_float64(f64: Any, lower: Any, x: Any) -> Any:
    """``f64(x)`` for float64 ``x``, else ``lower(x)``, worked in float64 over cache-sized pieces
    and rounded once to ``x``'s dtype (NumPy scalars in, NumPy scalars out)."""
    xp = _xp(x)
    x64 = xp.asarray(x, dtype=np.float64)
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        # perf: the passes run over cache-sized pieces (the chain is long)
        out = chunked(f64 if x.dtype == np.float64 else lower, x64).astype(x.dtype, copy=False)
    return out if out.ndim or isinstance(x, xp.ndarray) else out[()]


def erf_array(x: Any) -> Any:
    """Elementwise erf: to a few ulps in float64 (Cody), within 1.2e-7 relative below it."""
    return _in_float64(_erf_f64, _erf_f32, x)


def erfc_array(x: Any) -> Any:
    """``erfc`` computed directly, not as ``1 - erf``: its right tail (down to the subnormals)
    keeps full precision. Worked in float64 and rounded once to ``x``'s dtype."""
    return _in_float64(_erfc_f64, _erfc_f32, x)


def erfinv_array(y: Any) -> Any:
    """Elementwise inverse of erf, to float64 precision up to ``|y| = 1``: a first guess refined
    by two Newton steps, worked in float64 and rounded once to ``y``'s dtype."""
    y64 = _xp(y).asarray(y, dtype=np.float64)
    with np.errstate(divide="ignore", over="ignore", under="ignore", invalid="ignore"):
        # perf: the passes run over cache-sized pieces (the chain is long): 1.5x faster than
        # whole-array passes
        return chunked(_erfinv_f64, y64).astype(y.dtype)


def _erfinv_f64(y64: Any) -> Any:
    """``erfinv`` to float64 precision: a first guess refined by two Newton steps."""
    xp = _xp(y64)
    ay = xp.abs(y64)
    x = _erfinv_guess(ay)
    for _ in range(2):
        # Newton on erf(x) = |y|; away from 0 on log(erfc(x)) = log(1 - |y|) (1 - |y| exact),
        # which keeps its digits as |y| nears 1 and converges from the tail's rougher guess
        v = _erfc_abs_f64(x)
        r = xp.where(x <= _NEAR, ay - _erf_near(x), v * xp.log(v / (1.0 - ay)))
        x = x + r / ((2 / _SQRT_PI) * xp.exp(-x * x))
    x = xp.where(ay == 1, np.inf, xp.where(ay > 1, np.nan, x))
    return xp.copysign(x, y64)


def _erfinv_guess(ay: Any) -> Any:
    """``erfinv(|y|)`` to 1e-7 by Giles' single-precision approximation where
    ``w = -log(1 - y^2) < 12``, and to 1e-4 beyond it by erfc's asymptotic series: ``x^2 = L -
    log(sqrt(pi) x) + log(1 - 1 / (2 x^2))`` with ``L = -log(1 - |y|)``, two fixed-point steps."""
    xp = _xp(ay)
    w = -xp.log((1.0 - ay) * (1.0 + ay))
    a = w - 2.5
    p1 = 2.81022636e-08
    for c in (3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087, -0.00125372503,
              -0.00417768164, 0.246640727, 1.50140941):  # fmt: skip
        p1 = c + p1 * a
    b = xp.sqrt(w) - 3.0
    p2 = -0.000200214257
    for c in (0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613,
              0.00943887047, 1.00167406, 2.83297682):  # fmt: skip
        p2 = c + p2 * b
    big = xp.maximum(-xp.log(1.0 - ay), 12.0)  # L, kept where the series is used
    x2 = big
    for _ in range(2):
        x2 = big - 0.5 * xp.log(math.pi * x2) + xp.log1p(-0.5 / x2)
    return xp.where(w < 5.0, p1 * ay, xp.where(w < 12.0, p2 * ay, xp.sqrt(x2)))


Erf, erf = _unary_op("erf", erf_array, lambda g, a, y: g * exp(-a * a) * (2 / _SQRT_PI))
Erfc, erfc = _unary_op("erfc", erfc_array, lambda g, a, y: -g * exp(-a * a) * (2 / _SQRT_PI))
Erfinv, erfinv = _unary_op("erfinv", erfinv_array, lambda g, a, y: g * exp(y * y) * (_SQRT_PI / 2), save_output=True)  # noqa: E501


# --- gamma functions: NumPy has none; series with recurrences, vectorised --------------------

# Stirling series coefficients B_2k / (2k (2k - 1)), and B_2k for the polygamma series
_STIRLING = (1 / 12, -1 / 360, 1 / 1260, -1 / 1680, 1 / 1188, -691 / 360360, 1 / 156)
_BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6)
_SHIFT = 12.0  # the series is used once the argument is at least this large


def _shift_steps(x: Any) -> int:
    finite = x[np.isfinite(x)]
    return int(np.clip(np.ceil(_SHIFT - finite.min()), 0, None)) if finite.size else 0


# lgamma(2 + u) / u on [-0.5, 0.5] (its Taylor series starts at 1 - Euler's gamma), as Chebyshev
# interpolants fitted with mpmath and written as monomials, lowest degree first: degree 17 is
# within an ulp of float64, degree 8 within 5e-9 (for float32 and below)
_LGAMMA2_F64 = (0.42278433509846713, 0.3224670334241132, -0.06735230105319563,
                0.02058080842778338, -0.007385551028935545, 0.002890510330865901,
                -0.0011927539009983087, 0.0005096695196526673, -0.00022315497746292723,
                9.945761692157133e-05, -4.4923727564247656e-05, 2.050601970174762e-05,
                -9.45628851510172e-06, 4.3828545383846665e-06, -1.9743106888421067e-06,
                9.242852225162277e-07, -5.811277768921246e-07, 2.7475390051909663e-07)  # fmt: skip
_LGAMMA2_F32 = (0.42278433509846713, 0.3224670180454995, -0.06735229409087408,
                0.0205816254365885, -0.007385920884783578, 0.00287886868374075,
                -0.0011874848136699278, 0.0005702512502829781, -0.00025056202146086636)  # fmt: skip
_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)
_STIRLING_FROM = 8.0  # the Stirling series below is within an ulp of float64 from here on


def _lgamma_below(z: Any, coef: tuple[float, ...]) -> Any:
    """``lgamma(z)`` for float64 ``-0.5 <= z < 8``."""
    # z = 2 + u + n, with u in [-0.5, 0.5) (exact) and n in -2..6, then by the recurrence
    # Gamma(z + 1) = z Gamma(z): lgamma(z) = lgamma(2 + u) + log((z - 1) ... (z - n)) for
    # n > 0, and lgamma(2 + u) - log|z (z + 1) ... (z - n - 1)| for n < 0. At z = 1 and 2,
    # u = 0 and the product is 1: lgamma is exactly 0 there, as in torch.
    n = np.floor(z - 1.5)
    u = z - (n + 2)
    # perf: in-place passes into two buffers (a fresh array per pass was 5x slower here)
    prod, tmp = np.ones_like(z), np.empty_like(z)
    top = int(n.max())
    if top > 0:
        # the factors z - j, j <= n, are >= 1.5 and the next ones below 1.5: clamping every
        # z - j at 1 leaves the product times max(z - n - 1, 1) = max(u + 1, 1), divided out
        for j in range(1, top + 2):
            np.subtract(z, j, out=tmp)
            np.maximum(tmp, 1.0, out=tmp)
            prod *= tmp
        np.add(u, 1.0, out=tmp)
        np.maximum(tmp, 1.0, out=tmp)
        prod /= tmp
    if n.min() < 0:
        # below 1.5 the product is z (n = -1) or z (z + 1) (n = -2), and its log is subtracted;
        # -log(z) (not log(1 / z)) keeps lgamma's relative precision next to z = 1
        neg = n < 0
        prod = np.where(neg, np.abs(z * np.where(n < -1, z + 1, 1.0)), prod)
        np.log(prod, out=prod)
        prod *= np.where(neg, -1.0, 1.0)
    else:
        np.log(prod, out=prod)
    poly = np.full_like(u, coef[-1])
    for c in coef[-2::-1]:
        poly *= u
        poly += c
    poly *= u
    poly += prod
    return poly


def _lgamma_stirling(z: Any, terms: int) -> Any:
    """``lgamma(z)`` for ``z >= 8`` by Stirling's series."""
    inv = 1 / z
    inv2 = inv * inv
    series = np.full_like(z, _STIRLING[terms - 1])
    for c in _STIRLING[terms - 2::-1]:
        series *= inv2
        series += c
    r = (z - 0.5) * np.log(z) - z + _HALF_LOG_2PI + series * inv
    return np.where(z == np.inf, np.inf, r)


def _lgamma_nonneg(z: Any, coef: tuple[float, ...], terms: int) -> Any:
    """``lgamma(z)`` for float64 ``z >= -0.5`` (NaN passes through)."""
    low, high = z < _STIRLING_FROM, z >= _STIRLING_FROM
    if z.size and low.all():
        return _lgamma_below(z, coef)
    if z.size and high.all():
        return _lgamma_stirling(z, terms)
    out = z.copy()  # NaN stays NaN
    if low.any():
        out[low] = _lgamma_below(z[low], coef)
    if high.any():
        out[high] = _lgamma_stirling(z[high], terms)
    return out


def _lgamma_array(x: Any) -> Any:
    """``log|Gamma(x)|`` worked in float64: a polynomial on [1.5, 2.5) reached by the recurrence
    from below 8, Stirling's series above, and the reflection formula below -0.5."""
    x64 = np.asarray(x, np.float64)
    f64 = x.dtype == np.float64
    coef, terms = (_LGAMMA2_F64, len(_STIRLING)) if f64 else (_LGAMMA2_F32, 3)
    with np.errstate(all="ignore"):
        neg = x64 < -0.5
        z = np.where(neg, 1 - x64, x64) if neg.any() else x64
        # perf: the passes run over cache-sized pieces (the chain is long)
        out = chunked(lambda c: _lgamma_nonneg(c, coef, terms), z)
        if neg.any():
            # lgamma(x) = log(pi / |sin(pi x)|) - lgamma(1 - x); sin(pi x) taken of x's distance
            # to the nearest integer (exact), so that large |x| keeps its precision; the poles
            # (sin = 0) give inf as in torch
            xn = x64[neg]
            s = np.abs(np.sin(math.pi * (xn - np.round(xn))))
            out[neg] = np.where(xn == -np.inf, np.inf, np.log(math.pi / s) - out[neg])
        out = out.astype(x.dtype)  # overflows to inf in float32, as torch
    return out if x.ndim else out[()]


def _polygamma_array(n: int, x: Any) -> Any:
    """``n``-th derivative of digamma (``n = 0``: digamma itself)."""
    x64 = np.asarray(x, np.float64)
    reflect = (x64 < 0.5) & (n == 0)  # digamma: psi(x) = psi(1 - x) - pi / tan(pi x)
    z = np.where(reflect, 1.0 - x64, x64)
    sign = -1.0 if n % 2 == 0 else 1.0  # (-1)**(n + 1)
    fact = math.factorial(n)
    acc = np.zeros_like(z)
    with np.errstate(divide="ignore", invalid="ignore"):
        for k in range(_shift_steps(z)):
            zk = z + k
            term = 1.0 / zk if n == 0 else fact / zk ** (n + 1)
            acc += np.where(zk < _SHIFT, term, 0.0)
        w = np.where(z < _SHIFT, z + np.ceil(_SHIFT - z), z)
        inv = 1.0 / w
        if n == 0:
            series = np.zeros_like(w)
            for k in range(len(_BERNOULLI), 0, -1):
                series = series * inv * inv + _BERNOULLI[k - 1] / (2 * k)
            r = np.log(w) - 0.5 * inv - series * inv * inv - acc
            refl = r - math.pi / np.tan(math.pi * x64)
            r = np.where(reflect, np.where(x64 == np.floor(x64), np.nan, refl), r)
            r = np.where(x64 == 0, -np.inf, r)
        else:
            # psi^(n)(w) ~ (-1)^(n+1) [(n-1)!/w^n + n!/(2 w^(n+1)) + sum B_2k (2k+n-1)!/(2k)! / w^(2k+n)]
            series = math.factorial(n - 1) * inv**n + fact * 0.5 * inv ** (n + 1)
            for k, b in enumerate(_BERNOULLI, 1):
                series = series + b * math.factorial(2 * k + n - 1) / math.factorial(2 * k) * inv ** (2 * k + n)  # noqa: E501
            r = sign * (series + acc)
            r = np.where((x64 <= 0) & (x64 == np.floor(x64)), sign * np.inf, r)  # poles
    return r.astype(x.dtype) if x.ndim else r.astype(x.dtype)[()]


class Polygamma(Op):
    @staticmethod
    def forward(ctx: Any, a: Tensor, n: int = 0) -> Any:
        ctx.n = n
        if ctx.recording:
            ctx.save_for_backward(a)
        return _polygamma_array(n, a._array)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        (a,) = ctx.saved_tensors
        return grad * Polygamma.apply(a, n=ctx.n + 1)


Lgamma, lgamma = _unary_op("lgamma", _lgamma_array, lambda g, a, y: g * digamma(a))


class Digamma(Polygamma):
    pass


def mvlgamma(input: Tensor, p: int) -> Tensor:
    """Log of the multivariate gamma function of dimension ``p``."""
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    x = _float_in(input)
    out = lgamma(x)
    for j in range(1, p):  # one pass per dimension of the gamma function, not per element
        out = out + lgamma(x - j / 2)
    return out + p * (p - 1) / 4 * math.log(math.pi)


def digamma(input: Tensor) -> Tensor:
    """Logarithmic derivative of the gamma function."""
    return Digamma.apply(_float_in(input), n=0)


def polygamma(n: int, input: Tensor) -> Tensor:
    """The ``n``-th derivative of ``digamma``."""
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    return Polygamma.apply(_float_in(input), n=int(n))



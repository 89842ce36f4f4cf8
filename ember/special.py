"""``ember.special``: torch.special's functions, mostly other names for ops ember already has.

The few that are new here (``entr``, ``ndtr``, ``ndtri``, ``log_ndtr``) are composed
of differentiable ember ops, so autograd needs nothing extra; their graph nodes are those of the
last op (see docs/differences.md).
"""

from __future__ import annotations

import math
from typing import Any

from ._ops.elementwise import exp2, expm1, log, log1p, logit, sigmoid, sinc, where
from ._ops.elementwise import round as _round
from ._ops.elementwise import xlog1py as _xlog1py
from ._ops.elementwise import xlogy as _xlogy
from ._ops.special import digamma, erf, erfc, erfinv, lgamma, mvlgamma, polygamma
from ._tensor import Tensor

__all__ = ["expit", "logit", "erf", "erfc", "erfinv", "exp2", "expm1", "log1p", "log_softmax",
           "softmax", "logsumexp", "gammaln", "digamma", "psi", "polygamma", "multigammaln",
           "sinc", "round", "xlogy", "xlog1py", "entr", "ndtr", "ndtri", "log_ndtr"]  # fmt: skip


def _with_out(result: Tensor, out: Tensor | None) -> Tensor:
    if out is None:
        return result
    out.resize_(result.shape) if tuple(out.shape) != tuple(result.shape) else None
    out.copy_(result)
    return out


def expit(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """The logistic sigmoid, ``1 / (1 + exp(-x))``."""
    return _with_out(sigmoid(input), out)


def gammaln(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """``log |Gamma(x)|`` (``ember.lgamma``)."""
    return _with_out(lgamma(input), out)


psi = digamma


def multigammaln(input: Tensor, p: int, *, out: Tensor | None = None) -> Tensor:
    """The multivariate log-gamma function (``ember.mvlgamma``)."""
    return _with_out(mvlgamma(input, p), out)


def round(input: Tensor, *, decimals: int = 0, out: Tensor | None = None) -> Tensor:  # noqa: A001
    """Round half to even, as ``ember.round``."""
    return _with_out(_round(input, decimals=decimals), out)


def softmax(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    """``ember.softmax`` (``dim`` is required)."""
    from ._ops.activation import softmax as f  # noqa: PLC0415

    return f(input, dim, dtype)


def log_softmax(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    """``ember.log_softmax`` (``dim`` is required)."""
    from ._ops.activation import log_softmax as f  # noqa: PLC0415

    return f(input, dim, dtype)


def logsumexp(input: Tensor, dim: Any, keepdim: bool = False, *,
              out: Tensor | None = None) -> Tensor:
    """``log(sum(exp(x)))`` along ``dim`` without overflow."""
    from ._ops.reduction import logsumexp as f  # noqa: PLC0415

    return _with_out(f(input, dim, keepdim), out)


def xlogy(input: Any, other: Any, *, out: Tensor | None = None) -> Tensor:
    """``input * log(other)``, 0 where ``input`` is 0 (and ``other`` is not NaN)."""
    return _with_out(_xlogy(input, other), out)


def xlog1py(input: Any, other: Any, *, out: Tensor | None = None) -> Tensor:
    """``input * log1p(other)``, 0 where ``input`` is 0 (and ``other`` is not NaN)."""
    return _with_out(_xlog1py(input, other), out)


def _float(input: Tensor) -> Tensor:
    if input.dtype.is_floating_point:
        return input
    from ._dtype import get_default_dtype  # noqa: PLC0415

    return input.to(get_default_dtype())


def entr(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Elementwise entropy: ``-x log x`` for ``x > 0``, 0 at 0, ``-inf`` for ``x < 0``."""
    x = _float(input)
    pos = x > 0
    safe = where(pos, x, x.new_ones(()))
    inner = where(x == 0, x.new_zeros(()), x.new_full((), -math.inf))
    return _with_out(where(pos, -x * log(safe), inner), out)


_SQRT1_2 = math.sqrt(0.5)


def _log_erfc_tail(z: Tensor) -> Tensor:
    """``log(erfc(z))`` for ``z >= 2``, from erfc's continued fraction
    ``exp(-z^2) / sqrt(pi) / (z + (1/2) / (z + 1 / (z + (3/2) / (z + ...))))``, evaluated from
    the bottom (60 levels reach double precision at z = 2)."""
    f = z
    for k in range(60, 0, -1):
        f = z + (k / 2) / f
    return -z * z - 0.5 * math.log(math.pi) - log(f)


def _log_lower_upper(x: Tensor) -> tuple[Tensor, Tensor]:
    """``log(ndtr(-|x|))`` (the smaller tail, accurate however far out) in float64, and the
    mask of ``x > 0``."""
    xd = x.double()
    right = xd > 0
    z = where(right, xd, -xd) * _SQRT1_2  # not abs(): its gradient at 0 is 0
    far = z >= 2
    tail = _log_erfc_tail(where(far, z, z.new_full((), 2.0)))
    near = log(erfc(where(far, z.new_zeros(()), z)))
    return where(far, tail, near) - math.log(2.0), right


def ndtr(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """The standard normal CDF, ``(1 + erf(x / sqrt 2)) / 2`` (torch's formula: the far left
    tail rounds to 0; ``log_ndtr`` keeps it)."""
    x = _float(input)
    return _with_out((1 + erf(x * _SQRT1_2)) * 0.5, out)


def ndtri(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """The inverse of ``ndtr``: ``sqrt 2 * erfinv(2p - 1)``."""
    p = _float(input)
    return _with_out(erfinv(2 * p - 1) * math.sqrt(2.0), out)


def log_ndtr(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """``log(ndtr(x))``, accurate far into both tails (computed in float64)."""
    x = _float(input)
    log_small, right = _log_lower_upper(x)
    # right of 0, log(1 - small) = log1p(-small) keeps the tiny negative values
    return _with_out(where(right, log1p(-log_small.exp()), log_small).to(x.dtype), out)

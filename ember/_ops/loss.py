"""Fused loss ops: cross-entropy, NLL, MSE, smooth-L1/Huber, BCE (with logits), soft margin.

Each forward computes the per-element loss and its reduction in one pass on arrays. Each
backward has two forms of one formula: on arrays for a plain ``backward()`` (grad mode is off
while it runs), and on Tensors when ``create_graph=True`` needs the backward recorded.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ember._device import array_namespace
from ember._tensor import Tensor, _wrap
from ember.autograd.function import Op
from ember.autograd.grad_mode import _state

from .shape import sum_to

__all__: list[str] = []


def _ns(x: Any) -> Any:
    return np if type(x) is np.ndarray else array_namespace(x)


def _reduce(loss: Any, reduction: str) -> Any:
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    if loss.size == 0:
        return _ns(loss).asarray(np.nan, dtype=loss.dtype)
    return loss.mean()


def _grad_scale(grad: Tensor, reduction: str, n: int) -> Tensor:
    """The upstream gradient of each loss element: ``grad / n`` for mean, ``grad`` otherwise."""
    return grad / n if reduction == "mean" else grad


# --- the array/Tensor twin namespaces that derivative formulas are written against ---------------
class _Arr:
    """Array versions of the few functions the derivative formulas use."""

    @staticmethod
    def where(c: Any, a: Any, b: Any) -> Any:
        # perf: arithmetic blend (the branches here are finite); np.where branches per element
        return b + (a - b) * c

    @staticmethod
    def sign(x: Any) -> Any:
        return _ns(x).sign(x)

    @staticmethod
    def sigmoid(x: Any) -> Any:
        with np.errstate(over="ignore"):
            return 1 / (1 + _ns(x).exp(-x))

    @staticmethod
    def log(x: Any) -> Any:
        return _ns(x).log(x)

    @staticmethod
    def softplus(x: Any) -> Any:
        return _ns(x).logaddexp(0, x).astype(x.dtype, copy=False)

    @staticmethod
    def clamp_min(x: Any, v: float) -> Any:
        return _ns(x).maximum(x, v)

    @staticmethod
    def abs(x: Any) -> Any:
        return _ns(x).abs(x)


class _Ten:
    """Tensor versions of the same functions (recorded, for double backward)."""

    @staticmethod
    def where(c: Any, a: Any, b: Any) -> Any:
        from .elementwise import where  # noqa: PLC0415

        return where(c, a, b)

    sign = staticmethod(lambda x: x.sign())
    sigmoid = staticmethod(lambda x: x.sigmoid())
    log = staticmethod(lambda x: x.log())
    clamp_min = staticmethod(lambda x, v: x.clamp_min(v))
    abs = staticmethod(lambda x: x.abs())

    @staticmethod
    def softplus(x: Any) -> Any:
        from .activation import Softplus  # noqa: PLC0415

        return Softplus.apply(x)


def _pointwise_loss(name: str, f: Any, dx: Any, dy: Any = None) -> type[Op]:
    """Build the Op for ``reduce(f(x, y, o, **p))`` with ``d/dx = dx(...)`` and ``d/dy = dy(...)``.

    The formulas take a namespace ``o`` (``_Arr`` or ``_Ten``); ``dy=None`` means ``-dx``.
    """

    def forward(ctx: Any, x: Tensor, y: Tensor, reduction: str = "mean", **p: Any) -> Any:
        xa, ya = x._array, y._array
        loss = f(xa, ya, _Arr, **p)
        if ctx.recording:
            ctx.save_for_backward(x, y)
            ctx.p, ctx.reduction, ctx.n = p, reduction, loss.size
        return _reduce(loss, reduction)

    def backward(ctx: Any, grad: Tensor) -> Any:
        x, y = ctx.saved_tensors
        need_x, need_y = ctx.needs_input_grad
        g = _grad_scale(grad, ctx.reduction, ctx.n)
        if _state.enabled:  # create_graph: record the formulas
            a, b, o = x, y, _Ten
        else:
            a, b, o = x._array, y._array, _Arr
        d = dx(a, b, o, **ctx.p) if need_x or dy is None else None
        gx = gy = None
        if need_x:
            gx = sum_to(g * (d if o is _Ten else _wrap(d)), x.shape)
        if need_y:
            e = -d if dy is None else dy(a, b, o, **ctx.p)
            gy = sum_to(g * (e if o is _Ten else _wrap(e)), y.shape)
        return gx, gy

    return type(name, (Op,), {"forward": staticmethod(forward), "backward": staticmethod(backward),
                              "__module__": __name__, "__doc__": f"Fused ``{name}``."})  # fmt: skip


MseLoss = _pointwise_loss("MseLoss", lambda x, y, o: (x - y) ** 2, lambda x, y, o: 2 * (x - y))


def _smooth_l1(x: Any, y: Any, o: Any, beta: float = 1.0) -> Any:
    d = o.abs(x - y)
    if beta == 0:
        return d
    return o.where(d < beta, (0.5 / beta) * d * d, d - 0.5 * beta)


def _dsmooth_l1(x: Any, y: Any, o: Any, beta: float = 1.0) -> Any:
    d = x - y
    if beta == 0:
        return o.sign(d)
    return o.where(o.abs(d) < beta, d / beta, o.sign(d))


SmoothL1Loss = _pointwise_loss("SmoothL1Loss", _smooth_l1, _dsmooth_l1)


def _huber(x: Any, y: Any, o: Any, delta: float = 1.0) -> Any:
    d = o.abs(x - y)
    return o.where(d < delta, 0.5 * d * d, delta * (d - 0.5 * delta))


def _dhuber(x: Any, y: Any, o: Any, delta: float = 1.0) -> Any:
    d = x - y
    return o.where(o.abs(d) < delta, d, delta * o.sign(d))


HuberLoss = _pointwise_loss("HuberLoss", _huber, _dhuber)


def _soft_margin(x: Any, y: Any, o: Any) -> Any:
    return o.softplus(-y * x)


SoftMarginLoss = _pointwise_loss(
    "SoftMarginLoss", _soft_margin,
    lambda x, y, o: -y * o.sigmoid(-y * x), lambda x, y, o: -x * o.sigmoid(-y * x))  # fmt: skip


def _bce(x: Any, y: Any, o: Any, weight: Any = None) -> Any:
    # torch: each log is clamped at -100 so that 0 * log(0) stays finite
    with np.errstate(divide="ignore"):
        l = -(y * o.clamp_min(o.log(x), -100.0) + (1 - y) * o.clamp_min(o.log(1 - x), -100.0))  # noqa: E741
    return l if weight is None else l * weight


def _dbce(x: Any, y: Any, o: Any, weight: Any = None) -> Any:
    d = (x - y) / o.clamp_min((1 - x) * x, 1e-12)
    return d if weight is None else d * weight


def _dbce_y(x: Any, y: Any, o: Any, weight: Any = None) -> Any:
    with np.errstate(divide="ignore"):
        d = o.clamp_min(o.log(1 - x), -100.0) - o.clamp_min(o.log(x), -100.0)
    return d if weight is None else d * weight


BinaryCrossEntropy = _pointwise_loss("BinaryCrossEntropy", _bce, _dbce, _dbce_y)


def _bce_logits(x: Any, y: Any, o: Any, weight: Any = None, pos_weight: Any = None) -> Any:
    sp = o.softplus(-x)
    l = (1 - y) * x + (sp if pos_weight is None else ((pos_weight - 1) * y + 1) * sp)  # noqa: E741
    return l if weight is None else l * weight


def _dbce_logits(x: Any, y: Any, o: Any, weight: Any = None, pos_weight: Any = None) -> Any:
    s = o.sigmoid(x)
    d = s - y if pos_weight is None else ((pos_weight - 1) * y + 1) * s - pos_weight * y
    return d if weight is None else d * weight


def _dbce_logits_y(x: Any, y: Any, o: Any, weight: Any = None, pos_weight: Any = None) -> Any:
    d = -x if pos_weight is None else (pos_weight - 1) * o.softplus(-x) - x
    return d if weight is None else d * weight


BinaryCrossEntropyWithLogits = _pointwise_loss(
    "BinaryCrossEntropyWithLogits", _bce_logits, _dbce_logits, _dbce_logits_y)  # fmt: skip


# --- NLL and cross-entropy over class indices -----------------------------------------------------
def _rows(x: Any) -> Any:
    """``(C,)``, ``(N, C)`` or ``(N, C, d1, ...)`` as ``(M, C)`` rows, class last."""
    if x.ndim == 1:
        return x[None]
    if x.ndim == 2:
        return x
    return _ns(x).moveaxis(x, 1, -1).reshape(-1, x.shape[1])


def _unrows(g: Any, shape: tuple[int, ...]) -> Any:
    """Inverse of ``_rows`` (arrays or Tensors)."""
    if len(shape) == 1:
        return g.reshape(shape)
    if len(shape) == 2:
        return g
    lead = (shape[0],) + tuple(shape[2:]) + (shape[1],)
    if isinstance(g, Tensor):
        return g.reshape(lead).movedim(-1, 1)
    return _ns(g).moveaxis(g.reshape(lead), -1, 1)


def _targets(t: Any, C: int, ignore_index: int) -> tuple[Any, Any]:
    """Flattened targets with ignored entries at 0, and the mask of the kept ones."""
    t = t.reshape(-1)
    valid = t != ignore_index
    if valid.all():  # perf: the common case needs two reductions, no masking
        if t.size and (t.min() < 0 or t.max() >= C):
            bad = (t < 0) | (t >= C)
            raise IndexError(f"Target {int(t[bad][0])} is out of bounds.")
        return t, valid
    bad = valid & ((t < 0) | (t >= C))
    if bad.any():
        raise IndexError(f"Target {int(t[bad][0])} is out of bounds.")
    return _ns(t).where(valid, t, 0), valid


def _row_weights(w: Any, tc: Any, valid: Any, dtype: Any) -> Any:
    return w[tc] * valid if w is not None else valid.astype(dtype)


def _safe(denom: Any) -> Any:
    # torch: with every target ignored no gradient is written, so the 0 divisor never shows
    return denom if denom != 0 else denom.dtype.type(1)


def _reduce_rows(loss: Any, reduction: str, denom: Any, tshape: tuple[int, ...]) -> Any:
    if reduction == "none":
        return loss.reshape(tshape)
    if reduction == "sum":
        return loss.sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        return loss.sum() / denom  # torch: 0/0 = nan when every target is ignored


class NllLoss(Op):
    """``-input[i, target[i]] * weight[target[i]]``, reduced (``NllLossBackward0``)."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, t: Tensor, weight: Any = None, ignore_index: int = -100,
                reduction: str = "mean") -> Any:  # fmt: skip
        xa = x._array
        rows = _rows(xa)
        M = rows.shape[0]
        tc, valid = _targets(t._array, rows.shape[1], ignore_index)
        xp = _ns(xa)
        wt = _row_weights(weight, tc, valid, xa.dtype)
        loss = -rows[xp.arange(M), tc] * wt
        denom = wt.sum()
        if ctx.recording:
            ctx.tc, ctx.wt, ctx.denom, ctx.reduction, ctx.shape = tc, wt, _safe(denom), reduction, xa.shape
        return _reduce_rows(loss, reduction, denom, t.shape).astype(xa.dtype, copy=False)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        tc, wt = ctx.tc, ctx.wt
        M = tc.shape[0]
        C = ctx.shape[-1] if len(ctx.shape) <= 2 else ctx.shape[1]
        g = grad / _wrap(ctx.denom) if ctx.reduction == "mean" else grad
        xp = _ns(wt)
        if _state.enabled:
            A = xp.zeros((M, C), dtype=wt.dtype)
            A[xp.arange(M), tc] = -wt
            gr = g.reshape(-1, 1) if ctx.reduction == "none" else g
            return _unrows(gr * _wrap(A), ctx.shape), None
        out = xp.zeros((M, C), dtype=wt.dtype)
        ga = grad._array if ctx.reduction != "mean" else g._array
        out[xp.arange(M), tc] = -wt * ga.reshape(-1)
        return _wrap(_unrows(out, ctx.shape)), None


class NllLoss2d(NllLoss, node_name="NllLoss2DBackward0"):
    """``NllLoss`` on inputs with spatial dimensions (torch names the node differently)."""


class CrossEntropy(Op, node_name="NllLossBackward0"):
    """log-softmax over dim 1 and the NLL of the target classes, with label smoothing, in one op."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, t: Tensor, weight: Any = None, ignore_index: int = -100,
                reduction: str = "mean", label_smoothing: float = 0.0) -> Any:  # fmt: skip
        xa = x._array
        xp = _ns(xa)
        rows = _rows(xa)
        M, C = rows.shape
        tc, valid = _targets(t._array, C, ignore_index)
        z = rows - rows.max(axis=1, keepdims=True)
        picked = z[xp.arange(M), tc]
        ls = label_smoothing
        if ls > 0:
            zsum = z.sum(axis=1) if weight is None else z @ weight
        e = xp.exp(z, out=z)  # perf: z is not needed past this point
        s = e.sum(axis=1)
        lse = xp.log(s)
        wt = _row_weights(weight, tc, valid, xa.dtype)
        loss = (lse - picked) * wt
        if ls > 0:
            wsum = C if weight is None else weight.sum()
            smooth = (wsum * lse - zsum) * valid
            loss = (1 - ls) * loss + (ls / C) * smooth
        denom = wt.sum()
        if ctx.recording:
            ctx.save_for_backward(x)
            ctx.e, ctx.s, ctx.tc, ctx.wt, ctx.valid = e, s, tc, wt, valid
            ctx.weight, ctx.ls, ctx.denom, ctx.reduction = weight, ls, _safe(denom), reduction
        return _reduce_rows(loss, reduction, denom, t.shape).astype(xa.dtype, copy=False)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        (x,) = ctx.saved_tensors
        tc, wt, valid, w, ls = ctx.tc, ctx.wt, ctx.valid, ctx.weight, ctx.ls
        M, C = ctx.e.shape
        xp = _ns(wt)
        idx = xp.arange(M)
        # d loss_i / d logp[i, c] = A[i, c]; through log-softmax: A - p * A.sum(1)
        wsum = C if w is None else w.sum()
        sum_a = -(1 - ls) * wt
        if ls > 0:
            sum_a -= valid.astype(wt.dtype) * (ls / C * wsum)  # perf: stay in the input's dtype
        if _state.enabled:
            A = xp.zeros((M, C), dtype=wt.dtype)
            A[idx, tc] = -(1 - ls) * wt
            if ls > 0:
                A -= (ls / C) * (w if w is not None else 1) * valid[:, None]
            g = grad / _wrap(ctx.denom) if ctx.reduction == "mean" else grad
            g = g.reshape(-1, 1) if ctx.reduction == "none" else g
            p = _rows_t(x.softmax(1 if x.ndim > 1 else 0), x.ndim)
            return _unrows(g * (_wrap(A) - p * _wrap(sum_a[:, None])), x.shape), None
        ga = grad._array
        r = ga.reshape(-1) if ctx.reduction == "none" else (ga / ctx.denom if ctx.reduction == "mean" else ga)  # noqa: E501
        coef = -sum_a * r
        coef /= ctx.s
        out = ctx.e * coef[:, None]
        rv = r * valid
        if ls > 0:
            out -= (ls / C) * (w if w is not None else 1) * (xp.ones(M, dtype=wt.dtype) * rv)[:, None]  # noqa: E501
        out[idx, tc] -= (1 - ls) * wt * r
        return _wrap(_unrows(out.astype(x._array.dtype, copy=False), x.shape)), None


class CrossEntropy2d(CrossEntropy, node_name="NllLoss2DBackward0"):
    """``CrossEntropy`` on inputs with spatial dimensions."""


def _rows_t(x: Tensor, ndim: int) -> Tensor:
    if ndim == 1:
        return x.reshape(1, -1)
    if ndim == 2:
        return x
    return x.movedim(1, -1).reshape(-1, x.shape[1])

"""Fused scaled dot-product attention: ``softmax(q @ k^T * scale + mask) @ v`` as one op.

One GEMM, an in-place softmax and a second GEMM forward; the hand-written backward (on arrays)
is four GEMMs and one fused softmax gradient. For double backward (``create_graph=True``) it
differentiates the same formula composed from Tensor ops. Rows whose every key is masked out give
zeros (and zero gradients), as torch's CPU kernels do.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ember._device import array_namespace
from ember._tensor import Tensor, _wrap
from ember.autograd.function import Op
from ember.autograd.grad_mode import _state
from ember._ops.shape import sum_to

__all__ = ["ScaledDotProductAttention"]

_causal_cache: dict[tuple[Any, ...], Any] = {}


def _causal_mask(xp: Any, L: int, S: int) -> Any:
    """Boolean ``(L, S)`` array, True above the diagonal (the keys a query may not see)."""
    key = (xp, L, S)
    m = _causal_cache.get(key)
    if m is None:
        m = _causal_cache[key] = xp.triu(xp.ones((L, S), dtype=bool), 1)
    return m


def _causal_bias(xp: Any, L: int, S: int, dtype: Any) -> Any:
    """``(L, S)`` array of ``dtype``: -inf above the diagonal, 0 elsewhere.

    # perf: adding it masks the scores twice as fast as a masked ``copyto``.
    """
    key = (xp, L, S, dtype)
    m = _causal_cache.get(key)
    if m is None:
        m = _causal_cache[key] = xp.where(_causal_mask(xp, L, S), dtype.type(-np.inf), dtype.type(0))
    return m


def _scaled_t(xp: Any, k: Any, scale: float) -> Any:
    """``k^T * scale``, contiguous.

    # perf: heads are strided views of one projection; with the transposed operand contiguous
    # the batched GEMMs ran 1.3x faster, and the scale rides along with the copy.
    """
    kt = xp.empty(k.shape[:-2] + (k.shape[-1], k.shape[-2]), dtype=k.dtype)
    return xp.multiply(k.swapaxes(-1, -2), scale, out=kt)


def _scores(xp: Any, q: Any, k: Any, mask: Any, scale: float, causal: bool, kt: Any = None) -> Any:  # noqa: E501
    """Masked, scaled attention logits ``q @ (k^T * scale)`` (a fresh array, safe to overwrite);
    ``kt`` is ``k^T * scale`` if already made."""
    s = q @ (_scaled_t(xp, k, scale) if kt is None else kt)
    if mask is not None:
        shape = np.broadcast_shapes(s.shape, mask.shape)  # shape arithmetic only
        if shape != s.shape:
            s = xp.broadcast_to(s, shape).copy()
        if mask.dtype == bool:
            xp.copyto(s, -xp.inf, where=~mask)
        else:
            s += mask
    if causal:
        if s.dtype.kind == "f":
            s += _causal_bias(xp, s.shape[-2], s.shape[-1], s.dtype)
        else:
            xp.copyto(s, -xp.inf, where=_causal_mask(xp, s.shape[-2], s.shape[-1]))
    return s


def _softmax_(xp: Any, s: Any, safe: bool) -> Any:
    """Softmax over the last axis, in place; with ``safe``, fully masked rows become zeros."""
    m = s.max(axis=-1, keepdims=True)
    if safe:
        m[m == -xp.inf] = 0  # an all -inf row: exp gives zeros instead of NaN
    s -= m
    xp.exp(s, out=s)
    d = s @ xp.ones(s.shape[-1], dtype=s.dtype)  # perf: a GEMV beats NumPy's short-row sum
    if safe:
        d[d == 0] = 1
    s /= d[..., None]
    return s


def _probs_array(xp: Any, q: Any, k: Any, mask: Any, scale: float, causal: bool) -> tuple[Any, Any]:  # noqa: E501
    """The attention probabilities ``softmax(q @ k^T * scale + mask)`` on arrays, and
    ``k^T * scale`` (contiguous, for the backward).

    # perf: without a mask, each (batch, head)'s scores are shifted by their largest one rather
    # than row by row, since NumPy's reductions over short rows and broadcasts of a column cost
    # several passes each. Softmax is shift-invariant, and the result is as exact as long as no
    # row's terms underflow: a row sum ``d >= sqrt(tiny)`` guarantees that every probability
    # above ``sqrt(tiny)`` (1e-19 in float32) came from a normal float. A row that misses it
    # (its scores all far below its head's largest) sends the scores back through the per-row
    # softmax.
    """
    kt = _scaled_t(xp, k, scale)
    s = _scores(xp, q, k, mask, scale, causal, kt)
    if mask is None and s.size:
        # perf: one row per (batch, head): a broadcast over short rows costs 5x a plain pass
        s = xp.ascontiguousarray(s)  # (it is: a fresh product), so the reshape below is a view
        blocks = s.reshape(-1, s.shape[-2] * s.shape[-1])
        top = blocks.max(axis=1, keepdims=True)
        if xp.isfinite(top).all():
            blocks -= top
            xp.exp(s, out=s)
            d = s @ xp.ones(s.shape[-1], dtype=s.dtype)
            if d.min() >= math.sqrt(np.finfo(s.dtype).tiny):
                s /= d[..., None]
                return s, kt
            s = _scores(xp, q, k, mask, scale, causal, kt)
    return _softmax_(xp, s, mask is not None), kt


class ScaledDotProductAttention(Op, node_name="ScaledDotProductFlashAttentionForCpuBackward0"):
    """``dropout(softmax(q @ k^T * scale + mask)) @ v``; ``mask`` is bool (True = keep) or float."""

    @staticmethod
    def forward(ctx: Any, q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None, scale: float = 1.0,
                causal: bool = False, dropout_p: float = 0.0, rng: Any = None) -> Any:
        qa, ka, va = q._array, k._array, v._array
        xp = array_namespace(qa)
        ma = mask._array if mask is not None else None
        p, kt = _probs_array(xp, qa, ka, ma, scale, causal)
        keep = None
        if dropout_p > 0.0:
            r = rng.random(p.shape, dtype=p.dtype) if rng is not None else xp.random.random(p.shape).astype(p.dtype)  # noqa: E501
            keep = (r >= dropout_p).astype(p.dtype)
            keep *= 1.0 / (1.0 - dropout_p)
            out = (p * keep) @ va
        else:
            out = _matmul_like(xp, p, va, qa)
        if ctx.recording:
            ctx.save_for_backward(q, k, v, mask)
            ctx.p, ctx.kt, ctx.keep, ctx.scale, ctx.causal = p, kt, keep, scale, causal
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any, ...]:
        if _state.enabled:  # create_graph: differentiate the composed formula instead
            return _composed_backward(ctx, grad)
        q, k, v, mask = ctx.saved_tensors
        gq, gk, gv, gm = ctx.needs_input_grad
        g, p, keep, scale = grad._array, ctx.p, ctx.keep, ctx.scale
        xp = array_namespace(g)
        pd = p * keep if keep is not None else p
        dv = _grad(_matmul_like(xp, pd.swapaxes(-1, -2), g, v._array), v) if gv else None
        if not (gq or gk or gm):
            return None, None, dv, None
        # d(dropped p), then softmax backward in place (perf: v^T contiguous, as in _scaled_t)
        ds = g @ xp.ascontiguousarray(v._array.swapaxes(-1, -2))
        if keep is not None:
            ds *= keep
        ds -= xp.einsum("...ij,...ij->...i", ds, p)[..., None]
        ds *= p
        dm = _grad(ds, mask) if gm else None
        dq = dk = None
        if gq:  # ds @ k * scale, with the scaled k^T of the forward
            dq = _grad(_matmul_like(xp, ds, ctx.kt.swapaxes(-1, -2), q._array), q)
        if gk:
            dk = _matmul_like(xp, ds.swapaxes(-1, -2), q._array, k._array)
            dk *= scale
            dk = _grad(dk, k)
        return dq, dk, dv, dm


def _matmul_like(xp: Any, a: Any, b: Any, like: Any) -> Any:
    """``a @ b``, laid out in memory like ``like`` as torch's flash kernels do (``empty_like``).

    For heads split from one projection (``q.view(B, T, H, D).transpose(1, 2)``) the result is
    then ``(B, T, H, D)`` in memory: forward, the usual ``y.transpose(1, 2).contiguous()`` is
    free; backward, so is the ``view`` back to ``(B, T, C)`` of the gradients of q, k and v.
    """
    st = like.strides
    if like.ndim == 4 and type(like) is np.ndarray and st[0] >= st[2] > st[1] >= st[3] > 0 and like.shape[1] > 1:  # noqa: E501
        B, H, L, _ = like.shape
        shape = np.broadcast_shapes(a.shape[:-1], b.shape[:-2] + (1,))
        if shape == (B, H, L):
            out = xp.empty((B, L, H, b.shape[-1]), dtype=np.result_type(a, b)).transpose(0, 2, 1, 3)  # noqa: E501
            return xp.matmul(a, b, out=out)
    return a @ b


def _grad(g: Any, like: Tensor) -> Tensor:
    """Wrap an array gradient, summed down to the input's shape where it was broadcast."""
    t = _wrap(g)
    return sum_to(t, like.shape) if g.shape != like._array.shape else t


def _composed_backward(ctx: Any, grad: Tensor) -> tuple[Any, ...]:
    """Gradients through the composed attention formula, recorded for double backward."""
    q, k, v, mask = ctx.saved_tensors
    p = _probs(q, k, mask, ctx.scale, ctx.causal)
    if ctx.keep is not None:
        p = p * _wrap(ctx.keep)
    out = p @ v
    return _vjp(out, (q, k, v, mask), ctx.needs_input_grad, grad)


def _vjp(out: Tensor, inputs: tuple[Any, ...], needs: tuple[bool, ...], grad: Tensor) -> tuple[Any, ...]:  # noqa: E501
    """``autograd.grad`` of ``out`` for the inputs that need it (each distinct tensor once)."""
    import ember  # noqa: PLC0415

    wanted: list[Any] = []
    for x, n in zip(inputs, needs):
        if n and x is not None and not any(x is w for w in wanted):
            wanted.append(x)
    grads = ember.autograd.grad(out, wanted, grad, create_graph=True, allow_unused=True)
    by_id = {id(w): g for w, g in zip(wanted, grads)}
    return tuple(by_id[id(x)] if n and x is not None else None for x, n in zip(inputs, needs))


def _probs(q: Tensor, k: Tensor, mask: Tensor | None, scale: float, causal: bool) -> Tensor:
    """The attention probabilities from composed (differentiable) Tensor ops."""
    from ember._ops.activation import softmax  # noqa: PLC0415
    from ember._ops.elementwise import where  # noqa: PLC0415

    s = (q @ k.transpose(-1, -2)) * scale
    if mask is not None:
        s = s.masked_fill(~mask, float("-inf")) if mask.dtype.name == "bool" else s + mask
    if causal:
        xp = array_namespace(q._array)
        s = s.masked_fill(_wrap(_causal_mask(xp, s.shape[-2], s.shape[-1])), float("-inf"))
    p = softmax(s, -1)
    return where(p.isnan(), p.new_zeros(()), p) if mask is not None else p

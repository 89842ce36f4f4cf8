"""Fused recurrences: a whole RNN/LSTM/GRU layer direction as one op, with hand-written BPTT.

The input projections ``gi = x W_ih^T + b`` of every step come in precomputed (one GEMM); the op
runs the recurrent part step by step on arrays and backpropagates through time the same way,
collecting the gradient of ``W_hh`` with one GEMM at the end. For double backward
(``create_graph=True``) it differentiates the same recurrence composed from Tensor ops.
"""

from __future__ import annotations

from typing import Any

from ember._device import array_namespace
from ember._tensor import Tensor, _wrap
from ember.autograd.function import Op
from ember.autograd.grad_mode import _state

__all__ = ["Recurrence", "recurrence_composed"]


def _sigmoid_(xp: Any, a: Any) -> Any:
    """In-place logistic function (``1 / (1 + exp(-a))``)."""
    xp.negative(a, out=a)
    xp.exp(a, out=a)
    a += 1
    xp.reciprocal(a, out=a)
    return a


class Recurrence(Op, node_name="RecurrenceBackward0"):
    """One direction of one layer over ``gi`` ``(T, B, G*H)``.

    Returns ``(T, B, H)`` hidden states (``(T, B, 2H)`` ``[h | c]`` for LSTM). ``mode`` is
    ``"LSTM"``, ``"GRU"``, ``"RNN_TANH"`` or ``"RNN_RELU"``; ``b_hh`` is only used by GRU (the
    others fold it into ``gi``).
    """

    @staticmethod
    def forward(ctx: Any, gi: Tensor, h0: Tensor, c0: Tensor | None, w_hh: Tensor,
                b_hh: Tensor | None, mode: str = "LSTM", reverse: bool = False) -> Any:
        g, w = gi._array, w_hh._array
        xp = array_namespace(g)
        T, B = g.shape[0], g.shape[1]
        H = w.shape[1]
        wt = w.T
        lstm = mode == "LSTM"
        out = xp.empty((T, B, 2 * H if lstm else H), dtype=g.dtype)
        acts = xp.empty_like(g) if ctx.recording else None  # post-nonlinearity gates per step
        gh_n = xp.empty((T, B, H), dtype=g.dtype) if mode == "GRU" and ctx.recording else None
        h = h0._array
        c = c0._array if c0 is not None else None
        for t in range(T - 1, -1, -1) if reverse else range(T):
            a = h @ wt
            if mode == "GRU":
                if b_hh is not None:
                    a += b_hh._array
                r_z = a[:, :2 * H] + g[t, :, :2 * H]
                _sigmoid_(xp, r_z)
                if gh_n is not None:
                    gh_n[t] = a[:, 2 * H:]
                n = xp.tanh(g[t, :, 2 * H:] + r_z[:, :H] * a[:, 2 * H:])
                h = n + r_z[:, H:] * (h - n)
                if acts is not None:
                    acts[t, :, :2 * H] = r_z
                    acts[t, :, 2 * H:] = n
                out[t] = h
                continue
            a += g[t]
            if lstm:
                _sigmoid_(xp, a[:, :2 * H])
                xp.tanh(a[:, 2 * H:3 * H], out=a[:, 2 * H:3 * H])
                _sigmoid_(xp, a[:, 3 * H:])
                c = a[:, H:2 * H] * c + a[:, :H] * a[:, 2 * H:3 * H]
                h = a[:, 3 * H:] * xp.tanh(c)
                out[t, :, :H] = h
                out[t, :, H:] = c
            else:
                h = xp.maximum(a, 0) if mode == "RNN_RELU" else xp.tanh(a, out=a)
                out[t] = h
            if acts is not None:
                acts[t] = a
        if ctx.recording:
            ctx.save_for_backward(gi, h0, c0, w_hh, b_hh)
            ctx.mode, ctx.reverse, ctx.out, ctx.acts, ctx.gh_n = mode, reverse, out, acts, gh_n
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any, ...]:
        if _state.enabled:  # create_graph: differentiate the composed recurrence instead
            return _composed_backward(ctx, grad)
        gi, h0, c0, w_hh, b_hh = ctx.saved_tensors
        need = ctx.needs_input_grad
        dgi, dh0, dc0 = _bptt(ctx, grad._array, h0._array, c0._array if c0 is not None else None,
                              w_hh._array)
        xp = array_namespace(dgi)
        H = w_hh.shape[1]
        # gradient of W_hh: sum over steps of dpre^T @ h_prev, as one GEMM over (T*B) rows
        h_prev = _previous_states(xp, ctx.out[..., :H], h0._array, ctx.reverse)
        dpre = dgi
        if ctx.mode == "GRU":
            dpre = dgi.copy()
            dpre[..., 2 * H:] *= ctx.acts[..., :H]  # d gh_n = d pre_n * r
        flat = dpre.reshape(-1, dpre.shape[-1])
        dw = flat.T @ h_prev.reshape(-1, H) if need[3] else None
        db = flat.sum(0) if b_hh is not None and need[4] else None
        return (_wrap(dgi) if need[0] else None, _wrap(dh0) if need[1] else None,
                _wrap(dc0) if c0 is not None and need[2] else None,
                _wrap(dw) if dw is not None else None, _wrap(db) if db is not None else None)


def _previous_states(xp: Any, hs: Any, h0: Any, reverse: bool) -> Any:
    """``h_{t-1}`` for every step (in processing order), shape ``(T, B, H)``."""
    if reverse:
        return xp.concatenate([hs[1:], h0[None]], 0)
    return xp.concatenate([h0[None], hs[:-1]], 0)


def _bptt(ctx: Any, gy: Any, h0: Any, c0: Any, w: Any) -> tuple[Any, Any, Any]:
    """Backpropagate through time; returns d gi ``(T, B, G*H)``, d h0 and d c0."""
    xp = array_namespace(gy)
    mode, out, acts = ctx.mode, ctx.out, ctx.acts
    T, H = out.shape[0], w.shape[1]
    dgi = xp.empty_like(acts)
    dh = xp.zeros_like(h0)
    dc = xp.zeros_like(c0) if c0 is not None else None
    steps = range(T) if ctx.reverse else range(T - 1, -1, -1)
    prev = (lambda t: t + 1 < T) if ctx.reverse else (lambda t: t > 0)
    nxt = 1 if ctx.reverse else -1
    for t in steps:
        has_prev = prev(t)
        hp = out[t + nxt, :, :H] if has_prev else h0
        dh = dh + gy[t, :, :H]
        d = dgi[t]
        a = acts[t]
        if mode == "LSTM":
            cp = out[t + nxt, :, H:] if has_prev else c0
            tc = xp.tanh(out[t, :, H:])
            i, f, g, o = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
            dc = dc + gy[t, :, H:] + dh * o * (1 - tc * tc)
            d[:, :H] = dc * g * i * (1 - i)
            d[:, H:2 * H] = dc * cp * f * (1 - f)
            d[:, 2 * H:3 * H] = dc * i * (1 - g * g)
            d[:, 3 * H:] = dh * tc * o * (1 - o)
            dc = dc * f
            dh = d @ w
        elif mode == "GRU":
            r, z, n = a[:, :H], a[:, H:2 * H], a[:, 2 * H:]
            dn = dh * (1 - z) * (1 - n * n)
            d[:, H:2 * H] = dh * (hp - n) * z * (1 - z)
            d[:, :H] = dn * ctx.gh_n[t] * r * (1 - r)
            d[:, 2 * H:] = dn
            dgh = d.copy()
            dgh[:, 2 * H:] *= r
            dh = dh * z + dgh @ w
        else:
            h = out[t]
            d[...] = dh * ((h > 0) if mode == "RNN_RELU" else (1 - h * h))
            dh = d @ w
    return dgi, dh, dc


def recurrence_composed(gi: Tensor, h0: Tensor, c0: Tensor | None, w_hh: Tensor,
                        b_hh: Tensor | None, mode: str, reverse: bool) -> Tensor:
    """The same recurrence from differentiable Tensor ops (used for double backward)."""
    import ember  # noqa: PLC0415

    H = w_hh.shape[1]
    wt = w_hh.t()
    h, c = h0, c0
    T = gi.shape[0]
    outs: list[Any] = [None] * T
    for t in range(T - 1, -1, -1) if reverse else range(T):
        if mode == "GRU":
            gh = h.mm(wt) if b_hh is None else ember.addmm(b_hh, h, wt)
            rz = (gi[t, :, :2 * H] + gh[:, :2 * H]).sigmoid()
            n = (gi[t, :, 2 * H:] + rz[:, :H] * gh[:, 2 * H:]).tanh()
            h = n + rz[:, H:] * (h - n)
            outs[t] = h
            continue
        a = ember.addmm(gi[t], h, wt)
        if mode == "LSTM":
            s = a.sigmoid()
            c = s[:, H:2 * H] * c + s[:, :H] * a[:, 2 * H:3 * H].tanh()
            h = s[:, 3 * H:] * c.tanh()
            outs[t] = ember.cat([h, c], 1)
        else:
            h = a.relu() if mode == "RNN_RELU" else a.tanh()
            outs[t] = h
    return ember.stack(outs)


def _composed_backward(ctx: Any, grad: Tensor) -> tuple[Any, ...]:
    from ember._ops.attention import _vjp  # noqa: PLC0415

    inputs = ctx.saved_tensors
    y = recurrence_composed(*inputs, ctx.mode, ctx.reverse)
    return _vjp(y, inputs, ctx.needs_input_grad, grad)

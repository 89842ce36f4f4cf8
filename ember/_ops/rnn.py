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
    """One direction of one layer over input projections ``gi`` ``(N, G*H)`` in packed row order.

    ``sizes[t]`` sequences (sorted longest first) run at step ``t``; their rows of ``gi`` come
    in time order. Padded input is the case ``sizes = (B,) * T``. Returns ``(N + B, W)``: each
    step's new states, then the final state of every sequence, where a state is ``h`` (``W = H``)
    or ``[h | c]`` for LSTM (``W = 2H``). ``mode`` is ``"LSTM"``, ``"GRU"``, ``"RNN_TANH"`` or
    ``"RNN_RELU"``; ``b_hh`` is only used by GRU (the others fold it into ``gi``).
    """

    @staticmethod
    def forward(ctx: Any, gi: Tensor, h0: Tensor, c0: Tensor | None, w_hh: Tensor,
                b_hh: Tensor | None, mode: str = "LSTM", reverse: bool = False,
                sizes: tuple[int, ...] = ()) -> Any:
        g, w = gi._array, w_hh._array
        xp = array_namespace(g)
        N, H, lstm, rec = g.shape[0], w.shape[1], mode == "LSTM", ctx.recording
        out = xp.empty((N + h0.shape[0], 2 * H if lstm else H), dtype=g.dtype)
        acts: Any = xp.empty_like(g) if rec else None  # post-nonlinearity gates of every row
        hp: Any = xp.empty((N, H), dtype=g.dtype) if rec else None  # each row's starting state
        cp: Any = xp.empty((N, H), dtype=g.dtype) if rec and lstm else None
        gh_n: Any = xp.empty((N, H), dtype=g.dtype) if rec and mode == "GRU" else None
        h = h0._array.copy()  # running states; rows past sizes[t] keep their last value
        c: Any = c0._array.copy() if lstm and c0 is not None else None
        wt = w.T
        offs = _offsets(sizes)
        for t in range(len(sizes) - 1, -1, -1) if reverse else range(len(sizes)):
            n, rows = sizes[t], slice(offs[t], offs[t] + sizes[t])
            hs, gt = h[:n], g[rows]
            if rec:
                hp[rows] = hs
            a = hs @ wt
            if mode == "GRU":
                if b_hh is not None:
                    a += b_hh._array
                rz = _sigmoid_(xp, a[:, :2 * H] + gt[:, :2 * H])
                nn = xp.tanh(gt[:, 2 * H:] + rz[:, :H] * a[:, 2 * H:])
                if rec:
                    gh_n[rows] = a[:, 2 * H:]
                    acts[rows, :2 * H] = rz
                    acts[rows, 2 * H:] = nn
                h[:n] = out[rows] = nn + rz[:, H:] * (hs - nn)
                continue
            a += gt
            if lstm:
                gg = xp.tanh(a[:, 2 * H:3 * H])
                _sigmoid_(xp, a)  # perf: one contiguous pass over all four gates
                a[:, 2 * H:3 * H] = gg
                if rec:
                    cp[rows] = c[:n]
                c[:n] = out[rows, H:] = a[:, H:2 * H] * c[:n] + a[:, :H] * a[:, 2 * H:3 * H]
                h[:n] = out[rows, :H] = a[:, 3 * H:] * xp.tanh(c[:n])
            else:
                h[:n] = out[rows] = xp.maximum(a, 0) if mode == "RNN_RELU" else xp.tanh(a, out=a)
            if rec:
                acts[rows] = a
        out[N:, :H] = h
        if lstm:
            out[N:, H:] = c
        if rec:
            ctx.save_for_backward(gi, h0, c0, w_hh, b_hh)
            ctx.mode, ctx.reverse, ctx.sizes = mode, reverse, sizes
            ctx.out, ctx.acts, ctx.hp, ctx.cp, ctx.gh_n = out, acts, hp, cp, gh_n
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any, ...]:
        if _state.enabled:  # create_graph: differentiate the composed recurrence instead
            return _composed_backward(ctx, grad)
        gi, h0, c0, w_hh, b_hh = ctx.saved_tensors
        need = ctx.needs_input_grad
        dgi, dh0, dc0 = _bptt(ctx, grad._array, w_hh._array)
        dpre = dgi
        if ctx.mode == "GRU":
            H = w_hh.shape[1]
            dpre = dgi.copy()
            dpre[:, 2 * H:] *= ctx.acts[:, :H]  # d gh_n = d pre_n * r
        # gradient of W_hh: sum over rows of dpre^T @ h_prev, as one GEMM
        dw = dpre.T @ ctx.hp if need[3] else None
        db = dpre.sum(0) if b_hh is not None and need[4] else None
        return (_wrap(dgi) if need[0] else None, _wrap(dh0) if need[1] else None,
                _wrap(dc0) if c0 is not None and need[2] else None,
                _wrap(dw) if dw is not None else None, _wrap(db) if db is not None else None)


def _offsets(sizes: tuple[int, ...]) -> list[int]:
    """Row offset of each step's block in packed order."""
    offs, o = [], 0
    for n in sizes:
        offs.append(o)
        o += n
    return offs


def _bptt(ctx: Any, gy: Any, w: Any) -> tuple[Any, Any, Any]:
    """Backpropagate through time; returns d gi ``(N, G*H)``, d h0 and d c0."""
    xp = array_namespace(gy)
    mode, out, acts, sizes = ctx.mode, ctx.out, ctx.acts, ctx.sizes
    H, N = w.shape[1], acts.shape[0]
    lstm = mode == "LSTM"
    dgi = xp.empty_like(acts)
    dh = gy[N:, :H].copy()  # gradients of the final states start the walk back
    dc: Any = gy[N:, H:].copy() if lstm else None
    offs = _offsets(sizes)
    for t in range(len(sizes)) if ctx.reverse else range(len(sizes) - 1, -1, -1):
        n, rows = sizes[t], slice(offs[t], offs[t] + sizes[t])
        dhs = dh[:n] + gy[rows, :H]
        a, d = acts[rows], dgi[rows]
        if lstm:
            tc = xp.tanh(out[rows, H:])
            i, f, g, o = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
            dcs = dc[:n] + gy[rows, H:] + dhs * o * (1 - tc * tc)
            d[:, :H] = dcs * g * i * (1 - i)
            d[:, H:2 * H] = dcs * ctx.cp[rows] * f * (1 - f)
            d[:, 2 * H:3 * H] = dcs * i * (1 - g * g)
            d[:, 3 * H:] = dhs * tc * o * (1 - o)
            dc[:n] = dcs * f
            dh[:n] = d @ w
        elif mode == "GRU":
            r, z, nn = a[:, :H], a[:, H:2 * H], a[:, 2 * H:]
            dn = dhs * (1 - z) * (1 - nn * nn)
            d[:, H:2 * H] = dhs * (ctx.hp[rows] - nn) * z * (1 - z)
            d[:, :H] = dn * ctx.gh_n[rows] * r * (1 - r)
            d[:, 2 * H:] = dn
            dgh = d.copy()
            dgh[:, 2 * H:] *= r
            dh[:n] = dhs * z + dgh @ w
        else:
            h = out[rows]
            d[...] = dhs * ((h > 0) if mode == "RNN_RELU" else (1 - h * h))
            dh[:n] = d @ w
    return dgi, dh, dc


def recurrence_composed(gi: Tensor, h0: Tensor, c0: Tensor | None, w_hh: Tensor,
                        b_hh: Tensor | None, mode: str, reverse: bool,
                        sizes: tuple[int, ...]) -> Tensor:
    """The same recurrence (same output layout) from differentiable Tensor ops."""
    from ember._ops.linalg import addmm  # noqa: PLC0415
    from ember._ops.shape import cat  # noqa: PLC0415

    H = w_hh.shape[1]
    wt = w_hh.t()
    h: Tensor = h0
    c: Any = c0  # a Tensor for LSTM, else None
    offs = _offsets(sizes)
    outs: list[Any] = [None] * len(sizes)
    for t in range(len(sizes) - 1, -1, -1) if reverse else range(len(sizes)):
        n = sizes[t]
        gt, hs = gi[offs[t]:offs[t] + n], h[:n]
        if mode == "GRU":
            gh = hs.mm(wt) if b_hh is None else addmm(b_hh, hs, wt)
            rz = (gt[:, :2 * H] + gh[:, :2 * H]).sigmoid()
            nn = (gt[:, 2 * H:] + rz[:, :H] * gh[:, 2 * H:]).tanh()
            hn = nn + rz[:, H:] * (hs - nn)
        else:
            a = addmm(gt, hs, wt)
            if mode == "LSTM":
                sg = a.sigmoid()
                cn = sg[:, H:2 * H] * c[:n] + sg[:, :H] * a[:, 2 * H:3 * H].tanh()
                hn = sg[:, 3 * H:] * cn.tanh()
                c = cat([cn, c[n:]]) if n < c.shape[0] else cn
            else:
                hn = a.relu() if mode == "RNN_RELU" else a.tanh()
        h = cat([hn, h[n:]]) if n < h.shape[0] else hn
        outs[t] = cat([hn, cn], 1) if mode == "LSTM" else hn
    final = cat([h, c], 1) if mode == "LSTM" else h
    return cat(outs + [final])


def _composed_backward(ctx: Any, grad: Tensor) -> tuple[Any, ...]:
    from ember._ops.attention import _vjp  # noqa: PLC0415

    inputs = ctx.saved_tensors
    y = recurrence_composed(*inputs, ctx.mode, ctx.reverse, ctx.sizes)
    return _vjp(y, inputs, ctx.needs_input_grad, grad)

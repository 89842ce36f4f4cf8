"""Fused attention's array paths against torch: the per-head softmax shift and its fallback, and
gradients of heads split from one projection (laid out like their inputs)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember


def _heads(lib, qkv, B, T, H, D):
    q, k, v = qkv.split(H * D, dim=2)
    return [t.view(B, T, H, D).transpose(1, 2) for t in (q, k, v)]


@pytest.mark.parametrize("spread", [1.0, 8.0, 40.0])  # 8 and 40 reach the per-row fallback
@pytest.mark.parametrize("causal", [True, False])
def test_sdpa_split_heads_match_torch(spread, causal, rng):
    B, T, H, D = 2, 16, 2, 8
    x = (rng.standard_normal((B, T, 3 * H * D)) * spread).astype(np.float32)
    gy = rng.standard_normal((B, T, H * D)).astype(np.float32)
    res = []
    for lib in (torch, ember):
        xt = lib.tensor(x, requires_grad=True)
        q, k, v = _heads(lib, xt, B, T, H, D)
        y = lib.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=causal)
        y = y.transpose(1, 2).contiguous().view(B, T, H * D)
        y.backward(lib.tensor(gy))
        res.append((y.detach().numpy(), xt.grad.numpy()))
    scale = max(1.0, spread)
    for e, t in zip(res[1], res[0]):
        np.testing.assert_allclose(e, t, rtol=1e-4, atol=1e-5 * scale * scale)


def test_sdpa_rows_far_below_their_head_fall_back(rng):
    """One row's scores sit far below the rest of its head: shifting by the head's largest score
    would underflow that row entirely; the per-row softmax must take over."""
    q = np.zeros((1, 1, 4, 2))
    q[0, 0, :, 0] = [1.0, 1.0, 1.0, -1.0]
    k = np.zeros((1, 1, 4, 2))
    k[0, 0, :, 0] = [200.0, 199.0, 198.0, 197.0]
    v = rng.standard_normal((1, 1, 4, 3))
    out = []
    for lib in (torch, ember):
        a = [lib.tensor(t.astype(np.float32)) for t in (q, k, v)]
        out.append(lib.nn.functional.scaled_dot_product_attention(*a, scale=1.0).numpy())
    assert np.isfinite(out[1]).all()
    np.testing.assert_allclose(out[1], out[0], rtol=1e-5, atol=1e-6)

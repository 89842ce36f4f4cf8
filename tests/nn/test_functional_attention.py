"""``F.scaled_dot_product_attention`` against torch: outputs, gradients, masks, errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from torch.nn.attention import SDPBackend, sdpa_kernel

import ember
import ember.nn.functional as F


def _pair(a, grad=True):
    return torch.tensor(a, requires_grad=grad), ember.tensor(a, requires_grad=grad)


def _check(rng, qs, ks, vs, mask=None, **kw):
    q, k, v = (rng.standard_normal(s).astype(np.float32) for s in (qs, ks, vs))
    (tq, eq), (tk, ek), (tv, ev) = _pair(q), _pair(k), _pair(v)
    tm = em = None
    if mask is not None:
        tm, em = _pair(mask, grad=mask.dtype != bool)
    ref = TF.scaled_dot_product_attention(tq, tk, tv, attn_mask=tm, **kw)
    out = F.scaled_dot_product_attention(eq, ek, ev, attn_mask=em, **kw)
    assert out.shape == ref.shape
    assert out.dtype == ember.float32
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-5, atol=1e-6)
    g = rng.standard_normal(ref.shape).astype(np.float32)
    ref.backward(torch.tensor(g))
    out.backward(ember.tensor(g))
    pairs = [(tq, eq), (tk, ek), (tv, ev)] + ([(tm, em)] if tm is not None and tm.requires_grad else [])  # noqa: E501
    for a, b in pairs:
        np.testing.assert_allclose(b.grad.numpy(), a.grad.numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("is_causal", [False, True])
@pytest.mark.parametrize(("L", "S"), [(4, 4), (3, 5), (6, 4)])
def test_sdpa_plain_and_causal(rng, L, S, is_causal):
    _check(rng, (2, 3, L, 8), (2, 3, S, 8), (2, 3, S, 6), is_causal=is_causal)


def test_sdpa_bool_mask_with_fully_masked_row(rng):
    m = rng.random((4, 5)) > 0.5
    m[1] = False  # a query that may see nothing: zeros out, zero gradients
    _check(rng, (2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 6), mask=m)


def test_sdpa_float_mask_broadcast_and_grad(rng):
    m = rng.standard_normal((3, 1, 5)).astype(np.float32)
    _check(rng, (2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 6), mask=m, scale=0.3)


def test_sdpa_mask_and_causal_together(rng):
    m = rng.random((2, 1, 4, 4)) > 0.3
    _check(rng, (2, 3, 4, 8), (2, 3, 4, 8), (2, 3, 4, 8), mask=m, is_causal=True)


def test_sdpa_gqa(rng):
    _check(rng, (2, 4, 4, 8), (2, 2, 5, 8), (2, 2, 5, 6), enable_gqa=True)


@pytest.mark.parametrize(("qs", "ks"), [((4, 8), (5, 8)), ((2, 3, 4, 8), (1, 3, 5, 8)), ((5, 4, 8), (5, 5, 8))])  # noqa: E501
def test_sdpa_ranks_and_batch_broadcast(rng, qs, ks):
    _check(rng, qs, ks, ks[:-1] + (6,))


def test_sdpa_grad_fn_name_and_float64(rng):
    q = ember.tensor(rng.standard_normal((2, 3, 8)), requires_grad=True)
    out = F.scaled_dot_product_attention(q, q, q)
    assert type(out.grad_fn).__name__ == "ScaledDotProductFlashAttentionForCpuBackward0"
    assert out.dtype == ember.float64


def test_sdpa_double_backward(rng):
    q = rng.standard_normal((1, 2, 3, 4))
    (tq, eq), (tk, ek) = _pair(q), _pair(q[..., ::-1].copy())
    grads = []
    for mod, fn, a, b in ((torch, TF, tq, tk), (ember, F, eq, ek)):
        with sdpa_kernel(SDPBackend.MATH):  # torch's fused CPU kernel has no double backward
            y = fn.scaled_dot_product_attention(a, b, b, is_causal=True)
        (g,) = mod.autograd.grad((y * y).sum(), a, create_graph=True)
        (g * g).sum().backward()
        grads.append((a.grad.numpy(), b.grad.numpy()))
    np.testing.assert_allclose(grads[1][0], grads[0][0], rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(grads[1][1], grads[0][1], rtol=1e-6, atol=1e-8)


def test_sdpa_dropout_statistics():
    q = ember.zeros(1, 1, 200, 4)
    v = ember.ones(1, 1, 50, 4)
    # uniform weights 1/50; dropout keeps ~half and scales by 2, so each output is near 1
    out = F.scaled_dot_product_attention(q, q[..., :50, :], v, dropout_p=0.5)
    assert 0.9 < float(out.mean()) < 1.1
    assert float(out.std()) > 0.05
    ember.manual_seed(3)
    a = F.scaled_dot_product_attention(q, q[..., :50, :], v, dropout_p=0.5)
    ember.manual_seed(3)
    b = F.scaled_dot_product_attention(q, q[..., :50, :], v, dropout_p=0.5)
    assert ember.equal(a, b)


def _err(fn, *args, **kw):
    with pytest.raises(Exception) as info:
        fn(*args, **kw)
    return type(info.value), str(info.value)


@pytest.mark.parametrize("case", ["dtype", "mask_dtype", "rank", "head_dim"])
def test_sdpa_errors_match_torch(case):
    q = np.zeros((2, 3, 4, 8), np.float32)
    args = {
        "dtype": (q.astype(np.float64), q, q, None),
        "mask_dtype": (q, q, q, np.zeros((4, 4), np.int64)),
        "rank": (q[0, 0, 0], q[0, 0, 0], q[0, 0, 0], None),
        "head_dim": (q, q[..., :4], q, None),
    }[case]
    t = [torch.tensor(a) if a is not None else None for a in args]
    e = [ember.tensor(a) if a is not None else None for a in args]
    assert _err(F.scaled_dot_product_attention, *e) == _err(TF.scaled_dot_product_attention, *t)

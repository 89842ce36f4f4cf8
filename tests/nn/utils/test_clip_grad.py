"""Gradient clipping and parameter/vector conversion against torch."""

from __future__ import annotations

import math
import types

import numpy as np
import pytest
import torch

import ember
from ember import nn


def _pair(rng, scale=1.0, dtype=np.float32):
    """The same three parameters with the same gradients, in torch and in ember."""
    shapes = [(4, 3), (3,), (2, 2, 2)]
    vals = [rng.standard_normal(s).astype(dtype) for s in shapes]
    grads = [(rng.standard_normal(s) * scale).astype(dtype) for s in shapes]
    out = []
    for lib in (torch, ember):
        ps = [lib.nn.Parameter(lib.tensor(v)) for v in vals]
        for p, g in zip(ps, grads):
            p.grad = lib.tensor(g)
        out.append(ps)
    return out


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf, "inf"])
@pytest.mark.parametrize("max_norm", [0.5, 1e6])
def test_clip_grad_norm_matches_torch(norm_type, max_norm, rng):
    tp, ep = _pair(rng, scale=2.0)
    nt = float(norm_type)
    tn = torch.nn.utils.clip_grad_norm_(tp, max_norm, nt)
    en = nn.utils.clip_grad_norm_(ep, max_norm, norm_type)
    assert isinstance(en, ember.Tensor) and en.ndim == 0 and en.dtype == ember.float32
    assert en.item() == pytest.approx(tn.item(), rel=1e-6)
    for a, b in zip(ep, tp):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-6)


def test_clip_grad_norm_single_tensor_generator_and_missing_grads(rng):
    tp, ep = _pair(rng)
    tp[1].grad = None
    ep[1].grad = None
    tn = torch.nn.utils.clip_grad_norm_((p for p in tp), 0.1)
    en = nn.utils.clip_grad_norm_((p for p in ep), 0.1)
    assert en.item() == pytest.approx(tn.item(), rel=1e-6)
    en = nn.utils.clip_grad_norm_(ep[0], 0.01)
    tn = torch.nn.utils.clip_grad_norm_(tp[0], 0.01)
    np.testing.assert_allclose(ep[0].grad.numpy(), tp[0].grad.numpy(), rtol=1e-6)
    assert nn.utils.clip_grad_norm_([], 1.0).item() == 0.0


def test_empty_generator_warns():
    with pytest.warns(UserWarning, match="`parameters` is an empty generator, no gradient clipping will occur."):  # noqa: E501
        nn.utils.clip_grad_norm_((p for p in []), 1.0)
    assert isinstance((p for p in []), types.GeneratorType)


def test_nonfinite(rng):
    tp, ep = _pair(rng)
    for ps in (tp, ep):
        ps[0].grad[0, 0] = float("nan")
    for lib, ps in ((torch, tp), (ember, ep)):
        with pytest.raises(RuntimeError, match="The total norm of order 2.0 for gradients from `parameters` is non-finite"):  # noqa: E501
            lib.nn.utils.clip_grad_norm_(ps, 1.0, error_if_nonfinite=True)
    en = nn.utils.clip_grad_norm_(ep, 1.0, foreach=True)
    assert math.isnan(en.item()) and np.isnan(ep[2].grad.numpy()).all()


def test_get_total_norm_and_clip_grads_with_norm(rng):
    tp, ep = _pair(rng)
    tn = torch.nn.utils.get_total_norm([p.grad for p in tp], 3.0)
    en = nn.utils.get_total_norm([p.grad for p in ep], 3.0)
    assert en.item() == pytest.approx(tn.item(), rel=1e-6)
    torch.nn.utils.clip_grads_with_norm_(tp, 1.0, tn)
    nn.utils.clip_grads_with_norm_(ep, 1.0, en)
    for a, b in zip(ep, tp):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-6)


def test_clip_grad_value(rng):
    tp, ep = _pair(rng, scale=3.0)
    torch.nn.utils.clip_grad_value_(tp, 1.5)
    assert nn.utils.clip_grad_value_(ep, 1.5) is None
    for a, b in zip(ep, tp):
        np.testing.assert_array_equal(a.grad.numpy(), b.grad.numpy())


def test_deprecated_clip_grad_norm_warns(rng):
    _, ep = _pair(rng)
    with pytest.warns(FutureWarning, match="`torch.nn.utils.clip_grad_norm` is now deprecated"):
        nn.utils.clip_grad_norm(ep, 1.0)


def test_clip_in_training_step(rng):
    m = nn.Linear(4, 3)
    m(ember.tensor(rng.standard_normal((8, 4)).astype(np.float32)) * 100).sum().backward()
    total = nn.utils.clip_grad_norm_(m.parameters(), max_norm=1.0)
    assert total.item() > 1.0
    after = math.sqrt(sum(float((p.grad * p.grad).sum()) for p in m.parameters()))
    assert after == pytest.approx(1.0, rel=1e-4)


def test_parameters_to_vector_roundtrip(rng):
    _, ep = _pair(rng)
    for p in ep:
        p.grad = None
    v = nn.utils.parameters_to_vector(ep)
    assert tuple(v.shape) == (12 + 3 + 8,)
    v.sum().backward()
    assert all((p.grad.numpy() == 1).all() for p in ep)
    new = ember.arange(23, dtype=ember.float32)
    nn.utils.vector_to_parameters(new, ep)
    np.testing.assert_array_equal(ep[1].detach().numpy(), [12.0, 13.0, 14.0])
    assert isinstance(ep[1], nn.Parameter)
    for lib in (torch, ember):
        with pytest.raises(TypeError, match="expected torch.Tensor, but got: list"):
            lib.nn.utils.vector_to_parameters([1.0], [])

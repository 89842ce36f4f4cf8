"""Embedding against torch: lookup, gradients, padding_idx, from_pretrained, max_norm, init."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember
from ember import nn


@pytest.mark.parametrize("kw", [{}, dict(padding_idx=0), dict(padding_idx=-2),
                                dict(max_norm=1.0), dict(scale_grad_by_freq=True, norm_type=1.0)])
def test_embedding_matches_torch(kw, rng):
    ref, ours = torch.nn.Embedding(10, 3, **kw), nn.Embedding(10, 3, **kw)
    assert repr(ours) == repr(ref)
    assert list(ours.state_dict()) == list(ref.state_dict())
    ours.load_state_dict({k: ember.tensor(v.numpy()) for k, v in ref.state_dict().items()})
    idx = rng.integers(0, 10, (4, 5))
    yt, ye = ref(torch.tensor(idx)), ours(ember.tensor(idx))
    g = rng.standard_normal((4, 5, 3), dtype=np.float32)
    yt.backward(torch.tensor(g))
    ye.backward(ember.tensor(g))
    assert type(ye.grad_fn).__name__ == type(yt.grad_fn).__name__
    np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(ours.weight.grad.numpy(), ref.weight.grad.numpy(), rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_allclose(ours.weight.detach().numpy(), ref.weight.detach().numpy(), rtol=1e-6)


def test_embedding_init_and_padding_row():
    m = nn.Embedding(1000, 64, padding_idx=3)
    w = m.weight.detach().numpy()
    assert w.dtype == np.float32
    np.testing.assert_array_equal(w[3], 0)
    rest = np.delete(w, 3, axis=0)
    assert abs(rest.mean()) < 0.01 and abs(rest.std() - 1) < 0.01
    t = torch.nn.Embedding(1000, 64).weight.detach().numpy()
    assert abs(rest.std() - t.std()) < 0.02


def test_embedding_from_pretrained(rng):
    w = rng.standard_normal((5, 2), dtype=np.float32)
    ref = torch.nn.Embedding.from_pretrained(torch.tensor(w), padding_idx=1)
    ours = nn.Embedding.from_pretrained(ember.tensor(w), padding_idx=1)
    assert repr(ours) == repr(ref)
    assert ours.weight.requires_grad is ref.weight.requires_grad is False
    np.testing.assert_array_equal(ours(ember.tensor([1, 4])).numpy(), ref(torch.tensor([1, 4])).numpy())  # noqa: E501
    assert nn.Embedding.from_pretrained(ember.tensor(w), freeze=False).weight.requires_grad


def test_embedding_errors():
    for call in (lambda lib: lib.nn.Embedding(5, 2, padding_idx=5),
                 lambda lib: lib.nn.Embedding(5, 2, padding_idx=-6),
                 lambda lib: lib.nn.Embedding.from_pretrained(lib.zeros(3))):
        msgs = []
        for lib in (torch, ember):
            with pytest.raises(AssertionError) as ei:
                call(lib)
            msgs.append(str(ei.value))
        assert msgs[0] == msgs[1]
    with pytest.raises(IndexError, match="index out of range in self"):
        nn.Embedding(5, 2)(ember.tensor([5]))

"""LayerNorm, GroupNorm, RMSNorm and LocalResponseNorm against torch."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember
from ember import nn

CASES = [
    ("LayerNorm", (6,), {}, (3, 4, 6)),
    ("LayerNorm", ((4, 6),), dict(eps=1e-3), (3, 4, 6)),
    ("LayerNorm", (6,), dict(bias=False), (3, 6)),
    ("LayerNorm", (6,), dict(elementwise_affine=False), (3, 6)),
    ("GroupNorm", (2, 4), {}, (3, 4, 5)),
    ("GroupNorm", (4, 4), dict(affine=False), (3, 4, 2, 2)),
    ("GroupNorm", (1, 4), dict(bias=False, eps=1e-3), (3, 4, 2, 2)),
    ("RMSNorm", (6,), {}, (3, 4, 6)),
    ("RMSNorm", ((4, 6),), dict(eps=1e-4), (3, 4, 6)),
    ("RMSNorm", (6,), dict(elementwise_affine=False), (3, 6)),
    ("LocalResponseNorm", (3,), {}, (2, 5, 3, 3)),
]


@pytest.mark.parametrize(("cls", "args", "kw", "shape"), CASES)
def test_norm_layer_matches_torch(cls, args, kw, shape, rng):
    ref, ours = getattr(torch.nn, cls)(*args, **kw).double(), getattr(nn, cls)(*args, **kw).double()
    assert repr(ours) == repr(ref)
    assert list(ours.state_dict()) == list(ref.state_dict())
    for (_, p), (_, q) in zip(ours.named_parameters(), ref.named_parameters()):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())  # ones / zeros
        q.data = torch.tensor(rng.standard_normal(tuple(q.shape)))
        p.data = ember.tensor(q.detach().numpy())
    x = rng.standard_normal(shape) + 1
    xt, xe = torch.tensor(x, requires_grad=True), ember.tensor(x, requires_grad=True)
    yt, ye = ref(xt), ours(xe)
    g = rng.standard_normal(shape)
    yt.backward(torch.tensor(g))
    ye.backward(ember.tensor(g))
    assert type(ye.grad_fn).__name__ == type(yt.grad_fn).__name__
    np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy(), rtol=1e-8, atol=1e-10)
    for (_, p), (_, q) in zip(ours.named_parameters(), ref.named_parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-9, atol=1e-10)


def test_norm_reprs_and_errors():
    assert repr(nn.LayerNorm(768)) == "LayerNorm((768,), eps=1e-05, elementwise_affine=True, bias=True)"  # noqa: E501
    assert repr(nn.GroupNorm(2, 4)) == "GroupNorm(2, 4, eps=1e-05, affine=True, bias=True)"
    assert repr(nn.RMSNorm((8,))) == "RMSNorm((8,), eps=None, elementwise_affine=True)"
    msgs = []
    for lib in (torch, ember):
        with pytest.raises(ValueError) as ei:
            lib.nn.GroupNorm(3, 4)
        msgs.append(str(ei.value))
    assert msgs[0] == msgs[1]


def test_layer_norm_float32(rng):
    ref, ours = torch.nn.LayerNorm(32), nn.LayerNorm(32)
    x = rng.standard_normal((4, 8, 32), dtype=np.float32)
    yt, ye = ref(torch.tensor(x)), ours(ember.tensor(x))
    assert ye.dtype == ember.float32
    np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-5)

"""PixelShuffle, Upsample, Fold/Unfold, distances and ChannelShuffle layers against torch."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember
from ember import nn

CASES = [
    ("PixelShuffle", (2,), [(2, 8, 3, 4)]),
    ("PixelUnshuffle", (2,), [(2, 2, 4, 6)]),
    ("Upsample", (), [(2, 3, 4, 5)], dict(scale_factor=2)),
    ("Upsample", (), [(2, 3, 4, 5)], dict(size=(7, 3), mode="bilinear")),
    ("Upsample", (), [(2, 3, 4, 5)], dict(scale_factor=(1.5, 2.0), mode="bilinear",
                                          align_corners=True)),
    ("UpsamplingNearest2d", (), [(2, 3, 4, 5)], dict(scale_factor=3)),
    ("UpsamplingBilinear2d", (), [(2, 3, 4, 5)], dict(size=(6, 8))),
    ("Unfold", (2,), [(2, 3, 5, 6)], dict(stride=2, padding=1)),
    ("Fold", ((4, 5), (2, 3)), [(2, 12, 9)]),
    ("CosineSimilarity", (), [(3, 5), (3, 5)]),
    ("CosineSimilarity", (0, 1e-6), [(3, 5), (3, 5)]),
    ("PairwiseDistance", (), [(3, 5), (3, 5)]),
    ("PairwiseDistance", (1.0, 1e-3, True), [(3, 5), (3, 5)]),
    ("ChannelShuffle", (2,), [(2, 4, 3, 3)]),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c[0])
def test_layer_matches_torch(case, rng):
    cls, args, shapes, *rest = case
    kw = rest[0] if rest else {}
    ref, ours = getattr(torch.nn, cls)(*args, **kw), getattr(nn, cls)(*args, **kw)
    assert repr(ours) == repr(ref)
    xs = [rng.standard_normal(s) for s in shapes]
    grad = cls != "ChannelShuffle"  # torch's channel_shuffle has no autograd formula
    ts = [torch.tensor(x, requires_grad=grad) for x in xs]
    es = [ember.tensor(x, requires_grad=grad) for x in xs]
    yt, ye = ref(*ts), ours(*es)
    np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    if grad:
        g = rng.standard_normal(tuple(yt.shape))
        yt.backward(torch.tensor(g))
        ye.backward(ember.tensor(g))
        for a, b in zip(es, ts):
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_upsample_repr():
    assert repr(nn.Upsample(scale_factor=2)) == "Upsample(scale_factor=2.0, mode='nearest')"
    assert repr(nn.Upsample(size=(3, 4), mode="bilinear")) == repr(
        torch.nn.Upsample(size=(3, 4), mode="bilinear"))

"""Padding layers against torch: values, gradients, reprs."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember
from ember import nn

CASES = [
    ("ZeroPad2d", (2,), (2, 3, 4, 5)),
    ("ZeroPad2d", ((1, 0, 2, 3),), (3, 4, 5)),
    ("ZeroPad1d", (2,), (2, 3, 4)),
    ("ConstantPad1d", ((1, 2), 3.5), (2, 3, 4)),
    ("ConstantPad2d", (1, -1.0), (2, 3, 4, 5)),
    ("ConstantPad3d", (1, 0.5), (2, 3, 4, 5)),
    ("ReflectionPad1d", ((2, 1),), (2, 3, 4)),
    ("ReflectionPad2d", (2,), (2, 3, 4, 5)),
    ("ReflectionPad2d", ((1, 0, 2, 3),), (3, 4, 5)),
    ("ReplicationPad1d", ((3, 1),), (2, 3, 4)),
    ("ReplicationPad2d", ((1, 0, 2, 3),), (2, 3, 4, 5)),
    ("CircularPad1d", ((1, 2),), (2, 3, 4)),
    ("CircularPad2d", ((1, 0, 2, 3),), (2, 3, 4, 5)),
]


@pytest.mark.parametrize(("cls", "args", "shape"), CASES)
def test_padding_layer_matches_torch(cls, args, shape, rng):
    ref, ours = getattr(torch.nn, cls)(*args), getattr(nn, cls)(*args)
    assert repr(ours) == repr(ref)
    x = rng.standard_normal(shape)
    xt, xe = torch.tensor(x, requires_grad=True), ember.tensor(x, requires_grad=True)
    yt, ye = ref(xt), ours(xe)
    g = rng.standard_normal(tuple(yt.shape))
    yt.backward(torch.tensor(g))
    ye.backward(ember.tensor(g))
    np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy(), rtol=1e-12)


def test_circular_pad_dim_error():
    msgs = []
    for lib in (torch, ember):
        with pytest.raises(ValueError) as ei:
            lib.nn.CircularPad2d(1)(lib.zeros(3, 3))
        msgs.append(str(ei.value))
    assert msgs[0] == msgs[1]

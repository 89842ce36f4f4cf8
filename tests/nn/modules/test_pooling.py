"""Pooling layers against torch: values, indices, gradients and reprs."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember
from ember import nn

LAYERS = [
    ("MaxPool2d", (2,), {}, (2, 3, 8, 8)),
    ("MaxPool2d", (3,), dict(stride=2, padding=1, dilation=1, ceil_mode=True), (2, 3, 9, 9)),
    ("MaxPool2d", ((3, 2),), dict(stride=(2, 1), dilation=(1, 2)), (3, 9, 9)),
    ("MaxPool1d", (3,), dict(stride=2, padding=1), (2, 3, 10)),
    ("AvgPool2d", (2,), {}, (2, 3, 8, 8)),
    ("AvgPool2d", (3,), dict(stride=2, padding=1, count_include_pad=False, ceil_mode=True),
     (2, 3, 9, 8)),
    ("AvgPool2d", (3,), dict(divisor_override=4), (2, 3, 9, 8)),
    ("AvgPool1d", (3,), dict(stride=2, padding=1), (2, 3, 10)),
    ("AdaptiveAvgPool2d", ((1, 1),), {}, (2, 3, 7, 5)),
    ("AdaptiveAvgPool2d", (3,), {}, (2, 3, 7, 5)),
    ("AdaptiveAvgPool2d", ((None, 2),), {}, (2, 3, 7, 5)),
    ("AdaptiveAvgPool1d", (4,), {}, (2, 3, 9)),
    ("AdaptiveMaxPool2d", ((2, 3),), {}, (2, 3, 7, 5)),
    ("AdaptiveMaxPool1d", (4,), {}, (2, 3, 9)),
    ("LPPool2d", (2, 2), {}, (2, 3, 6, 6)),
    ("LPPool1d", (3, 2), dict(stride=1), (2, 3, 7)),
]


@pytest.mark.parametrize(("cls", "args", "kw", "shape"), LAYERS)
def test_pool_layer_matches_torch(cls, args, kw, shape, rng):
    ref, ours = getattr(torch.nn, cls)(*args, **kw), getattr(nn, cls)(*args, **kw)
    assert repr(ours) == repr(ref)
    x = rng.standard_normal(shape)
    if cls.startswith("LP"):
        x = np.abs(x) + 0.1
    xt, xe = torch.tensor(x, requires_grad=True), ember.tensor(x, requires_grad=True)
    yt, ye = ref(xt), ours(xe)
    g = rng.standard_normal(tuple(yt.shape))
    yt.backward(torch.tensor(g))
    ye.backward(ember.tensor(g))
    np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("cls", ["MaxPool2d", "AdaptiveMaxPool2d"])
def test_return_indices(cls, rng):
    ref, ours = getattr(torch.nn, cls)(3, return_indices=True), getattr(nn, cls)(3, return_indices=True)  # noqa: E501
    x = rng.standard_normal((2, 3, 9, 9))
    (yt, it), (ye, ie) = ref(torch.tensor(x)), ours(ember.tensor(x))
    np.testing.assert_array_equal(ie.numpy(), it.numpy())
    np.testing.assert_allclose(ye.numpy(), yt.numpy())
    assert ie.dtype == ember.int64


def test_pool_reprs():
    assert repr(nn.MaxPool2d(2)) == "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"  # noqa: E501
    assert repr(nn.AdaptiveAvgPool2d((1, 1))) == "AdaptiveAvgPool2d(output_size=(1, 1))"
    assert repr(nn.AvgPool1d(3)) == repr(torch.nn.AvgPool1d(3))
    assert repr(nn.AvgPool2d((2, 3), 1, 1)) == repr(torch.nn.AvgPool2d((2, 3), 1, 1))
    assert nn.MaxPool2d(2).state_dict() == {}

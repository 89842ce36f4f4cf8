"""Pooling ops against torch: values, indices, gradients, double backward, errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember
import ember.nn.functional as F


def _both(name, shape, rng, args=(), kw=None, multi=False, ties=False):
    kw = kw or {}
    x = rng.standard_normal(shape)
    if ties:
        x = np.round(x)  # many equal values: the first max must win, as in torch
    res, gy = [], None
    for lib, mod in ((torch, torch.nn.functional), (ember, F)):
        xt = lib.tensor(x, requires_grad=True)
        out = getattr(mod, name)(xt, *args, **kw)
        y = out[0] if multi else out
        if gy is None:
            gy = rng.standard_normal(tuple(y.shape))
        y.backward(lib.tensor(gy))
        res.append((out, xt.grad, y))
    (ref, gref, yref), (ours, gours, yours) = res
    assert type(yours.grad_fn).__name__ == type(yref.grad_fn).__name__
    if multi:
        np.testing.assert_array_equal(ours[1].numpy(), ref[1].numpy())
        assert ours[1].dtype == ember.int64
        ours, ref = ours[0], ref[0]
    assert tuple(ours.shape) == tuple(ref.shape)
    np.testing.assert_allclose(ours.detach().numpy(), ref.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(gours.numpy(), gref.numpy(), rtol=1e-12, atol=1e-12)


MAX = [
    ((2, 3, 8, 8), (2,), {}),
    ((2, 3, 9, 7), (3,), dict(stride=2, padding=1)),
    ((2, 3, 9, 7), ((3, 2),), dict(stride=(2, 1), padding=(1, 0), dilation=(2, 1))),
    ((2, 3, 9, 8), (3,), dict(stride=2, ceil_mode=True)),
    ((3, 10, 10), (2,), dict(stride=3, ceil_mode=True, padding=1)),
]


@pytest.mark.parametrize(("shape", "args", "kw"), MAX)
@pytest.mark.parametrize("ties", [False, True])
def test_max_pool2d(shape, args, kw, ties, rng):
    _both("max_pool2d", shape, rng, args, dict(kw, return_indices=True), multi=True, ties=ties)
    _both("max_pool2d", shape, rng, args, kw, ties=ties)


@pytest.mark.parametrize("kw", [{}, dict(stride=2, padding=1), dict(ceil_mode=True, stride=2),
                                dict(dilation=2)])
def test_max_pool1d(kw, rng):
    _both("max_pool1d", (2, 3, 11), rng, (3,), dict(kw, return_indices=True), multi=True)
    _both("max_pool1d", (3, 11), rng, (3,), kw)


AVG = [
    ((2, 3, 8, 8), (2,), {}),
    ((2, 3, 9, 7), (3,), dict(stride=2, padding=1)),
    ((2, 3, 9, 7), (3,), dict(stride=2, padding=1, count_include_pad=False)),
    ((2, 3, 9, 8), (3,), dict(stride=2, ceil_mode=True)),
    ((2, 3, 9, 8), (3,), dict(stride=2, ceil_mode=True, padding=1, count_include_pad=False)),
    ((2, 3, 9, 8), (3,), dict(stride=2, ceil_mode=True, padding=1)),
    ((3, 9, 8), ((3, 2),), dict(divisor_override=5)),
]


@pytest.mark.parametrize(("shape", "args", "kw"), AVG)
def test_avg_pool2d(shape, args, kw, rng):
    _both("avg_pool2d", shape, rng, args, kw)


@pytest.mark.parametrize("kw", [{}, dict(stride=2, padding=1), dict(ceil_mode=True, stride=2),
                                dict(padding=1, count_include_pad=False)])
def test_avg_pool1d(kw, rng):
    _both("avg_pool1d", (2, 3, 11), rng, (3,), kw)


@pytest.mark.parametrize("out", [1, 3, (2, 4), (None, 3), (5, 7), (4, 2)])
def test_adaptive_pool2d(out, rng):
    _both("adaptive_avg_pool2d", (2, 3, 8, 7), rng, (out,))
    _both("adaptive_max_pool2d", (2, 3, 8, 7), rng, (out, True), multi=True)
    _both("adaptive_max_pool2d", (3, 8, 7), rng, (out,), ties=True)


@pytest.mark.parametrize("out", [1, 3, 5])
def test_adaptive_pool1d(out, rng):
    _both("adaptive_avg_pool1d", (2, 3, 10), rng, (out,))
    _both("adaptive_max_pool1d", (2, 3, 10), rng, (out, True), multi=True)


def test_lp_pool(rng):
    x = np.abs(rng.standard_normal((2, 3, 8, 8))) + 0.1
    a = F.lp_pool2d(ember.tensor(x), 2, 2)
    b = torch.nn.functional.lp_pool2d(torch.tensor(x), 2, 2)
    np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12)
    a = F.lp_pool1d(ember.tensor(x[0]), 3, 2)
    b = torch.nn.functional.lp_pool1d(torch.tensor(x[0]), 3, 2)
    np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12)


@pytest.mark.parametrize("name", ["max_pool2d", "avg_pool2d", "adaptive_avg_pool2d"])
def test_pool_double_backward(name, rng):
    x = rng.standard_normal((2, 2, 6, 6))
    args = (3,) if name.startswith("adaptive") else (3, 2, 1)
    res = []
    for lib, mod in ((torch, torch.nn.functional), (ember, F)):
        xt = lib.tensor(x, requires_grad=True)
        y = getattr(mod, name)(xt, *args)
        (g,) = lib.autograd.grad((y * y * xt.sum()).sum(), (xt,), create_graph=True)
        (g * g).sum().backward()
        res.append((g, xt.grad))
    for a, b in zip(res[1], res[0]):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-10)


ERRORS = [
    ("max_pool2d", (2, 3, 8, 8), (2,), dict(padding=2)),
    ("max_pool2d", (8, 8), (2,), {}),
    ("max_pool2d", (2, 3, 8, 8), (2,), dict(stride=0)),
    ("avg_pool2d", (2, 3, 8, 8), (2,), dict(padding=2)),
    ("max_pool2d", (2, 3, 8, 8), (10,), {}),
    ("avg_pool2d", (2, 3, 8, 8), (10,), {}),
    ("adaptive_avg_pool2d", (8,), (2,), {}),
    ("max_pool2d", (2, 3, 8, 8), ((2, 2, 2),), {}),
    ("max_pool1d", (2, 3, 8, 8), (2,), {}),
    ("avg_pool2d", (2, 3, 8, 8), (2,), dict(divisor_override=0)),
    ("max_pool2d", (2, 3, 8, 8), (2,), dict(dilation=0)),
    ("adaptive_max_pool2d", (2, 3, 8, 8), ((2, 2, 2),), {}),
    ("avg_pool1d", (2, 3, 8, 8), (2,), {}),
]


@pytest.mark.parametrize(("name", "shape", "args", "kw"), ERRORS)
def test_pool_errors_match_torch(name, shape, args, kw):
    msgs = []
    for lib, mod in ((torch, torch.nn.functional), (ember, F)):
        with pytest.raises(Exception) as ei:
            getattr(mod, name)(lib.zeros(shape), *args, **kw)
        msgs.append((type(ei.value), str(ei.value)))
    assert msgs[1] == msgs[0]


@pytest.mark.parametrize("kw", [dict(kernel_size=2, padding=1),
                                dict(kernel_size=3, padding=1, stride=2, ceil_mode=True),
                                dict(kernel_size=2, padding=1, dilation=2)])
def test_max_pool_inf_and_nan_pick_torchs_index(kw):
    x = np.full((1, 2, 4, 5), -np.inf)
    x[0, 0, 1, 3] = 1.0
    x[0, 1, ::2, 1::2] = np.nan
    (ye, ie), (yt, it) = (
        lib.nn.functional.max_pool2d(lib.tensor(x), return_indices=True, **kw)
        for lib in (ember, torch)
    )
    np.testing.assert_array_equal(ie.numpy(), it.numpy())
    np.testing.assert_array_equal(ye.numpy(), yt.numpy())

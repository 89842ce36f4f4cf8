"""``nn.InstanceNorm1d/2d/3d`` against torch: outputs, grads, running stats, repr, state_dict."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import ember

SHAPES = {"1d": (2, 3, 7), "2d": (2, 3, 4, 5), "3d": (2, 3, 2, 3, 4)}


def _run(kind, kwargs, shape, rng, train=True, steps=2):
    x = rng.standard_normal(shape) * 2 + 1
    gy = rng.standard_normal(shape)
    res = []
    for lib in (torch, ember):
        m = getattr(lib.nn, f"InstanceNorm{kind}")(3, **kwargs).double()
        m.train(train)
        if m.affine:
            with lib.no_grad():
                m.weight.copy_(lib.tensor(np.linspace(0.5, 1.5, 3)))
                m.bias.copy_(lib.tensor(np.linspace(-1, 1, 3)))
        xt = lib.tensor(x, requires_grad=True)
        for _ in range(steps):
            y = m(xt)
        y.backward(lib.tensor(gy))
        params = [p.grad.numpy() for p in m.parameters()]
        res.append((y.detach().numpy(), xt.grad.numpy(), params,
                    {k: v.numpy() for k, v in m.state_dict().items()}, repr(m)))
    (ty, tg, tp, ts, tr), (ey, eg, ep, es, er) = res
    np.testing.assert_allclose(ey, ty, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(eg, tg, rtol=1e-9, atol=1e-10)
    for a, b in zip(ep, tp):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-10)
    assert list(es) == list(ts)
    for k in ts:
        np.testing.assert_allclose(es[k], ts[k], rtol=1e-9, atol=1e-12)
    assert er == tr


@pytest.mark.parametrize("kind", ["1d", "2d", "3d"])
@pytest.mark.parametrize("kwargs", [{}, dict(affine=True), dict(track_running_stats=True),
                                    dict(affine=True, track_running_stats=True, momentum=0.3),
                                    dict(track_running_stats=True, momentum=None),
                                    dict(eps=1e-3)])
def test_train(kind, kwargs, rng):
    _run(kind, kwargs, SHAPES[kind], rng)


@pytest.mark.parametrize("kind", ["1d", "2d"])
def test_eval_with_running_stats(kind, rng):
    _run(kind, dict(track_running_stats=True, affine=True), SHAPES[kind], rng, train=False)
    _run(kind, {}, SHAPES[kind], rng, train=False)  # no stats: eval still uses the input's


@pytest.mark.parametrize("kind", ["1d", "2d", "3d"])
def test_unbatched(kind, rng):
    _run(kind, dict(affine=True), SHAPES[kind][1:], rng)


@pytest.mark.parametrize("ctor", [lambda L: L.nn.InstanceNorm1d(4, affine=True)(L.ones(2, 3, 5)),
                                  lambda L: L.nn.InstanceNorm2d(4)(L.ones(2, 3)),
                                  lambda L: L.nn.InstanceNorm3d(4)(L.ones(2, 3, 4)),
                                  lambda L: L.nn.InstanceNorm1d(3)(L.ones(2, 3, 1)),
                                  lambda L: L.nn.InstanceNorm1d(3)(L.ones(2, 3, 5, 5))])
def test_errors(ctor):
    msgs = []
    for lib in (torch, ember):
        with pytest.raises(ValueError) as ei:
            ctor(lib)
        msgs.append(str(ei.value).replace("ember.Size", "torch.Size"))
    assert msgs[1] == msgs[0]


def test_num_features_mismatch_warns():
    msgs = []
    for lib in (torch, ember):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            lib.nn.InstanceNorm1d(4)(lib.randn(2, 3, 5))
        msgs.append([(x.category, str(x.message)) for x in w])
    assert msgs[1] == msgs[0]


def test_state_dict_keys_and_old_checkpoint():
    for kw in ({}, dict(affine=True), dict(track_running_stats=True)):
        assert list(ember.nn.InstanceNorm2d(3, **kw).state_dict()) == list(
            torch.nn.InstanceNorm2d(3, **kw).state_dict())
    msgs = []
    for lib in (torch, ember):
        m = lib.nn.InstanceNorm1d(3)
        with pytest.raises(RuntimeError) as ei:
            m.load_state_dict({"running_mean": lib.zeros(3), "running_var": lib.ones(3)})
        msgs.append(str(ei.value))
    assert msgs[1] == msgs[0]


def test_functional_instance_norm(rng):
    x = rng.standard_normal((2, 3, 6))
    out = [lib.nn.functional.instance_norm(lib.tensor(x)).numpy() for lib in (torch, ember)]
    np.testing.assert_allclose(out[1], out[0], rtol=1e-9, atol=1e-12)

"""ember.utils.checkpoint against torch.utils.checkpoint: outputs, gradients, warnings, errors."""

from __future__ import annotations

import gc
import warnings
import weakref

import numpy as np
import pytest
import torch
import torch.utils.checkpoint as tck

import ember
import ember.utils.checkpoint as eck


@pytest.fixture(autouse=True)
def _keep_torch_rng():
    # these tests draw from torch's global generator; leave its stream as other tests expect it
    with torch.random.fork_rng():
        yield


LIBS = [(ember, eck), (torch, tck)]


def _net(lib, rng_state):
    rng = np.random.default_rng(rng_state)
    net = lib.nn.Sequential(lib.nn.Linear(4, 6), lib.nn.Tanh(), lib.nn.Linear(6, 6),
                            lib.nn.Sigmoid(), lib.nn.Linear(6, 3))
    with lib.no_grad():
        for p in net.parameters():
            p.copy_(lib.tensor(rng.standard_normal(tuple(p.shape)), dtype=lib.float32))
    return net


def _run(lib, ck, mode, x_np, x_grad=True):
    net = _net(lib, 1)
    x = lib.tensor(x_np, requires_grad=x_grad)
    if mode == "plain":
        y = net(x)
    elif mode == "seq":
        y = ck.checkpoint_sequential(net, 2, x, use_reentrant=False)
    else:
        y = ck.checkpoint(net, x, use_reentrant=mode == "reentrant")
    (y * y).sum().backward()
    grads = [p.grad.numpy() for p in net.parameters()]
    return y.detach().numpy(), (x.grad.numpy() if x_grad else None), grads


@pytest.mark.parametrize("mode", ["reentrant", "no_reentrant", "seq"])
def test_gradients_equal_plain_run_and_torch(rng, mode):
    x = rng.standard_normal((5, 4)).astype(np.float32)
    ref = _run(torch, tck, "plain", x)
    for lib, ck in LIBS:
        out = _run(lib, ck, mode, x)
        plain = _run(lib, ck, "plain", x)
        np.testing.assert_allclose(out[0], ref[0], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(out[1], ref[1], rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(out[1], plain[1])
        for g, r, p in zip(out[2], ref[2], plain[2]):
            np.testing.assert_allclose(g, r, rtol=1e-5, atol=1e-6)
            np.testing.assert_array_equal(g, p)


def test_params_get_grads_when_input_does_not_require_grad(rng):
    x = rng.standard_normal((5, 4)).astype(np.float32)
    for lib, ck in LIBS:
        _, _, grads = _run(lib, ck, "no_reentrant", x, x_grad=False)
        _, _, plain = _run(lib, ck, "plain", x, x_grad=False)
        for g, p in zip(grads, plain):
            np.testing.assert_array_equal(g, p)


def test_autograd_grad_through_closure_params(rng):
    x_np = rng.standard_normal((3, 4)).astype(np.float32)
    res = []
    for lib, ck in LIBS:
        net = _net(lib, 2)
        x = lib.tensor(x_np, requires_grad=True)
        y = ck.checkpoint(lambda t, scale: net(t) * scale, x, 2.0, use_reentrant=False)
        g = lib.autograd.grad(y.pow(2).sum(), [x, net[0].weight])
        res.append([t.numpy() for t in g])
    for a, b in zip(*res):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_rng_state_is_restored_in_recomputation():
    def f(lib, t):
        return lib.nn.functional.dropout(t, 0.5, training=True) * t

    for lib, ck in LIBS:
        x = lib.ones(50, requires_grad=True)
        lib.manual_seed(3)
        y = ck.checkpoint(lambda t: f(lib, t), x, use_reentrant=False)
        y.sum().backward()
        lib.manual_seed(3)
        x2 = lib.ones(50, requires_grad=True)
        y2 = f(lib, x2)
        y2.sum().backward()
        assert lib.equal(y.detach(), y2.detach())
        assert lib.equal(x.grad, x2.grad)
        assert 0 < int((x.grad == 0).sum()) < 50  # dropout did drop, in the same places


def test_kwargs_and_tuple_outputs(rng):
    a_np = rng.standard_normal((3,))
    res = []
    for lib, ck in LIBS:
        a = lib.tensor(a_np, requires_grad=True)
        u, v = ck.checkpoint(lambda t, k=1.0: (t.sin() * k, t.exp()), a, k=3.0,
                             use_reentrant=False)
        (u.sum() + 2 * v.sum()).backward()
        res.append((u.detach().numpy(), v.detach().numpy(), a.grad.numpy()))
    for x, y in zip(*res):
        np.testing.assert_allclose(x, y, rtol=1e-12)


def test_activations_are_freed_after_forward():
    keep = []

    def f(t):
        h = t.exp()
        keep.append(weakref.ref(h))
        return h.sin()

    x = ember.ones(4, requires_grad=True)
    y = eck.checkpoint(f, x, use_reentrant=False)
    gc.collect()
    assert keep[0]() is None  # the intermediate is not kept by the graph
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full(4, np.cos(np.e) * np.e), rtol=1e-6)


def test_double_backward_no_reentrant():
    res = []
    for lib, ck in LIBS:
        x = lib.tensor([0.5, 1.5], dtype=lib.float64, requires_grad=True)
        y = ck.checkpoint(lambda t: t.pow(3).sin(), x, use_reentrant=False)
        (g,) = lib.autograd.grad(y.sum(), x, create_graph=True)
        (gg,) = lib.autograd.grad(g.sum(), x)
        res.append((g.detach().numpy(), gg.numpy()))
    for a, b in zip(*res):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def _messages(fn):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        out = fn()
    return [str(m.message) for m in w], out


def test_warnings_match_torch():
    for kind in ("checkpoint", "seq"):
        got = []
        for lib, ck in LIBS:
            x = lib.ones(2)  # no requires_grad: the reentrant variant warns about it too
            net = lib.nn.Sequential(lib.nn.Linear(2, 2), lib.nn.Linear(2, 2))
            if kind == "checkpoint":
                msgs, y = _messages(lambda: ck.checkpoint(lambda t: t * 2, x))  # noqa: B023
            else:
                msgs, y = _messages(lambda: ck.checkpoint_sequential(net, 2, x))  # noqa: B023
            got.append((msgs, y.requires_grad))
        assert got[0] == got[1]


def test_errors_match_torch():
    for lib, ck in LIBS:
        x = lib.ones(2, requires_grad=True)
        with pytest.raises(ValueError, match="Unexpected keyword arguments: foo"):
            ck.checkpoint(lambda t: t, x, use_reentrant=True, foo=1)
        with pytest.raises(ValueError, match="only supported when use_reentrant=False"):
            ck.checkpoint(lambda t: t, x, use_reentrant=True, debug=True)
        with pytest.raises(ValueError, match="Unexpected keyword arguments: bar"):
            ck.checkpoint_sequential([lambda t: t], 1, x, use_reentrant=False, bar=2)


def test_no_grad_mode_just_runs():
    for lib, ck in LIBS:
        x = lib.ones(2, requires_grad=True)
        with lib.no_grad():
            y = ck.checkpoint(lambda t: t * 3, x, use_reentrant=False)
        assert not y.requires_grad and y.tolist() == [3.0, 3.0]

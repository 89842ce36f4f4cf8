"""Lazy modules against torch: repr and state_dict before/after the first call, inferred shapes,
class switch, loading a checkpoint into a lazy module, placeholder errors."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

import ember

CASES = [
    ("LazyLinear", (4,), {}, (2, 3)),
    ("LazyLinear", (4,), dict(bias=False), (2, 5, 3)),
    ("LazyConv1d", (6, 3), {}, (2, 4, 9)),
    ("LazyConv1d", (6, 3), dict(bias=False, padding=1), (4, 9)),
    ("LazyConv2d", (8, 3), dict(stride=2, groups=2), (1, 4, 7, 7)),
    ("LazyConv2d", (8, (3, 1)), dict(padding="same"), (2, 7, 5)),
    ("LazyConv3d", (2, 2), {}, (1, 3, 4, 4, 4)),
]


def _sd(m):
    return {k: repr(v) if "Uninitialized" in type(v).__name__ else tuple(v.shape)
            for k, v in m.state_dict().items()}


@pytest.mark.parametrize(("name", "args", "kw", "shape"), CASES)
def test_first_call(name, args, kw, shape, rng):
    x = rng.standard_normal(shape)
    out = []
    for lib in (torch, ember):
        m = getattr(lib.nn, name)(*args, **kw).double()
        before = (repr(m), _sd(m), m.has_uninitialized_params(), repr(m.weight))
        y = m(lib.tensor(x))
        after = (repr(m), type(m).__name__, type(m.weight).__name__, _sd(m),
                 hasattr(m, "_initialize_hook"), str(m.weight.dtype))
        with lib.no_grad():  # same weights in both, then compare the math
            for i, p in enumerate(m.parameters()):
                p.copy_(lib.tensor(np.linspace(-1, 1, p.numel()).reshape(tuple(p.shape)) + i))
        z = m(lib.tensor(x))
        out.append((before, after, tuple(y.shape), z.detach().numpy()))
    (tb, ta, ts, tz), (eb, ea, es, ez) = out
    assert eb == tb and ea == ta and es == ts
    np.testing.assert_allclose(ez, tz, rtol=1e-12)


def test_init_distribution_after_first_call():
    m = ember.nn.LazyLinear(200)
    m(ember.ones(1, 16))
    w = m.weight.detach().numpy()
    assert np.abs(w).max() <= 0.25 and w.std() > 0.1  # kaiming-uniform bound 1/sqrt(16)


def test_load_state_dict_into_lazy():
    out = []
    for lib in (torch, ember):
        src = lib.nn.Linear(5, 3)
        m = lib.nn.LazyLinear(3)
        m.load_state_dict(src.state_dict())
        mid = (repr(m), type(m).__name__, tuple(m.weight.shape))
        m(lib.ones(1, 5))
        out.append((mid, repr(m), type(m).__name__, bool((m.weight == src.weight).all())))
    assert out[1] == out[0]


def test_lazy_state_dict_into_lazy_and_mismatch():
    for lib in (torch, ember):
        a, b = lib.nn.LazyLinear(3), lib.nn.LazyLinear(3)
        b.load_state_dict(a.state_dict())  # placeholders into placeholders: nothing happens
        assert b.has_uninitialized_params()
    out = []
    for lib in (torch, ember):
        m = lib.nn.LazyLinear(3)
        m.load_state_dict(lib.nn.Linear(5, 3).state_dict())
        with pytest.raises(AssertionError) as ei:
            m(lib.ones(1, 4))
        out.append(str(ei.value))
    assert out[1] == out[0]


def test_uninitialized_parameter():
    out = []
    for lib in (torch, ember):
        p = lib.nn.UninitializedParameter()
        with pytest.raises(RuntimeError) as ei:
            p.shape  # noqa: B018
        info = (repr(p), p.requires_grad, str(p.dtype), str(ei.value),
                isinstance(p, lib.nn.Parameter))
        p.materialize((2, 3))
        info += (type(p).__name__, tuple(p.shape), p.requires_grad)
        q = lib.nn.UninitializedParameter(requires_grad=False, dtype=lib.float64)
        q.materialize(4)
        info += (tuple(q.shape), str(q.dtype), q.requires_grad)
        b = lib.nn.UninitializedBuffer()
        info += (repr(b),)
        b.materialize((3,))
        info += (type(b).__name__, tuple(b.shape))
        out.append(info)
    assert out[1] == out[0]


def test_deepcopy_and_bad_input():
    m = copy.deepcopy(ember.nn.LazyConv2d(4, 3))
    assert m.has_uninitialized_params()
    m(ember.ones(1, 2, 5, 5))
    assert tuple(m.weight.shape) == (4, 2, 3, 3)
    msgs = []
    for lib in (torch, ember):
        with pytest.raises(RuntimeError) as ei:
            lib.nn.LazyConv2d(4, 3)(lib.ones(5, 5))
        msgs.append(str(ei.value).replace("ember.Size", "torch.Size"))
    assert msgs[1] == msgs[0]
    msgs = []
    for lib in (torch, ember):
        with pytest.raises(ValueError) as ei:
            lib.nn.LazyConv2d(4, 3, groups=2)(lib.ones(1, 3, 5, 5))
        msgs.append(str(ei.value))
    assert msgs[1] == msgs[0]


def test_in_sequential_with_optimizer():
    net = ember.nn.Sequential(ember.nn.LazyLinear(8), ember.nn.ReLU(), ember.nn.LazyLinear(2))
    net(ember.ones(4, 3))  # dry run, then the optimizer sees real parameters
    opt = ember.optim.SGD(net.parameters(), lr=0.1)
    loss = net(ember.ones(4, 3)).sum()
    loss.backward()
    opt.step()
    assert [tuple(p.shape) for p in net.parameters()] == [(8, 3), (8,), (2, 8), (2,)]
    assert repr(net) == repr(torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.ReLU(),
                                                 torch.nn.Linear(8, 2)))

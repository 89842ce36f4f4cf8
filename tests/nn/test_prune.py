"""``nn.utils.prune`` against torch: exact masks for L1/Ln, structure and counts for random."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.utils.prune

import ember
import ember.nn.utils.prune

LIBS = (torch, ember)


def _pr(lib):
    return lib.nn.utils.prune


def _linear(lib, seed=0, n_in=5, n_out=4):
    r = np.random.default_rng(seed)
    m = lib.nn.Linear(n_in, n_out)
    with lib.no_grad():
        m.weight.copy_(lib.tensor(r.standard_normal((n_out, n_in)).astype(np.float32)))
        m.bias.copy_(lib.tensor(r.standard_normal(n_out).astype(np.float32)))
    return m


def _np(t):
    return t.detach().numpy()


def _layout(m):
    hooks = [type(h).__name__ for h in m._forward_pre_hooks.values()]
    return (list(m.state_dict()), [n for n, _ in m.named_parameters()],
            [n for n, _ in m.named_buffers()], hooks)  # fmt: skip


@pytest.mark.parametrize("amount", [0, 3, 0.45, 1.0])
def test_l1_unstructured_exact(amount):
    res = []
    for lib in LIBS:
        m = _pr(lib).l1_unstructured(_linear(lib), "weight", amount=amount)
        assert _pr(lib).is_pruned(m)
        m(lib.ones(2, 5)).sum().backward()
        res.append((_layout(m), _np(m.weight_mask), _np(m.weight), _np(m.weight_orig.grad)))
    assert res[0][0] == res[1][0]
    assert res[0][0][3] == ["L1Unstructured"]
    for a, b in zip(res[1][1:], res[0][1:]):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_l1_importance_scores_and_ln_structured_chain():
    res = []
    for lib in LIBS:
        m = _linear(lib)
        scores = lib.tensor(np.arange(20, dtype=np.float32).reshape(4, 5)[::-1].copy())
        _pr(lib).l1_unstructured(m, "weight", amount=4, importance_scores=scores)
        _pr(lib).ln_structured(m, "weight", amount=1, n=2, dim=0)
        _pr(lib).ln_structured(m, "weight", amount=0.4, n=1, dim=1)
        _pr(lib).l1_unstructured(m, "bias", amount=2)
        container = m._forward_pre_hooks[next(iter(m._forward_pre_hooks))]
        res.append((_layout(m), [type(x).__name__ for x in container], _np(m.weight_mask),
                    _np(m.bias_mask), _np(m(lib.ones(1, 5)))))  # fmt: skip
    assert res[0][:2] == res[1][:2]
    assert res[1][1] == ["L1Unstructured", "LnStructured", "LnStructured"]
    for a, b in zip(res[1][2:], res[0][2:]):
        np.testing.assert_allclose(a, b, rtol=1e-5)


def test_random_unstructured_counts():
    m = _pr(ember).random_unstructured(_linear(ember, n_in=10, n_out=10), "weight", amount=0.3)
    mask = _np(m.weight_mask)
    assert mask.sum() == 70 and set(np.unique(mask)) == {0.0, 1.0}
    np.testing.assert_array_equal(_np(m.weight), _np(m.weight_orig) * mask)
    _pr(ember).random_unstructured(m, "weight", amount=20)  # prunes among the survivors
    assert _np(m.weight_mask).sum() == 50 and (_np(m.weight_mask) <= mask).all()
    a, b = (_pr(ember).RandomUnstructured(0.5).compute_mask(ember.zeros(1000), ember.ones(1000))
            for _ in range(2))  # fmt: skip
    assert a.sum().item() == 500 and not ember.equal(a, b)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_random_structured_prunes_whole_channels(dim):
    m = _pr(ember).random_structured(_linear(ember, n_in=6, n_out=8), "weight", amount=0.5,
                                     dim=dim)  # fmt: skip
    mask = _np(m.weight_mask)
    other = 1 - (dim % 2)
    per_channel = mask.sum(axis=other)
    assert set(per_channel) == {0.0, mask.shape[other]}
    assert (per_channel == 0).sum() == round(0.5 * mask.shape[dim])


def test_global_unstructured_and_custom_from_mask():
    res = []
    for lib in LIBS:
        a, b = _linear(lib, 0), _linear(lib, 1, n_in=3, n_out=2)
        _pr(lib).global_unstructured([(a, "weight"), (b, "weight")],
                                     pruning_method=_pr(lib).L1Unstructured, amount=0.4)  # fmt: skip
        mask = lib.tensor(np.array([1.0, 0.0, 1.0, 0.0], dtype=np.float32))
        _pr(lib).custom_from_mask(a, "bias", mask=mask)
        with pytest.raises(TypeError) as ei:
            _pr(lib).global_unstructured([(a, "weight")], _pr(lib).LnStructured, amount=1, n=1)
        res.append((_layout(a), _layout(b), _np(a.weight_mask), _np(b.weight_mask),
                    _np(a.bias), type(ei.value).__name__))  # fmt: skip
    assert res[0][:2] == res[1][:2] and res[0][5] == res[1][5]
    for x, y in zip(res[1][2:5], res[0][2:5]):
        np.testing.assert_allclose(x, y)


def test_identity_remove_and_is_pruned():
    res = []
    for lib in LIBS:
        net = lib.nn.Sequential(_linear(lib), lib.nn.ReLU())
        assert not _pr(lib).is_pruned(net)
        _pr(lib).identity(net[0], "bias")
        _pr(lib).l1_unstructured(net[0], "weight", amount=5)
        assert _pr(lib).is_pruned(net)
        before = _layout(net[0])
        w = _np(net[0].weight).copy()
        orig = net[0].weight_orig
        _pr(lib).remove(net[0], "weight")
        assert net[0].weight is orig and isinstance(orig, lib.nn.Parameter)
        np.testing.assert_array_equal(_np(net[0].weight), w)
        _pr(lib).remove(net[0], "bias")
        assert not _pr(lib).is_pruned(net)
        res.append((before, list(net.state_dict()), w))
    assert res[0][:2] == res[1][:2]
    np.testing.assert_allclose(res[1][2], res[0][2])


def test_prune_method_and_errors():
    res = []
    for lib in LIBS:
        t = lib.tensor(np.array([[0.5, -2.0, 1.0], [3.0, -0.1, 0.2]], dtype=np.float32))
        res.append(_np(_pr(lib).L1Unstructured(amount=2).prune(t)))
        for call in (lambda: _pr(lib).L1Unstructured(amount=-1),
                     lambda: _pr(lib).L1Unstructured(amount=1.5),
                     lambda: _pr(lib).L1Unstructured(amount="a"),
                     lambda: _pr(lib).l1_unstructured(_linear(lib), "weight", amount=50),
                     lambda: _pr(lib).ln_structured(_linear(lib), "bias", 1, n=2, dim=0),
                     lambda: _pr(lib).ln_structured(_linear(lib), "weight", 1, n=2, dim=2),
                     lambda: _pr(lib).remove(_linear(lib), "weight")):  # fmt: skip
            with pytest.raises(Exception) as ei:
                call()
            msg = str(ei.value).split(" of module ")[0]
            res.append((type(ei.value).__name__, msg))
    half = len(res) // 2
    np.testing.assert_allclose(res[half], res[0])
    assert res[1:half] == res[half + 1:]


def test_failed_prune_restores_parameter():
    for lib in LIBS:
        m = _linear(lib)
        with pytest.raises(ValueError):
            _pr(lib).l1_unstructured(m, "weight", amount=100)
        assert "weight" in m._parameters and "weight_orig" not in m._parameters
        assert not m._forward_pre_hooks

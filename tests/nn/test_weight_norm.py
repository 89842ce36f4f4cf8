"""Old-style ``nn.utils.weight_norm`` and ``nn.utils.spectral_norm`` (forward pre-hooks) vs torch."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import ember

LIBS = (torch, ember)


def _linear(lib, seed=0, n_in=3, n_out=4):
    r = np.random.default_rng(seed)
    m = lib.nn.Linear(n_in, n_out)
    with lib.no_grad():
        m.weight.copy_(lib.tensor(r.standard_normal((n_out, n_in)).astype(np.float32)))
        m.bias.copy_(lib.tensor(r.standard_normal(n_out).astype(np.float32)))
    return m


def _close(a, b):
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-5, atol=1e-6)


def _x(lib):
    return lib.tensor(np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3))


def test_weight_norm_warns_like_torch():
    msgs = []
    for lib in LIBS:
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            lib.nn.utils.weight_norm(lib.nn.Linear(2, 2))
        msgs.append([(x.category, str(x.message)) for x in w])
    assert msgs[0] == msgs[1] and msgs[1][0][0] is FutureWarning


@pytest.mark.filterwarnings("ignore::FutureWarning")
@pytest.mark.parametrize("dim", [0, 1, None])
def test_weight_norm_matches_torch(dim):
    res = []
    for lib in LIBS:
        m = lib.nn.utils.weight_norm(_linear(lib), dim=dim)
        assert len(m._forward_pre_hooks) == 1
        assert type(next(iter(m._forward_pre_hooks.values()))).__name__ == "WeightNorm"
        m(_x(lib)).pow(2).sum().backward()
        res.append((list(m.state_dict()), [n for n, _ in m.named_parameters()], m.weight_g,
                    m.weight_v, m.weight, m.weight_g.grad, m.weight_v.grad))  # fmt: skip
    assert res[0][:2] == res[1][:2] == (["bias", "weight_g", "weight_v"],) * 2
    for a, b in zip(res[1][2:], res[0][2:]):
        _close(a, b)


@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_remove_weight_norm_and_errors():
    res = []
    for lib in LIBS:
        m = lib.nn.utils.weight_norm(_linear(lib))
        with pytest.raises(RuntimeError) as ei:
            lib.nn.utils.weight_norm(m)
        res.append(str(ei.value))
        with torch.no_grad() if lib is torch else ember.no_grad():
            m.weight_g.mul_(2)
        lib.nn.utils.remove_weight_norm(m)
        assert not m._forward_pre_hooks and isinstance(m.weight, lib.nn.Parameter)
        res.append(list(m.state_dict()))
        res.append(m.weight.detach().numpy())
        with pytest.raises(ValueError) as ei:
            lib.nn.utils.remove_weight_norm(m)
        res.append(type(ei.value).__name__ + str(ei.value).split(" in ")[0])
    assert res[0] == res[4] and res[1] == res[5] and res[3] == res[7]
    np.testing.assert_allclose(res[6], res[2], rtol=1e-5)


def _sn_pair(make, **kw):
    t = torch.nn.utils.spectral_norm(make(torch), **kw)
    e = ember.nn.utils.spectral_norm(make(ember), **kw)
    with ember.no_grad():
        for (kt, vt), (ke, ve) in zip(t.state_dict().items(), e.state_dict().items()):
            assert kt == ke
            ve.copy_(ember.tensor(vt.numpy()))
    return t, e


@pytest.mark.parametrize("n_iter", [1, 2])
def test_spectral_norm_matches_torch(n_iter):
    t, e = _sn_pair(_linear, n_power_iterations=n_iter)
    assert list(e.state_dict()) == ["bias", "weight_orig", "weight_u", "weight_v"]
    assert e.state_dict()._metadata[""]["spectral_norm"] == \
        t.state_dict()._metadata[""]["spectral_norm"]  # fmt: skip
    grads = []
    for lib, m in ((torch, t), (ember, e)):
        (m(_x(lib)).sum() + m(_x(lib) * 3).sum()).backward()
        grads.append(m.weight_orig.grad)
    _close(e.weight, t.weight)
    _close(e.weight_u, t.weight_u)
    _close(e.weight_v, t.weight_v)
    _close(grads[1], grads[0])
    t.eval()
    e.eval()
    u = e.weight_u.clone()
    for lib, m in ((torch, t), (ember, e)):
        m(_x(lib))
    _close(e.weight_u, u)
    _close(e.weight, t.weight)


def test_spectral_norm_conv_transpose_and_remove():
    t, e = _sn_pair(lambda lib: lib.nn.ConvTranspose1d(3, 2, 2))
    hooks = [next(iter(m._forward_pre_hooks.values())) for m in (t, e)]
    assert hooks[0].dim == hooks[1].dim == 1
    for lib, m in ((torch, t), (ember, e)):
        m(lib.ones(1, 3, 4))
        lib.nn.utils.remove_spectral_norm(m)
        assert not m._forward_pre_hooks and not m._state_dict_hooks
    assert list(e.state_dict()) == list(t.state_dict()) == ["bias", "weight"]
    _close(e.weight, t.weight)
    errs = []
    for lib in LIBS:
        m = lib.nn.utils.spectral_norm(lib.nn.Linear(2, 2))
        for call in (lambda: lib.nn.utils.spectral_norm(m),
                     lambda: lib.nn.utils.spectral_norm(lib.nn.Linear(2, 2), n_power_iterations=0),
                     lambda: lib.nn.utils.remove_spectral_norm(lib.nn.Linear(2, 2))):  # fmt: skip
            with pytest.raises((RuntimeError, ValueError)) as ei:
                call()
            errs.append((type(ei.value).__name__, str(ei.value).split(" in ")[0]))
    assert errs[:3] == errs[3:]

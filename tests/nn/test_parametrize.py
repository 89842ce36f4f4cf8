"""``nn.utils.parametrize`` and ``nn.utils.parametrizations`` against torch."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest
import torch
import torch.nn.utils.parametrizations
import torch.nn.utils.parametrize

import ember
import ember.nn.utils.parametrizations
import ember.nn.utils.parametrize

LIBS = (torch, ember)


def _linear(lib, rng_seed=0, n_in=3, n_out=4, dtype=np.float32):
    """``Linear(n_in, n_out)`` with the same weights in either library."""
    r = np.random.default_rng(rng_seed)
    m = lib.nn.Linear(n_in, n_out)
    with lib.no_grad():
        m.weight.copy_(lib.tensor(r.standard_normal((n_out, n_in)).astype(dtype)))
        m.bias.copy_(lib.tensor(r.standard_normal(n_out).astype(dtype)))
    return m


def _pz(lib):
    return lib.nn.utils.parametrize


def _pzs(lib):
    return lib.nn.utils.parametrizations


def _symmetric(lib):
    class Symmetric(lib.nn.Module):
        def forward(self, x):
            return x.triu() + x.triu(1).transpose(-1, -2)

        def right_inverse(self, a):
            return a.triu()

    return Symmetric()


def _scale(lib, k):
    class Scale(lib.nn.Module):
        def forward(self, x):
            return x * k

        def right_inverse(self, x):
            return x / k

    return Scale()


def _rank_one(lib):
    class RankOne(lib.nn.Module):
        def forward(self, x, y):
            return x.unsqueeze(-1) @ y.unsqueeze(-2)

        def right_inverse(self, z):
            return z[:, 0].clone(), z[0].clone()

    return RankOne()


def _close(a, b, **kw):
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-5, atol=1e-6, **kw)


def _both(fn):
    return [fn(lib) for lib in LIBS]


def test_register_state_dict_repr_class():
    def build(lib):
        m = _linear(lib, n_in=4)
        _pz(lib).register_parametrization(m, "weight", _scale(lib, 2.0))
        return m

    t, e = _both(build)
    assert type(e).__name__ == type(t).__name__ == "ParametrizedLinear"
    assert type(e).__bases__ == (ember.nn.Linear,)
    assert repr(e) == repr(t)
    assert list(e.state_dict()) == list(t.state_dict())
    assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()]
    _close(e.weight, t.weight)
    _close(e.parametrizations.weight.original, t.parametrizations.weight.original)
    assert _pz(ember).is_parametrized(e) and _pz(ember).is_parametrized(e, "weight")
    assert not _pz(ember).is_parametrized(e, "bias")
    assert _pz(ember).type_before_parametrizations(e) is ember.nn.Linear


def test_gradients_reach_original():
    outs = []
    for lib in LIBS:
        m = _linear(lib, n_in=4)
        _pz(lib).register_parametrization(m, "weight", _symmetric(lib))
        x = lib.tensor(np.linspace(-1, 1, 8, dtype=np.float32).reshape(2, 4))
        m(x).pow(2).sum().backward()
        outs.append(m.parametrizations.weight.original.grad)
    _close(outs[1], outs[0])


def test_chained_parametrizations_and_setter():
    res = []
    for lib in LIBS:
        m = _linear(lib, n_in=4)
        orig = m.weight
        _pz(lib).register_parametrization(m, "weight", _symmetric(lib))
        _pz(lib).register_parametrization(m, "weight", _scale(lib, 3.0))
        assert m.parametrizations.weight.original is orig  # the same tensor object is kept
        m.weight = lib.ones(4, 4) * 6
        res.append((repr(m), m.weight, m.parametrizations.weight.original))
    assert res[0][0] == res[1][0]
    _close(res[1][1], res[0][1])
    _close(res[1][2], res[0][2])


def test_multiple_originals_and_remove():
    def build(lib):
        m = _linear(lib, n_in=4)
        _pz(lib).register_parametrization(m, "weight", _rank_one(lib))
        return m

    t, e = _both(build)
    assert list(e.state_dict()) == list(t.state_dict())
    assert list(e.state_dict())[-2:] == ["parametrizations.weight.original0",
                                         "parametrizations.weight.original1"]  # fmt: skip
    _close(e.weight, t.weight)
    with pytest.raises(ValueError) as ei:
        _pz(ember).remove_parametrizations(e, "weight", leave_parametrized=False)
    with pytest.raises(ValueError) as ti:
        _pz(torch).remove_parametrizations(t, "weight", leave_parametrized=False)
    assert str(ei.value) == str(ti.value)
    for lib, m in zip(LIBS, (t, e)):
        _pz(lib).remove_parametrizations(m, "weight")
    assert type(e) is ember.nn.Linear and isinstance(e.weight, ember.nn.Parameter)
    assert list(e.state_dict()) == list(t.state_dict()) == ["bias", "weight"]
    _close(e.weight, t.weight)


@pytest.mark.parametrize("leave", [True, False])
def test_remove_leave_parametrized(leave):
    res = []
    for lib in LIBS:
        m = _linear(lib, n_in=4)
        orig = m.weight
        _pz(lib).register_parametrization(m, "weight", _symmetric(lib))
        _pz(lib).register_parametrization(m, "bias", _scale(lib, 2.0))
        _pz(lib).remove_parametrizations(m, "weight", leave_parametrized=leave)
        assert m.weight is orig
        assert type(m).__name__ == "ParametrizedLinear"  # bias is still parametrized
        _pz(lib).remove_parametrizations(m, "bias", leave_parametrized=leave)
        assert type(m) is lib.nn.Linear and not hasattr(m, "parametrizations")
        res.append((m.weight, m.bias))
    _close(res[1][0], res[0][0])
    _close(res[1][1], res[0][1])


def test_cached():
    for lib in LIBS:
        m = _linear(lib)
        _pz(lib).register_parametrization(m, "weight", _scale(lib, 2.0))
        assert m.weight is not m.weight
        with _pz(lib).cached():
            w = m.weight
            assert m.weight is w
            with _pz(lib).cached():
                assert m.weight is w
            assert m.weight is w
        assert m.weight is not w


def test_unsafe_allows_shape_change_and_errors_match():
    class Drop(torch.nn.Module):
        def forward(self, x):
            return x[:2]

    class EDrop(ember.nn.Module):
        def forward(self, x):
            return x[:2]

    errs = []
    for lib, cls in ((torch, Drop), (ember, EDrop)):
        m = _linear(lib)
        with pytest.raises(ValueError) as ei:
            _pz(lib).register_parametrization(m, "weight", cls())
        errs.append(str(ei.value))
        assert type(m) is lib.nn.Linear and "weight" in m._parameters
        _pz(lib).register_parametrization(m, "weight", cls(), unsafe=True)
        assert tuple(m.weight.shape) == (2, 3)
        with pytest.raises(ValueError) as ei:
            _pz(lib).register_parametrization(m, "nope", cls())
        errs.append(type(ei.value).__name__)
        with pytest.raises(ValueError) as ei:
            _pz(lib).remove_parametrizations(_linear(lib), "weight")
        errs.append(type(ei.value).__name__)
    assert errs[:3] == errs[3:]


def test_setter_without_right_inverse_raises():
    errs = []
    for lib in LIBS:
        class NoInv(lib.nn.Module):
            def forward(self, x):
                return x * 2

        m = _linear(lib)
        _pz(lib).register_parametrization(m, "weight", NoInv())
        with pytest.raises(RuntimeError) as ei:
            m.weight = lib.zeros(4, 3)
        errs.append(str(ei.value))
    assert errs[0] == errs[1]


def test_load_state_dict_deepcopy_and_pickle():
    t, e = _both(lambda lib: _pz(lib).register_parametrization(_linear(lib), "weight",
                                                               _scale(lib, 2.0)))  # fmt: skip
    e2 = _pz(ember).register_parametrization(_linear(ember, rng_seed=5), "weight",
                                             _scale(ember, 2.0))  # fmt: skip
    e2.load_state_dict({k: ember.tensor(v.numpy()) for k, v in t.state_dict().items()})
    _close(e2.weight, t.weight)
    c = copy.deepcopy(e)
    assert type(c).__name__ == "ParametrizedLinear"
    _close(c.weight, e.weight)
    with pytest.raises(RuntimeError, match="Serialization of parametrized modules"):
        pickle.dumps(e)


def test_transfer_parametrizations_and_params():
    e = _pz(ember).register_parametrization(_linear(ember), "weight", _scale(ember, 2.0))
    target = ember.nn.Linear(3, 4)
    _pz(ember).transfer_parametrizations_and_params(e, target)
    assert target.parametrizations.weight.original is e.parametrizations.weight.original
    _close(target.weight, e.weight)


# --- parametrizations.weight_norm ---------------------------------------------------------------
@pytest.mark.parametrize("dim", [0, 1, None])
def test_weight_norm_matches_torch(dim):
    res = []
    for lib in LIBS:
        m = _pzs(lib).weight_norm(_linear(lib), dim=dim)
        x = lib.tensor(np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3))
        m(x).sum().backward()
        pl = m.parametrizations.weight
        res.append((repr(m), list(m.state_dict()), m.weight, pl.original0, pl.original1,
                    pl.original0.grad, pl.original1.grad))  # fmt: skip
    assert res[0][:2] == res[1][:2]
    for a, b in zip(res[1][2:], res[0][2:]):
        _close(a, b)


def test_weight_norm_conv_and_old_state_dict():
    t = _pzs(torch).weight_norm(torch.nn.Conv2d(2, 3, 3))
    e = _pzs(ember).weight_norm(ember.nn.Conv2d(2, 3, 3))
    assert list(e.state_dict()) == list(t.state_dict())
    old = torch.nn.Conv2d(2, 3, 3)
    old.weight_g = torch.nn.Parameter(torch.rand(3, 1, 1, 1))
    old.weight_v = torch.nn.Parameter(torch.randn(3, 2, 3, 3))
    del old.weight
    sd = {k: ember.tensor(v.detach().numpy()) for k, v in old.state_dict().items()}
    e.load_state_dict(sd)
    t.load_state_dict(old.state_dict())
    _close(e.weight, t.weight)


# --- parametrizations.spectral_norm -------------------------------------------------------------
def _sn_pair(make, **kw):
    """Spectral-normed modules in both libraries with the same weights and ``_u``/``_v``."""
    t = _pzs(torch).spectral_norm(make(torch), **kw)
    e = _pzs(ember).spectral_norm(make(ember), **kw)
    with ember.no_grad():
        for (kt, vt), (ke, ve) in zip(t.state_dict().items(), e.state_dict().items()):
            assert kt == ke
            ve.copy_(ember.tensor(vt.numpy()))
    return t, e


@pytest.mark.parametrize("n_iter", [1, 3])
def test_spectral_norm_train_and_eval(n_iter):
    t, e = _sn_pair(_linear, n_power_iterations=n_iter)
    assert repr(e) == repr(t)
    assert list(e.state_dict()) == ["bias", "parametrizations.weight.original",
                                    "parametrizations.weight.0._u", "parametrizations.weight.0._v"]
    for _ in range(2):  # training mode: power iteration updates _u/_v on each access
        _close(e.weight, t.weight)
    _close(e.parametrizations.weight[0]._u, t.parametrizations.weight[0]._u)
    t.eval()
    e.eval()
    u_before = e.parametrizations.weight[0]._u.clone()
    _close(e.weight, t.weight)
    _close(e.parametrizations.weight[0]._u, u_before)  # eval: no update
    t.train()
    e.train()
    outs = []
    for lib, m in ((torch, t), (ember, e)):
        x = lib.tensor(np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3))
        (m(x).sum() + m(x * 2).sum()).backward()  # two forwards in one graph
        outs.append(m.parametrizations.weight.original.grad)
    _close(outs[1], outs[0])


def test_spectral_norm_sigma_close_to_largest_singular_value():
    e = _pzs(ember).spectral_norm(_linear(ember, n_in=5, n_out=6), n_power_iterations=30)
    s = np.linalg.svd(e.weight.detach().numpy(), compute_uv=False)
    assert s[0] == pytest.approx(1.0, rel=1e-4)


def test_spectral_norm_conv_transpose_dim_and_errors():
    t, e = _sn_pair(lambda lib: lib.nn.ConvTranspose2d(3, 2, 2))
    assert e.parametrizations.weight[0].dim == t.parametrizations.weight[0].dim == 1
    _close(e.weight, t.weight)
    errs = []
    for lib in LIBS:
        for call in (lambda: _pzs(lib).spectral_norm(lib.nn.Linear(2, 2), dim=3),
                     lambda: _pzs(lib).spectral_norm(lib.nn.Linear(2, 2), n_power_iterations=0),
                     lambda: _pzs(lib).spectral_norm(lib.nn.Linear(2, 2), name="nope")):  # fmt: skip
            with pytest.raises((IndexError, ValueError)) as ei:
                call()
            errs.append((type(ei.value).__name__, str(ei.value).split("'")[0]))
    assert errs[:3] == errs[3:]


def test_spectral_norm_vector_is_exact():
    t, e = _sn_pair(lambda lib: lib.nn.BatchNorm1d(4))
    assert list(e.state_dict()) == list(t.state_dict())
    _close(e.weight, t.weight)


# --- parametrizations.orthogonal ----------------------------------------------------------------
_ORTH_CASES = [(shape, mp, triv) for shape in [(4, 4), (5, 3), (3, 5)]
               for mp in ["matrix_exp", "cayley", "householder"] for triv in (True, False)
               if triv or mp == "householder"]  # fmt: skip


@pytest.mark.parametrize(("shape", "orthogonal_map", "triv"), _ORTH_CASES)
def test_orthogonal_matches_torch(shape, orthogonal_map, triv):
    r = np.random.default_rng(0)
    w0 = r.standard_normal(shape).astype(np.float32)
    moved = r.standard_normal(shape).astype(np.float32) * 0.3  # a non-trivial original
    moved[np.arange(min(shape)), np.arange(min(shape))] = 0  # householder reads signs there
    res, base = [], None
    for lib in LIBS:
        m = lib.nn.Linear(shape[1], shape[0], bias=False)
        with lib.no_grad():
            m.weight.copy_(lib.tensor(w0))
        _pzs(lib).orthogonal(m, orthogonal_map=orthogonal_map, use_trivialization=triv)
        pl = m.parametrizations.weight
        if triv and lib is torch:
            base = pl[0].base.numpy()
        elif triv:  # a non-square base is completed with random columns: use torch's
            pl[0].base = ember.tensor(base)
        first = m.weight.detach().numpy().copy()
        with lib.no_grad():
            pl.original.add_(lib.tensor(moved))
        x = lib.tensor(np.linspace(-1, 1, 2 * shape[1], dtype=np.float32).reshape(2, shape[1]))
        (m(x) ** 3).sum().backward()
        res.append((repr(m), list(m.state_dict()), first, m.weight, pl.original, pl.original.grad))
    assert res[0][:2] == res[1][:2]
    np.testing.assert_allclose(res[1][2], res[0][2], rtol=1e-5, atol=1e-5)
    for a, b in zip(res[1][3:], res[0][3:]):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-4, atol=1e-5)
    w = res[1][3].detach().numpy()
    gram = w.T @ w if shape[0] >= shape[1] else w @ w.T
    np.testing.assert_allclose(gram, np.eye(min(shape)), atol=1e-5)


def test_orthogonal_assign_and_errors():
    m = _pzs(ember).orthogonal(ember.nn.Linear(4, 4))
    q = np.linalg.qr(np.random.default_rng(1).standard_normal((4, 4)))[0].astype(np.float32)
    m.weight = ember.tensor(q)
    np.testing.assert_allclose(m.weight.detach().numpy(), q, atol=1e-5)
    errs = []
    for lib in LIBS:
        for call in (lambda: _pzs(lib).orthogonal(lib.nn.Linear(3, 3), orthogonal_map="qr"),
                     lambda: _pzs(lib).orthogonal(lib.nn.BatchNorm1d(3)),
                     lambda: _pzs(lib).orthogonal(lib.nn.Linear(3, 3), name="x")):  # fmt: skip
            with pytest.raises(ValueError) as ei:
                call()
            errs.append(str(ei.value).split("'")[0])
        m = _pzs(lib).orthogonal(lib.nn.Linear(3, 3), use_trivialization=False)
        with pytest.raises(NotImplementedError) as ei:
            m.weight = lib.eye(3)
        errs.append(str(ei.value))
    assert errs[:4] == errs[4:]

"""ember.autograd.functional against torch.autograd.functional: values, structure, errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember


@pytest.fixture(autouse=True)
def _keep_torch_rng():
    # these tests draw from torch's global generator; leave its stream as other tests expect it
    with torch.random.fork_rng():
        yield


X = np.array([0.5, 1.5, -1.0])
Y = np.array([[1.0, 2.0], [0.3, -0.2]])


def _t(lib, a, rg=False):
    return lib.tensor(a, dtype=lib.float64, requires_grad=rg)


def _f2(lib):
    return lambda a, b: (a.sin()[:2] * b.sum(0), a.exp().sum() * b)


def _cube(a):
    return (a ** 3).sum() * a[0]


def _np(x):
    if isinstance(x, tuple):
        return tuple(_np(e) for e in x)
    return x.detach().numpy()


def _same(a, b):
    if isinstance(b, tuple):
        assert isinstance(a, tuple) and len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y)
        return
    assert not isinstance(a, tuple)
    np.testing.assert_allclose(_np(a), _np(b), rtol=1e-12, atol=1e-14)


def _both(call):
    return call(ember), call(torch)


@pytest.mark.parametrize("case", ["tensor", "tuple_in", "tuple_both"])
def test_jacobian(case):
    def call(lib):
        F = lib.autograd.functional
        if case == "tensor":
            return F.jacobian(lambda a: a.sin() * a.sum(), _t(lib, X))
        if case == "tuple_in":
            return F.jacobian(lambda a, b: a.sum() * b, (_t(lib, X), _t(lib, Y)))
        return F.jacobian(_f2(lib), (_t(lib, X), _t(lib, Y)))

    _same(*_both(call))


def test_jacobian_unused_input_gives_zeros_and_strict_raises():
    for lib in (ember, torch):
        F = lib.autograd.functional
        j = F.jacobian(lambda a, b: a * 2, (_t(lib, X), _t(lib, Y)))
        assert j[1].shape == (3, 2, 2) and not j[1].any()
        with pytest.raises(RuntimeError, match="independent of input 1"):
            F.jacobian(lambda a, b: a * 2, (_t(lib, X), _t(lib, Y)), strict=True)


@pytest.mark.parametrize("tup", [False, True])
def test_hessian(tup):
    def call(lib):
        F = lib.autograd.functional
        if tup:
            return F.hessian(lambda a, b: (a.sin() * b[0, 0]).sum() * b.sum(),
                             (_t(lib, X), _t(lib, Y)))
        return F.hessian(_cube, _t(lib, X))

    _same(*_both(call))


@pytest.mark.parametrize("fn", ["vjp", "jvp", "vhp", "hvp"])
def test_products(fn):
    def call(lib):
        F = lib.autograd.functional
        x = _t(lib, X)
        if fn == "vjp":
            return F.vjp(lambda a: a.sin() * a, x, _t(lib, [1.0, -2.0, 0.5]))
        if fn == "jvp":
            return F.jvp(_f2(lib), (x, _t(lib, Y)), (_t(lib, [1.0, -2.0, 0.5]), _t(lib, Y * 3)))
        return getattr(F, fn)(_cube, x, _t(lib, [1.0, -2.0, 0.5]))

    _same(*_both(call))


def test_create_graph_results_are_differentiable():
    res = []
    for lib in (ember, torch):
        F = lib.autograd.functional
        x = _t(lib, X, rg=True)
        _, g = F.vjp(lambda a: (a ** 3).sum(), x, create_graph=True)
        assert g.requires_grad
        (gg,) = lib.autograd.grad(g.sum(), x)
        h = F.hessian(_cube, x, create_graph=True)
        (hh,) = lib.autograd.grad(h.sum(), x)
        res.append((gg, hh))
    _same(tuple(res[0]), tuple(res[1]))


def test_results_are_detached_by_default():
    for lib in (ember, torch):
        x = _t(lib, X, rg=True)
        out, g = lib.autograd.functional.vjp(lambda a: (a ** 2).sum(), x)
        assert not out.requires_grad and not g.requires_grad


def _err(call):
    msgs = []
    for lib in (ember, torch):
        with pytest.raises((RuntimeError, TypeError, AssertionError, NotImplementedError)) as e:
            call(lib)
        msgs.append((type(e.value), str(e.value)))
    assert msgs[0] == msgs[1]


def test_errors_match_torch():
    def F(lib):
        return lib.autograd.functional

    _err(lambda lib: F(lib).vjp(lambda a: a * 2, _t(lib, X)))  # v=None with 3 outputs
    _err(lambda lib: F(lib).vjp(lambda a: a * 2, _t(lib, X), _t(lib, [1.0, 2.0])))
    _err(lambda lib: F(lib).vjp(lambda a: a * 2, [1.0]))
    _err(lambda lib: F(lib).vjp(lambda a: a * 2, (_t(lib, X), 3)))
    _err(lambda lib: F(lib).jvp(lambda a: a * 2, _t(lib, X), (_t(lib, X), _t(lib, X))))
    _err(lambda lib: F(lib).hessian(lambda a: a * 2, _t(lib, X)))
    _err(lambda lib: F(lib).hessian(lambda a: (a, a), _t(lib, X)))
    _err(lambda lib: F(lib).vhp(lambda a: a * 2, _t(lib, X), _t(lib, X)))
    _err(lambda lib: F(lib).jacobian(lambda a: a * 2, _t(lib, X), strategy="sideways"))
    _err(lambda lib: F(lib).jacobian(lambda a: a * 2, _t(lib, X), strategy="forward-mode"))
    _err(lambda lib: F(lib).jacobian(lambda a: a * 2, _t(lib, X), strategy="forward-mode",
                                     create_graph=True))
    _err(lambda lib: F(lib).jacobian(lambda a: a * 2, _t(lib, X), strict=True, vectorize=True))
    _err(lambda lib: F(lib).vjp(lambda a: a.detach(), _t(lib, X), _t(lib, X), strict=True))


def test_vectorize_accepted():
    e = ember.autograd.functional.jacobian(lambda a: a.exp(), _t(ember, X), vectorize=True)
    t = torch.autograd.functional.jacobian(lambda a: a.exp(), _t(torch, X), vectorize=True)
    _same(e, t)

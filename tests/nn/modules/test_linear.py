"""Linear, Bilinear, Identity, Flatten, Unflatten and F.linear / F.bilinear against torch."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import ember
import ember.nn as nn
import ember.nn.functional as F

from ._helpers import same


def copy_params(ours, ref):
    ours.load_state_dict({k: ember.tensor(v.numpy()) for k, v in ref.state_dict().items()})


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(2, 4), (2, 5, 4), (4,), (3, 1, 2, 4)])
def test_linear_matches_torch(bias, shape, rng):
    ref, ours = torch.nn.Linear(4, 3, bias=bias), nn.Linear(4, 3, bias=bias)
    copy_params(ours, ref)
    x = rng.standard_normal(shape, dtype=np.float32)
    xo, xr = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, y_ref = ours(xo), ref(xr)
    g = rng.standard_normal(y_ref.shape, dtype=np.float32)
    y.backward(ember.tensor(g))
    y_ref.backward(torch.tensor(g))
    assert repr(ours) == repr(ref)
    assert list(ours.state_dict()) == list(ref.state_dict())
    assert y.shape == y_ref.shape and y.dtype is ember.float32
    np.testing.assert_allclose(y.detach().numpy(), y_ref.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours.weight.grad.numpy(), ref.weight.grad.numpy(), rtol=1e-5, atol=1e-5)  # noqa: E501
    np.testing.assert_allclose(xo.grad.numpy(), xr.grad.numpy(), rtol=1e-5, atol=1e-5)
    if bias:
        np.testing.assert_allclose(ours.bias.grad.numpy(), ref.bias.grad.numpy(), rtol=1e-5, atol=1e-5)  # noqa: E501
    if len(shape) == 2:
        assert y.grad_fn.name() == y_ref.grad_fn.name()


def test_linear_float64_and_dtype_kwarg(rng):
    m = nn.Linear(3, 2, dtype=ember.float64)
    assert m.weight.dtype is ember.float64 and m.bias.dtype is ember.float64
    out = m(ember.tensor(rng.standard_normal((2, 3))))
    assert out.dtype is ember.float64
    assert m.weight.device == ember.device("cpu")


@pytest.mark.parametrize(("n_in", "n_out"), [(3, 2), (100, 50), (1, 1)])
def test_default_init_is_uniform_with_torch_bounds(n_in, n_out):
    m = nn.Linear(n_in, n_out)
    bound = 1 / math.sqrt(n_in)
    w, b = m.weight.detach().numpy(), m.bias.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    if n_in * n_out > 1000:
        assert np.abs(w).max() > 0.95 * bound  # fills the interval
        assert abs(w.mean()) < 0.05 * bound
        assert abs(w.std() - bound / math.sqrt(3)) < 0.05 * bound  # U(-a, a) has std a/sqrt(3)
    assert m.weight.requires_grad and m.weight.is_leaf


def test_zero_in_features_bias_is_zero():
    with pytest.warns(UserWarning, match="zero-element"):
        m = nn.Linear(0, 3)
    with pytest.warns(UserWarning, match="zero-element"):
        ref = torch.nn.Linear(0, 3)
    assert m.weight.shape == ref.weight.shape
    np.testing.assert_array_equal(m.bias.detach().numpy(), np.zeros(3, np.float32))


def test_reset_parameters_reinitialises():
    m = nn.Linear(10, 10)
    before = m.weight.detach().numpy().copy()
    m.reset_parameters()
    assert not np.array_equal(before, m.weight.detach().numpy())


@pytest.mark.parametrize("call", [
    lambda lib: lib.nn.Linear(4, 3)(lib.zeros(2, 5)),
    lambda lib: lib.nn.Linear(4, 3)(lib.zeros(5)),
    lambda lib: lib.nn.Linear(4, 3)(lib.zeros(2, 4, dtype=lib.float64)),
    lambda lib: repr(lib.nn.Linear(4, 3, bias=False)),
    lambda lib: [n for n, _ in lib.nn.Linear(4, 3, bias=False).named_parameters()],
    lambda lib: list(lib.nn.Linear(4, 3, bias=False).state_dict()),
    lambda lib: lib.nn.Linear(4, 3, bias=False).bias,
])  # fmt: skip
def test_linear_errors_and_structure(call):
    same(call)


def test_linear_forward_sees_parametrised_weight():
    # A weight replaced by a plain attribute (as parametrizations do) is still used.
    m = nn.Linear(2, 1, bias=False)
    del m.weight
    m.weight = ember.ones(1, 2)
    np.testing.assert_array_equal(m(ember.ones(1, 2)).numpy(), [[2.0]])


def test_functional_linear(rng):
    x = rng.standard_normal((3, 4), dtype=np.float32)
    w = rng.standard_normal((2, 4), dtype=np.float32)
    b = rng.standard_normal(2, dtype=np.float32)
    ours = F.linear(ember.tensor(x), ember.tensor(w), ember.tensor(b))
    ref = torch.nn.functional.linear(torch.tensor(x), torch.tensor(w), torch.tensor(b))
    np.testing.assert_allclose(ours.numpy(), ref.numpy(), rtol=1e-5, atol=1e-6)
    ours = F.linear(ember.tensor(x), ember.tensor(w))
    np.testing.assert_allclose(ours.numpy(), x @ w.T, rtol=1e-5, atol=1e-6)


# --- Bilinear ----------------------------------------------------------------------------------


@pytest.mark.parametrize("bias", [True, False])
def test_bilinear_matches_torch(bias, rng):
    ref, ours = torch.nn.Bilinear(3, 4, 2, bias=bias), nn.Bilinear(3, 4, 2, bias=bias)
    copy_params(ours, ref)
    a = rng.standard_normal((5, 3), dtype=np.float32)
    b = rng.standard_normal((5, 4), dtype=np.float32)
    ta, tb = ember.tensor(a, requires_grad=True), ember.tensor(b, requires_grad=True)
    ra, rb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    y, y_ref = ours(ta, tb), ref(ra, rb)
    y.sum().backward()
    y_ref.sum().backward()
    assert repr(ours) == repr(ref)
    np.testing.assert_allclose(y.detach().numpy(), y_ref.detach().numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ta.grad.numpy(), ra.grad.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ours.weight.grad.numpy(), ref.weight.grad.numpy(), rtol=1e-4, atol=1e-5)  # noqa: E501
    bound = 1 / math.sqrt(3)
    assert np.abs(nn.Bilinear(3, 4, 2).weight.detach().numpy()).max() <= bound


def test_bilinear_errors():
    same(lambda lib: lib.nn.Bilinear(3, 4, 2)(lib.zeros(5, 3), lib.zeros(4, 4)))
    same(lambda lib: lib.nn.Bilinear(3, 4, 2)(lib.zeros(5, 2), lib.zeros(5, 4)))
    same(lambda lib: lib.nn.Bilinear(3, 4, 2)(lib.zeros(5, 3), lib.zeros(5, 5)))
    same(lambda lib: lib.nn.Bilinear(3, 4, 2)(lib.zeros(5, 3), lib.zeros(1, 5, 4)))


# --- Identity / Flatten / Unflatten ------------------------------------------------------------


def test_identity():
    x = ember.ones(2)
    assert nn.Identity(54, unused=1)(x) is x
    assert repr(nn.Identity()) == repr(torch.nn.Identity())


@pytest.mark.parametrize("args", [(), (0,), (1, 2), (0, -2)])
def test_flatten(args, rng):
    x = rng.standard_normal((2, 3, 4, 5), dtype=np.float32)
    ours, ref = nn.Flatten(*args), torch.nn.Flatten(*args)
    assert repr(ours) == repr(ref)
    np.testing.assert_array_equal(ours(ember.tensor(x)).numpy(), ref(torch.tensor(x)).numpy())


@pytest.mark.parametrize("call", [
    lambda lib: repr(lib.nn.Unflatten(1, (2, 5))),
    lambda lib: repr(lib.nn.Unflatten(1, [2, 5])),
    lambda lib: tuple(lib.nn.Unflatten(1, (2, 5))(lib.zeros(3, 10)).shape),
    lambda lib: tuple(lib.nn.Unflatten(-1, (2, -1))(lib.zeros(3, 10)).shape),
    lambda lib: lib.nn.Unflatten(1, (2, 5.0)),
    lambda lib: lib.nn.Unflatten(1, 5),
])  # fmt: skip
def test_unflatten(call):
    same(call)

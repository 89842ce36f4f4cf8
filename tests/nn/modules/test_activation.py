"""Activation layers against torch: reprs, forward/backward, parameters, errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember
from ember import nn

# constructor calls, written once and evaluated against both libraries
LAYERS = [
    "ReLU()", "ReLU(inplace=True)", "ReLU6()", "ReLU6(inplace=True)", "LeakyReLU()",
    "LeakyReLU(0.2, inplace=True)", "LeakyReLU(negative_slope=0.2)", "ELU()", "ELU(alpha=0.5, inplace=True)",
    "SELU()", "SELU(inplace=True)", "CELU(1.5)", "GELU()", "GELU(approximate='tanh')", "SiLU()",
    "SiLU(inplace=True)", "Mish()", "Softplus()", "Softplus(beta=2, threshold=5)", "Tanh()",
    "Sigmoid()", "Hardtanh()", "Hardtanh(-2.0, 3.0, True)", "Hardswish()", "Hardsigmoid()",
    "LogSigmoid()", "Softmax(dim=1)", "Softmax(-1)", "LogSoftmax(dim=1)", "Softmin(dim=1)",
    "Softmax2d()", "GLU()", "GLU(dim=0)", "Threshold(0.1, 20)", "Threshold(0.1, 20.0, True)",
    "Softsign()", "Tanhshrink()", "Hardshrink()", "Hardshrink(0.3)", "Softshrink(lambd=0.2)",
    "PReLU()", "PReLU(4, init=0.1)",
]  # fmt: skip


@pytest.mark.parametrize("ctor", LAYERS)
def test_layer_matches_torch(ctor, rng):
    ref, ours = eval(f"torch.nn.{ctor}"), eval(f"nn.{ctor}")  # noqa: S307 - our own strings
    assert repr(ours) == repr(ref)
    assert list(ours.state_dict()) == list(ref.state_dict())
    ref.double()
    ours.double()
    x = rng.standard_normal((2, 4, 3, 2))
    xs = [lib.tensor(x, requires_grad=True) for lib in (torch, ember)]
    ys = [m(t * 1.0) for m, t in zip((ref, ours), xs)]
    gy = rng.standard_normal(tuple(ys[0].shape))
    for y, lib in zip(ys, (torch, ember)):
        y.backward(lib.tensor(gy))
    np.testing.assert_allclose(ys[1].detach().numpy(), ys[0].detach().numpy(), rtol=1e-10, atol=1e-12)  # noqa: E501
    np.testing.assert_allclose(xs[1].grad.numpy(), xs[0].grad.numpy(), rtol=1e-10, atol=1e-12)
    for (name, p), (_, q) in zip(ours.named_parameters(), ref.named_parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-10, err_msg=name)


def test_reprs_are_torch_bytes():
    assert repr(nn.ReLU()) == "ReLU()"
    assert repr(nn.ReLU(inplace=True)) == "ReLU(inplace=True)"
    assert repr(nn.GELU()) == "GELU(approximate='none')"
    assert repr(nn.Softmax(dim=1)) == "Softmax(dim=1)"
    assert repr(nn.LeakyReLU(0.2, inplace=True)) == "LeakyReLU(negative_slope=0.2, inplace=True)"


def test_prelu_parameter_and_init():
    m = nn.PReLU(3, init=0.1)
    assert isinstance(m.weight, nn.Parameter) and tuple(m.weight.shape) == (3,)
    np.testing.assert_allclose(m.weight.detach().numpy(), 0.1, rtol=1e-6)
    assert m.weight.dtype == ember.float32
    assert nn.PReLU(dtype=ember.float64).weight.dtype == ember.float64


def test_classes_are_distinct_like_torch():
    assert not isinstance(nn.CELU(), nn.ELU)
    assert not isinstance(nn.Hardswish(), nn.Hardsigmoid)
    assert not isinstance(nn.Softshrink(), nn.Hardshrink)
    assert isinstance(nn.ReLU6(), nn.Hardtanh)  # torch: ReLU6 subclasses Hardtanh
    assert nn.MultiheadAttention.__module__ == "ember.nn.modules.activation"


def test_inplace_layer_modifies_input():
    x = ember.tensor([-1.0, 2.0])
    y = nn.ReLU(inplace=True)(x)
    assert y is x
    np.testing.assert_array_equal(x.numpy(), [0.0, 2.0])


def test_errors_match_torch():
    for lib in (torch, ember):
        with pytest.raises(AssertionError, match=r"max_val \(1\) must be greater than min_val \(2\)"):  # noqa: E501
            lib.nn.Hardtanh(2, 1)
        with pytest.raises(ValueError, match="Softmax2d: expected input to be 3D or 4D, got 2D instead"):  # noqa: E501
            lib.nn.Softmax2d()(lib.zeros(2, 3))


def test_softmax_without_dim_warns():
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        nn.Softmax()(ember.zeros(2, 3))


def test_hardtanh_deprecated_kwargs_warn():
    with pytest.warns(FutureWarning, match="`min_value` is deprecated"):
        m = nn.Hardtanh(min_value=-2.0)
    assert m.min_val == -2.0


def test_rrelu_train_and_eval(rng):
    assert repr(nn.RReLU()) == repr(torch.nn.RReLU())
    assert repr(nn.RReLU(0.1, 0.3, True)) == repr(torch.nn.RReLU(0.1, 0.3, True))
    x = rng.standard_normal((400, 50))
    m, ref = nn.RReLU(0.1, 0.3), torch.nn.RReLU(0.1, 0.3)
    xe = ember.tensor(x, requires_grad=True)
    y = m(xe)
    y.sum().backward()
    slopes = (y.detach().numpy() / x)[x < 0]
    assert slopes.min() >= 0.1 and slopes.max() <= 0.3 and abs(slopes.mean() - 0.2) < 0.005
    np.testing.assert_array_equal(y.detach().numpy()[x >= 0], x[x >= 0])
    np.testing.assert_allclose(xe.grad.numpy()[x < 0], slopes)
    m.eval()
    ref.eval()
    np.testing.assert_allclose(m(ember.tensor(x)).numpy(), ref(torch.tensor(x)).numpy(), rtol=1e-12)

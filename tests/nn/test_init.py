"""nn.init against torch: gains, fans, errors, and the statistics of every initialiser."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch

import ember
from ember.nn import init


@pytest.mark.parametrize(("nl", "param"), [("linear", None), ("conv2d", None), ("sigmoid", None),
                                           ("tanh", None), ("relu", None), ("leaky_relu", None),
                                           ("leaky_relu", 0.2), ("leaky_relu", 3), ("selu", None),
                                           ("conv_transpose3d", None)])  # fmt: skip
def test_calculate_gain(nl, param):
    assert init.calculate_gain(nl, param) == torch.nn.init.calculate_gain(nl, param)


@pytest.mark.parametrize(("args", "msg"), [(("foo",), "Unsupported nonlinearity foo"),
                                           (("leaky_relu", True), "negative_slope True not a valid number")])  # fmt: skip  # noqa: E501
def test_calculate_gain_errors(args, msg):
    for lib in (torch, ember):
        with pytest.raises(ValueError, match=msg):
            lib.nn.init.calculate_gain(*args)


@pytest.mark.parametrize("shape", [(5, 3), (8, 4, 3), (6, 2, 3, 3), (4, 2, 2, 3, 1)])
def test_fans(shape):
    ours = init._calculate_fan_in_and_fan_out(ember.empty(*shape))
    assert ours == torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(*shape))
    assert init._calculate_correct_fan(ember.empty(*shape), "fan_out") == ours[1]
    for lib in (torch, ember):
        with pytest.raises(ValueError, match="Fan in and fan out can not be computed for tensor with fewer than 2 dimensions"):  # noqa: E501
            lib.nn.init._calculate_fan_in_and_fan_out(lib.empty(3))
        with pytest.raises(ValueError, match=r"Mode fan_x not supported, please use one of \['fan_in', 'fan_out'\]"):  # noqa: E501
            lib.nn.init.kaiming_uniform_(lib.empty(3, 3), mode="fan_x")


def _stats(fn, shape=(400, 250, 2), **kw):
    t = ember.empty(*shape)
    out = fn(t, **kw)
    assert out is t
    return t.numpy().astype(np.float64)


def test_uniform_normal_constant():
    v = _stats(init.uniform_, a=-2.0, b=3.0)
    assert v.min() >= -2 and v.max() < 3 and abs(v.mean() - 0.5) < 0.02
    v = _stats(init.normal_, mean=1.0, std=2.0)
    assert abs(v.mean() - 1) < 0.02 and abs(v.std() - 2) < 0.02
    assert (_stats(init.constant_, shape=(3, 4), val=0.3) == np.float32(0.3)).all()
    assert (_stats(init.ones_, shape=(3,)) == 1).all() and (_stats(init.zeros_, shape=(3,)) == 0).all()


def test_trunc_normal_matches_theory():
    v = _stats(init.trunc_normal_, mean=0.5, std=1.0, a=-1.0, b=1.5)
    assert v.min() >= -1.0 and v.max() <= 1.5
    # moments of a standard normal truncated to [alpha, beta]
    alpha, beta = -1.5, 1.0
    phi = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    Phi = lambda z: (1 + math.erf(z / math.sqrt(2))) / 2  # noqa: E731
    Z = Phi(beta) - Phi(alpha)
    mean = 0.5 + (phi(alpha) - phi(beta)) / Z
    var = 1 + (alpha * phi(alpha) - beta * phi(beta)) / Z - ((phi(alpha) - phi(beta)) / Z) ** 2
    assert abs(v.mean() - mean) < 0.01 and abs(v.std() - math.sqrt(var)) < 0.01
    t = torch.nn.init.trunc_normal_(torch.empty(200000), 0.5, 1.0, -1.0, 1.5)
    assert abs(t.mean().item() - v.mean()) < 0.01


def test_trunc_normal_far_mean_warns():
    with pytest.warns(UserWarning, match="mean is more than 2 std from"):
        init.trunc_normal_(ember.empty(3), mean=10.0)


@pytest.mark.parametrize("shape", [(300, 200), (64, 32, 3, 3)])
@pytest.mark.parametrize("gain", [1.0, 2.0])
def test_xavier(shape, gain):
    fan_in, fan_out = init._calculate_fan_in_and_fan_out(ember.empty(*shape))
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    v = _stats(init.xavier_uniform_, shape, gain=gain)
    assert np.abs(v).max() <= math.sqrt(3) * std + 1e-7
    assert abs(v.std() / std - 1) < 0.02
    v = _stats(init.xavier_normal_, shape, gain=gain)
    assert abs(v.std() / std - 1) < 0.02 and abs(v.mean()) < 0.01 * std * 10


@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
@pytest.mark.parametrize(("a", "nl"), [(0, "relu"), (math.sqrt(5), "leaky_relu"), (0, "tanh")])
def test_kaiming(mode, a, nl):
    shape = (128, 64, 3, 3)
    fan = init._calculate_correct_fan(ember.empty(*shape), mode)
    std = init.calculate_gain(nl, a) / math.sqrt(fan)
    v = _stats(init.kaiming_uniform_, shape, a=a, mode=mode, nonlinearity=nl)
    assert np.abs(v).max() <= math.sqrt(3) * std + 1e-7 and abs(v.std() / std - 1) < 0.02
    v = _stats(init.kaiming_normal_, shape, a=a, mode=mode, nonlinearity=nl)
    assert abs(v.std() / std - 1) < 0.02
    t = torch.nn.init.kaiming_uniform_(torch.empty(*shape), a=a, mode=mode, nonlinearity=nl)
    assert abs(t.std().item() / std - 1) < 0.02


def test_kaiming_zero_element_warns():
    for lib in (torch, ember):
        with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
            lib.nn.init.kaiming_uniform_(lib.empty(0, 3))


@pytest.mark.parametrize("shape", [(6, 4), (4, 6), (5, 2, 3)])
def test_orthogonal(shape):
    t = init.orthogonal_(ember.empty(*shape), gain=2.0)
    m = t.numpy().reshape(shape[0], -1).astype(np.float64)
    gram = m @ m.T if shape[0] <= m.shape[1] else m.T @ m
    np.testing.assert_allclose(gram, 4 * np.eye(gram.shape[0]), atol=1e-5)


def test_eye_and_dirac_match_torch():
    np.testing.assert_array_equal(init.eye_(ember.empty(3, 5)).numpy(), torch.nn.init.eye_(torch.empty(3, 5)).numpy())  # noqa: E501
    for shape, groups in [((4, 3, 3), 1), ((6, 2, 3, 3), 2), ((4, 4, 1, 3, 3), 2)]:
        ours = init.dirac_(ember.empty(*shape), groups).numpy()
        np.testing.assert_array_equal(ours, torch.nn.init.dirac_(torch.empty(*shape), groups).numpy())  # noqa: E501
    for lib in (torch, ember):
        with pytest.raises(ValueError, match="Only tensors with 2 dimensions are supported"):
            lib.nn.init.eye_(lib.empty(2, 2, 2))
        with pytest.raises(ValueError, match="Only tensors with 3, 4, or 5 dimensions are supported"):  # noqa: E501
            lib.nn.init.dirac_(lib.empty(2, 2))
        with pytest.raises(ValueError, match="dim 0 must be divisible by groups"):
            lib.nn.init.dirac_(lib.empty(3, 2, 2), groups=2)


def test_sparse():
    t = init.sparse_(ember.empty(100, 40), sparsity=0.3, std=0.5).numpy()
    assert ((t == 0).sum(0) == 30).all()
    assert abs(t[t != 0].std() - 0.5) < 0.05


def test_in_place_under_no_grad_on_parameters():
    p = ember.nn.Parameter(ember.empty(10, 10))
    for fn in (init.uniform_, init.normal_, init.xavier_uniform_, init.kaiming_normal_,
               init.orthogonal_, init.zeros_, init.trunc_normal_):  # fmt: skip
        assert fn(p) is p
        assert p.grad_fn is None and p.requires_grad and p.is_leaf


def test_generator_makes_draws_reproducible():
    g = ember.Generator().manual_seed(7)
    a = init.kaiming_uniform_(ember.empty(5, 5), generator=g).numpy().copy()
    g.manual_seed(7)
    np.testing.assert_array_equal(init.kaiming_uniform_(ember.empty(5, 5), generator=g).numpy(), a)


def test_deprecated_aliases_warn():
    for name in ("uniform", "normal", "xavier_uniform", "kaiming_normal", "orthogonal"):
        with pytest.warns(FutureWarning, match=f"`nn.init.{name}` is now deprecated in favor of `nn.init.{name}_`."):  # noqa: E501
            getattr(init, name)(ember.empty(3, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert (init.constant(ember.empty(2), 3.0).numpy() == 3).all()


def test_dtype_kept():
    t = init.normal_(ember.empty(3, 3, dtype=ember.float64))
    assert t.dtype == ember.float64
    assert init.xavier_uniform_(ember.empty(3, 3, dtype=ember.float16)).dtype == ember.float16

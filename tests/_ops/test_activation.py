"""Fused activation ops against torch: values, gradients, double backward, node names, gradcheck."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember
import ember.nn.functional as F

# (name, kwargs) for F.<name>(x, **kwargs); every pointwise activation and each of its options
CASES = [
    ("gelu", {}), ("gelu", {"approximate": "tanh"}), ("silu", {}), ("mish", {}),
    ("softplus", {}), ("softplus", {"beta": 2.0, "threshold": 3.0}), ("elu", {}),
    ("elu", {"alpha": 0.5}), ("selu", {}), ("celu", {}), ("celu", {"alpha": 1.7}),
    ("leaky_relu", {}), ("leaky_relu", {"negative_slope": 0.2}), ("hardtanh", {}),
    ("hardtanh", {"min_val": -0.5, "max_val": 2.0}), ("relu6", {}), ("hardswish", {}),
    ("hardsigmoid", {}), ("logsigmoid", {}), ("softsign", {}), ("tanhshrink", {}),
    ("threshold", {"threshold": 0.3, "value": -2.0}), ("hardshrink", {}), ("softshrink", {}),
    ("relu", {}), ("sigmoid", {}), ("tanh", {}), ("softmin", {"dim": 1}),
    ("softmax", {"dim": 0}), ("log_softmax", {"dim": -1}), ("glu", {"dim": 1}), ("glu", {}),
]  # fmt: skip
IDS = [f"{n}-{'-'.join(map(str, k.values()))}" for n, k in CASES]


def _run(lib, mod, name, kw, x, gy, create_graph):
    xt = lib.tensor(x, requires_grad=True)
    y = getattr(mod, name)(xt, **kw)
    (g,) = lib.autograd.grad(y, xt, lib.tensor(gy), create_graph=create_graph)
    return xt, y, g


@pytest.mark.parametrize(("name", "kw"), CASES, ids=IDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_matches_torch(name, kw, dtype, rng):
    x = (rng.standard_normal((4, 6)) * 3).astype(dtype)
    x[0, :4] = [-3.0, 3.0, 0.5, -0.5]  # kinks of hardswish/hardshrink etc. sit exactly here
    x += 1e-3  # ... but a subgradient convention at the exact kink is not the point here
    gy = None
    res = []
    for lib, mod in ((torch, torch.nn.functional), (ember, F)):
        xt = lib.tensor(x, requires_grad=True)
        y = getattr(mod, name)(xt, **kw)
        gy = rng.standard_normal(tuple(y.shape)).astype(dtype) if gy is None else gy
        y.backward(lib.tensor(gy))
        res.append((y, xt.grad))
    (yt, gt), (ye, ge) = res
    tol = 1e-5 if dtype == np.float32 else 1e-10
    assert ye.dtype == getattr(ember, np.dtype(dtype).name)
    assert type(ye.grad_fn).__name__ == type(yt.grad_fn).__name__
    np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(ge.numpy(), gt.numpy(), rtol=tol, atol=tol)


@pytest.mark.parametrize(("name", "kw"), [c for c in CASES if c[0] != "hardsigmoid"],
                         ids=[i for i in IDS if not i.startswith("hardsigmoid")])  # torch: no 2nd derivative
def test_double_backward_matches_torch(name, kw, rng):
    x = rng.standard_normal((3, 4)) * 2 + 1e-3
    gy = rng.standard_normal((3, 2) if name == "glu" else (3, 4))
    ggx = rng.standard_normal((3, 4))
    out = []
    for lib, mod in ((torch, torch.nn.functional), (ember, F)):
        gyt = lib.tensor(gy, requires_grad=True)
        xt = lib.tensor(x, requires_grad=True)
        (g,) = lib.autograd.grad(getattr(mod, name)(xt, **kw), xt, gyt, create_graph=True)
        if not g.requires_grad:  # piecewise-linear in torch too: nothing to differentiate
            out.append(None)
            continue
        gx, ggy = lib.autograd.grad(g, [xt, gyt], lib.tensor(ggx), allow_unused=True)
        out.append([None if v is None else v.detach().numpy() for v in (gx, ggy)])
    if out[0] is None or out[1] is None:
        return
    for a, b in zip(out[1], out[0]):
        if a is None or b is None:
            assert a is None or not a.any()
            assert b is None or not b.any()
            continue
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize(("name", "kw"), CASES[:12], ids=IDS[:12])
def test_gradcheck_float64(name, kw, rng):
    x = ember.tensor(rng.standard_normal((2, 2)) * 2, requires_grad=True)
    assert ember.autograd.gradcheck(lambda t: getattr(F, name)(t, **kw), (x,))


def test_prelu_matches_torch(rng):
    x = rng.standard_normal((2, 3, 4))
    w = np.array([0.1, -0.3, 0.7])
    res = []
    for lib, mod in ((torch, torch.nn.functional), (ember, F)):
        xt, wt = lib.tensor(x, requires_grad=True), lib.tensor(w, requires_grad=True)
        y = mod.prelu(xt, wt)
        y.backward(lib.tensor(x * 0.5 + 1))
        res.append([y.detach().numpy(), xt.grad.numpy(), wt.grad.numpy(), type(y.grad_fn).__name__])
    for a, b in zip(res[1][:3], res[0][:3]):
        np.testing.assert_allclose(a, b, rtol=1e-10)
    assert res[1][3] == res[0][3] == "PreluKernelBackward0"


def test_gelu_erf_extremes():
    x = np.array([-40.0, -8.0, -1e-8, 0.0, 1e-8, 8.0, 40.0], dtype=np.float32)
    ref = torch.nn.functional.gelu(torch.tensor(x)).numpy()
    np.testing.assert_allclose(F.gelu(ember.tensor(x)).numpy(), ref, rtol=1e-6, atol=1e-7)


def test_no_overflow_warnings_for_large_inputs():
    x = ember.tensor([-1e4, -100.0, 100.0, 1e4], requires_grad=True)
    for fn in (F.silu, F.mish, F.softplus, F.logsigmoid, F.elu, F.selu, F.gelu):
        y = fn(x)
        y.sum().backward()
        assert np.isfinite(y.detach().numpy()).all() and np.isfinite(x.grad.numpy()).all()
        x.grad = None


@pytest.mark.parametrize(
    ("call", "exc", "msg"),
    [
        (lambda e: e.gelu(e.randn(2), approximate="x"), RuntimeError, "approximate argument must be either none or tanh."),  # noqa: E501
        (lambda e: e.gelu(e.arange(3)), NotImplementedError, "\"GeluKernelImpl\" not implemented for 'Long'"),  # noqa: E501
        (lambda e: e.glu(e.randn(3, 5), 1), RuntimeError, "Halving dimension must be even, but dimension 1 is size 5"),  # noqa: E501
        (lambda e: e.celu(e.randn(3), 0.0), RuntimeError, "ZeroDivisionError: alpha cannot be 0 for CELU"),  # noqa: E501
        (lambda e: e.hardtanh(e.randn(2), 2.0, 1.0), ValueError, "min_val cannot be greater than max_val"),  # noqa: E501
    ],
)
def test_errors_match_torch(call, exc, msg):
    class _NS:
        def __init__(self, lib, mod):
            self.lib, self.mod = lib, mod

        def __getattr__(self, n):
            return getattr(self.mod, n, None) or getattr(self.lib, n)

    for lib, mod in ((torch, torch.nn.functional), (ember, F)):
        with pytest.raises(exc) as info:
            call(_NS(lib, mod))
        assert str(info.value) == msg


def test_prelu_errors_match_torch():
    for lib, mod in ((torch, torch.nn.functional), (ember, F)):
        with pytest.raises(RuntimeError, match="Found parameter numbers = 3 and channel size = 4."):
            mod.prelu(lib.randn(2, 4), lib.ones(3))


@pytest.mark.parametrize("name", ["relu", "elu", "leaky_relu", "silu", "hardtanh", "selu"])
def test_inplace_writes_input_and_keeps_graph(name, rng):
    x = rng.standard_normal((3, 4))
    res = []
    for lib, mod in ((torch, torch.nn.functional), (ember, F)):
        leaf = lib.tensor(x, requires_grad=True)
        h = leaf * 2
        y = getattr(mod, name)(h, inplace=True)
        assert y is h
        y.sum().backward()
        res.append((h.detach().numpy(), leaf.grad.numpy()))
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
            getattr(mod, name)(lib.tensor(x, requires_grad=True), inplace=True)
    for a, b in zip(res[1], res[0]):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_softmin_implicit_dim_warns():
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmin"):
        F.softmin(ember.randn(2, 3))


def test_gumbel_softmax_statistics():
    ember.manual_seed(0)
    logits = ember.tensor([[0.0, 1.0, 2.0]]).expand(4000, 3)
    y = F.gumbel_softmax(logits, tau=0.5, hard=True)
    counts = y.sum(0).numpy() / 4000
    p = np.exp([0.0, 1.0, 2.0]) / np.exp([0.0, 1.0, 2.0]).sum()
    np.testing.assert_allclose(counts, p, atol=0.03)
    assert set(np.unique(y.numpy())) == {0.0, 1.0}
    soft = F.gumbel_softmax(logits, tau=1.0)
    np.testing.assert_allclose(soft.sum(-1).numpy(), 1.0, rtol=1e-5)


@pytest.mark.parametrize("n", [70_000, 1_100_000])  # one piece; nine, on two threads
@pytest.mark.parametrize("spread", [1.0, 20.0])  # 20: pieces with |x| > 13.2 keep exp
def test_gelu_float32_kernel_matches_torch(spread, n, rng):
    x = (rng.standard_normal(n) * spread).astype(np.float32)
    g = rng.standard_normal(x.shape).astype(np.float32)
    res = []
    for lib in (torch, ember):
        xt = lib.tensor(x, requires_grad=True)
        y = lib.nn.functional.gelu(xt)
        y.backward(lib.tensor(g))
        res.append((y.detach().numpy(), xt.grad.numpy()))
    with ember.no_grad():  # the forward without the derivative
        res[1] += (ember.nn.functional.gelu(ember.tensor(x)).numpy(),)
    res[0] += (res[0][0],)
    for e, t in zip(res[1], res[0]):
        np.testing.assert_allclose(e, t, rtol=1e-5, atol=2e-6)

"""Fused and composed losses against torch: values, gradients (input and target), double backward."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import ember
import ember.nn.functional as F

REDUCTIONS = ["mean", "sum", "none"]


def _run(name, arrays, diff, kw, gy_seed=1, create_graph=False):
    """F.<name>(*arrays, **kw) in both libraries; returns [(out, grads)] for torch then ember.

    ``diff`` lists which positional arrays require grad; array-valued kwargs become tensors.
    """
    res = []
    for lib, mod in ((torch, torch.nn.functional), (ember, F)):
        ts = [lib.tensor(a, requires_grad=d) if a.dtype.kind == "f" else lib.tensor(a)
              for a, d in zip(arrays, diff)]  # fmt: skip
        k = {n: lib.tensor(v) if isinstance(v, np.ndarray) else v for n, v in kw.items()}
        y = getattr(mod, name)(*ts, **k)
        gy = np.random.default_rng(gy_seed).standard_normal(tuple(y.shape))
        gy = lib.tensor(gy.astype(arrays[0].dtype))
        ins = [t for t, d in zip(ts, diff) if d]
        grads = lib.autograd.grad(y, ins, gy, create_graph=create_graph)
        res.append((y, grads, ins))
    return res


def _compare(name, arrays, diff, kw, tol=1e-10, node=True):
    (yt, gt, _), (ye, ge, _) = _run(name, arrays, diff, kw)
    if node:
        assert type(ye.grad_fn).__name__ == type(yt.grad_fn).__name__
    assert ye.dtype.name == str(yt.dtype).removeprefix("torch.")
    assert tuple(ye.shape) == tuple(yt.shape)
    np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), rtol=tol, atol=tol)
    for a, b in zip(ge, gt):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=tol, atol=tol)


@pytest.fixture
def data(rng):
    x = rng.standard_normal((6, 5)) * 2
    t = rng.integers(0, 5, 6)
    t[2] = -100
    w = rng.random(5) + 0.5
    return x, t, w


# --- cross-entropy and NLL --------------------------------------------------------------------
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("ls", [0.0, 0.25])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_class_indices(reduction, ls, weighted, data):
    x, t, w = data
    kw = {"reduction": reduction, "label_smoothing": ls, "weight": w if weighted else None}
    _compare("cross_entropy", [x, t], [True, False], kw, node=ls == 0)


@pytest.mark.parametrize("shape", [(2, 5, 3), (2, 5, 3, 4), (2, 5, 2, 2, 3)])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_spatial(shape, reduction, rng):
    x = rng.standard_normal(shape)
    t = rng.integers(0, 5, (shape[0], *shape[2:]))
    t.reshape(-1)[1] = 7  # ignored
    kw = {"reduction": reduction, "ignore_index": 7, "label_smoothing": 0.1, "weight": rng.random(5)}
    _compare("cross_entropy", [x, t], [True, False], kw, node=False)


def test_cross_entropy_node_names(rng):
    x = rng.standard_normal((2, 5, 3, 4))
    _compare("cross_entropy", [x, rng.integers(0, 5, (2, 3, 4))], [True, False], {})
    _compare("cross_entropy", [x[:, :, 0, 0], rng.integers(0, 5, 2)], [True, False], {})


def test_cross_entropy_unbatched(rng):
    _compare("cross_entropy", [rng.standard_normal(5), np.array(3)], [True, False], {})
    _compare("nll_loss", [rng.standard_normal(5), np.array(3)], [True, False], {})


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("ls", [0.0, 0.3])
def test_cross_entropy_probabilities(reduction, ls, data, rng):
    x, _, w = data
    p = rng.random(x.shape)
    p /= p.sum(1, keepdims=True)
    kw = {"reduction": reduction, "label_smoothing": ls, "weight": w}
    _compare("cross_entropy", [x, p], [True, True], kw, node=False)


def test_cross_entropy_float32_and_all_ignored(data):
    x, t, _ = data
    _compare("cross_entropy", [x.astype(np.float32), t], [True, False], {}, tol=2e-6)
    (yt, _, _), (ye, _, _) = _run("cross_entropy", [x, np.full(6, -100)], [True, False], {})
    assert np.isnan(ye.item()) and np.isnan(yt.item())


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("ndim", [2, 4])
def test_nll_loss(reduction, ndim, data, rng):
    x, t, w = data
    if ndim == 4:
        x, t = rng.standard_normal((2, 5, 3, 2)), rng.integers(0, 5, (2, 3, 2))
    _compare("nll_loss", [x, t], [True, False], {"reduction": reduction, "weight": w})


@pytest.mark.parametrize("ls", [0.0, 0.2])
@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_cross_entropy_double_backward(ls, reduction, data):
    x, t, w = data
    kw = {"reduction": reduction, "label_smoothing": ls, "weight": w}
    outs = []
    for (_y, (g,), (xt,)), lib in zip(_run("cross_entropy", [x, t], [True, False], kw, create_graph=True), (torch, ember)):  # noqa: E501
        (gg,) = lib.autograd.grad((g * g).sum(), xt)
        outs.append(gg.numpy())
    np.testing.assert_allclose(outs[1], outs[0], rtol=1e-9, atol=1e-12)


def test_cross_entropy_gradcheck(rng):
    x = ember.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    t = ember.tensor([0, 3, 1])
    w = ember.tensor(rng.random(4) + 0.5)
    assert ember.autograd.gradcheck(lambda a: F.cross_entropy(a, t, weight=w, label_smoothing=0.1), (x,))  # noqa: E501
    assert ember.autograd.gradgradcheck(lambda a: F.cross_entropy(a, t, weight=w), (x,))


@pytest.mark.parametrize(
    ("args", "kw", "exc", "msg"),
    [
        ((np.zeros((4, 5)), np.zeros(3, np.int64)), {}, ValueError, "Expected input batch_size (4) to match target batch_size (3)."),  # noqa: E501
        ((np.zeros((4, 5)), np.array([1, 2, 3, 5])), {}, IndexError, "Target 5 is out of bounds."),  # noqa: E501
        ((np.zeros((4, 5)), np.array([1, 2, 3, -5])), {}, IndexError, "Target -5 is out of bounds."),  # noqa: E501
        ((np.zeros((2, 5, 3, 3)), np.zeros((2, 2, 3), np.int64)), {}, RuntimeError, "size mismatch (got input: [2, 5, 3, 3] , target: [2, 2, 3]"),  # noqa: E501
        ((np.zeros((4, 5)), np.zeros(4, np.float32)), {}, RuntimeError, "expected target dtype to be Long or Byte, but got Float"),  # noqa: E501
        ((np.zeros((4, 5)), np.zeros(4, np.int32)), {}, RuntimeError, "expected target dtype to be Long or Byte, but got Int"),  # noqa: E501
        ((np.zeros((4, 5)), np.zeros(4, np.int64)), {"reduction": "foo"}, ValueError, "foo is not a valid value for reduction"),  # noqa: E501
        ((np.zeros((4, 5)), np.zeros(4, np.int64)), {"weight": np.ones(3)}, RuntimeError, "weight tensor should be defined either for all 5 classes or no classes but got weight tensor of shape: [3]"),  # noqa: E501
        ((np.zeros((4, 5)), np.zeros((4, 3), np.int64)), {}, RuntimeError, "0D or 1D target tensor expected, multi-target not supported"),  # noqa: E501
        ((np.zeros((4, 5)), np.zeros(4, np.int64)), {"label_smoothing": 1.5}, RuntimeError, "label_smoothing must be between 0.0 and 1.0. Got: 1.5"),  # noqa: E501
        ((np.zeros(5), np.zeros(4, np.int64)), {}, ValueError, "For 1D input, 1D target must have size 1, but got target size: 4"),  # noqa: E501
    ],
)
@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss"])
def test_class_target_errors(name, args, kw, exc, msg):
    if name == "nll_loss" and "label_smoothing" in kw:
        return
    for lib, mod in ((torch, torch.nn.functional), (ember, F)):
        k = {n: lib.tensor(v) if isinstance(v, np.ndarray) else v for n, v in kw.items()}
        with pytest.raises(exc) as info:
            getattr(mod, name)(*[lib.tensor(a) for a in args], **k)
        assert str(info.value) == msg


# --- pointwise losses -----------------------------------------------------------------------------
POINTWISE = [
    ("mse_loss", {}), ("l1_loss", {}), ("smooth_l1_loss", {}), ("smooth_l1_loss", {"beta": 0.5}),
    ("smooth_l1_loss", {"beta": 0.0}), ("huber_loss", {}), ("huber_loss", {"delta": 2.5}),
    ("soft_margin_loss", {}), ("binary_cross_entropy_with_logits", {}),
]  # fmt: skip


@pytest.mark.parametrize(("name", "kw"), POINTWISE)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_pointwise_losses(name, kw, reduction, rng):
    x, y = rng.standard_normal((4, 3)) * 2, rng.standard_normal((4, 3)) * 2
    if name in ("soft_margin_loss",):
        y = np.sign(y)
    if name == "binary_cross_entropy_with_logits":
        y = rng.random((4, 3))
    _compare(name, [x, y], [True, name != "soft_margin_loss"], {**kw, "reduction": reduction})


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_weighted_regression_losses(reduction, rng):
    x, y, w = (rng.standard_normal((4, 3)) for _ in range(3))
    for name in ("mse_loss", "l1_loss", "huber_loss"):
        _compare(name, [x, y], [True, True], {"reduction": reduction, "weight": np.abs(w)}, node=False)  # noqa: E501


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy(reduction, rng):
    x = rng.random((4, 3))
    x[0, 0], x[0, 1] = 0.0, 1.0  # log clamped at -100 in torch
    y = rng.random((4, 3))
    _compare("binary_cross_entropy", [x, y], [True, False], {"reduction": reduction, "weight": rng.random(3)}, tol=1e-8)  # noqa: E501
    _compare("binary_cross_entropy", [x[1:], y[1:]], [True, True], {"reduction": reduction})


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_logits_weights(reduction, rng):
    x, y = rng.standard_normal((4, 3)) * 4, rng.random((4, 3))
    kw = {"reduction": reduction, "weight": rng.random((4, 3)), "pos_weight": rng.random(3) * 3}
    _compare("binary_cross_entropy_with_logits", [x, y], [True, True], kw)


def test_bce_with_logits_extreme_logits_stay_finite():
    x = ember.tensor([-1000.0, 1000.0], requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(x, ember.tensor([1.0, 0.0]))
    loss.backward()
    assert loss.item() == pytest.approx(1000.0)
    np.testing.assert_allclose(x.grad.numpy(), [-0.5, 0.5])


def test_mse_broadcast_warns_like_torch(rng):
    x, y = rng.standard_normal((4, 3)), rng.standard_normal((3,))
    for lib, mod in ((torch, torch.nn.functional), (ember, F)):
        with pytest.warns(UserWarning, match=r"Using a target size \(torch.Size\(\[3\]\)\) that is different to the input size \(torch.Size\(\[4, 3\]\)\)"):  # noqa: E501
            mod.mse_loss(lib.tensor(x), lib.tensor(y))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _compare("mse_loss", [x, y], [True, True], {})


@pytest.mark.parametrize("name", ["mse_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy_with_logits"])  # noqa: E501
def test_pointwise_double_backward(name, rng):
    x, y = rng.standard_normal((3, 2)), rng.random((3, 2))
    outs = []
    for (_, (gx, gy), (xt, yt)), lib in zip(_run(name, [x, y], [True, True], {}, create_graph=True), (torch, ember)):  # noqa: E501
        gg = lib.autograd.grad((gx * gx).sum() + (gx * gy).sum(), [xt, yt])
        outs.append([g.numpy() for g in gg])
    for a, b in zip(outs[1], outs[0]):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def test_binary_cross_entropy_errors():
    for lib, mod in ((torch, torch.nn.functional), (ember, F)):
        with pytest.raises(RuntimeError, match="all elements of input should be between 0 and 1"):
            mod.binary_cross_entropy(lib.tensor([1.5]), lib.tensor([1.0]))
        with pytest.raises(ValueError, match="is deprecated. Please ensure they have the same size."):  # noqa: E501
            mod.binary_cross_entropy(lib.tensor([0.5]), lib.tensor([1.0, 0.0]))
        with pytest.raises(ValueError, match=r"Target size \(torch.Size\(\[2\]\)\) must be the same as input size \(torch.Size\(\[1\]\)\)"):  # noqa: E501
            mod.binary_cross_entropy_with_logits(lib.tensor([0.5]), lib.tensor([1.0, 0.0]))


# --- composed losses ------------------------------------------------------------------------------
@pytest.mark.parametrize("reduction", ["batchmean", "sum", "none"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div(reduction, log_target, rng):
    x = np.log(rng.random((4, 3)))
    y = rng.random((4, 3))
    y[0, 0] = 0.0
    if log_target:
        y = np.log(y + 0.1)
    kw = {"reduction": reduction, "log_target": log_target}
    _compare("kl_div", [x, y], [True, log_target], kw)  # torch: d/dtarget is nan at target 0
    _compare("kl_div", [x, np.abs(y) + 0.1], [True, True], kw)


def test_kl_div_mean_warns():
    for lib, mod in ((torch, torch.nn.functional), (ember, F)):
        with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
            mod.kl_div(lib.zeros(2, 3), lib.ones(2, 3) / 3)


def test_legacy_size_average_reduce_warns(rng):
    x, y = rng.standard_normal(3), rng.standard_normal(3)
    outs = []
    for lib, mod in ((torch, torch.nn.functional), (ember, F)):
        with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated, please use reduction='sum' instead."):  # noqa: E501
            outs.append(mod.mse_loss(lib.tensor(x), lib.tensor(y), size_average=False).item())
    assert outs[0] == pytest.approx(outs[1])


COMPOSED = [
    ("cosine_embedding_loss", 3, {"margin": 0.2}), ("margin_ranking_loss", 3, {"margin": 0.1}),
    ("hinge_embedding_loss", 2, {"margin": 0.5}), ("triplet_margin_loss", 3, {"swap": True}),
    ("triplet_margin_loss", 3, {"p": 1.0, "margin": 2.0}), ("poisson_nll_loss", 2, {}),
    ("poisson_nll_loss", 2, {"log_input": False, "full": True}), ("gaussian_nll_loss", 3, {"full": True}),  # noqa: E501
    ("multi_margin_loss", 2, {}), ("multi_margin_loss", 2, {"p": 2, "margin": 0.7, "weight": np.arange(1.0, 6.0)}),  # noqa: E501
    ("multilabel_soft_margin_loss", 2, {"weight": np.arange(1.0, 6.0)}),
]  # fmt: skip


@pytest.mark.parametrize(("name", "nargs", "kw"), COMPOSED)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_composed_losses(name, nargs, kw, reduction, rng):
    a = rng.standard_normal((4, 5))
    if name == "cosine_embedding_loss":
        args, diff = [a, rng.standard_normal((4, 5)), np.array([1.0, -1.0, 1.0, -1.0])], [True, True, False]  # noqa: E501
    elif name == "margin_ranking_loss":
        args, diff = [a, rng.standard_normal((4, 5)), np.sign(rng.standard_normal((4, 5)))], [True, True, False]  # noqa: E501
    elif name == "hinge_embedding_loss":
        args, diff = [a, np.sign(rng.standard_normal((4, 5)))], [True, False]
    elif name == "triplet_margin_loss":
        args, diff = [a, rng.standard_normal((4, 5)), rng.standard_normal((4, 5))], [True, True, True]
    elif name == "poisson_nll_loss":
        args, diff = [np.abs(a) if kw.get("log_input") is False else a, rng.random((4, 5)) * 4], [True, False]  # noqa: E501
    elif name == "gaussian_nll_loss":
        args, diff = [a, rng.standard_normal((4, 5)), rng.random((4, 5)) + 0.1], [True, True, True]
    elif name == "multi_margin_loss":
        args, diff = [a, rng.integers(0, 5, 4)], [True, False]
    else:
        args, diff = [a, (rng.random((4, 5)) > 0.5).astype(np.float64)], [True, False]
    _compare(name, args, diff, {**kw, "reduction": reduction}, node=False)

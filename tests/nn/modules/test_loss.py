"""Loss layers against torch: reprs, buffers in state_dict, reduction arguments, forward/backward."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember
from ember import nn

ALL = ["L1Loss", "NLLLoss", "PoissonNLLLoss", "GaussianNLLLoss", "KLDivLoss", "MSELoss", "BCELoss",
       "BCEWithLogitsLoss", "HingeEmbeddingLoss", "MultiLabelSoftMarginLoss", "CosineEmbeddingLoss",
       "MarginRankingLoss", "MultiMarginLoss", "SmoothL1Loss", "HuberLoss", "SoftMarginLoss",
       "CrossEntropyLoss", "TripletMarginLoss"]  # fmt: skip


@pytest.mark.parametrize("name", ALL)
def test_repr_and_reduction_attr(name):
    ref, ours = getattr(torch.nn, name)(), getattr(nn, name)()
    assert repr(ours) == repr(ref) == f"{name}()"
    assert ours.reduction == ref.reduction == "mean"
    assert list(ours.state_dict()) == list(ref.state_dict())


@pytest.mark.parametrize(("name", "kw"), [("CrossEntropyLoss", {"weight": 1}), ("NLLLoss", {"weight": 1}),
                                          ("BCELoss", {"weight": 1}),
                                          ("BCEWithLogitsLoss", {"weight": 1, "pos_weight": 1}),
                                          ("BCEWithLogitsLoss", {"pos_weight": 1}),
                                          ("MultiMarginLoss", {"weight": 1})])  # fmt: skip
def test_weight_buffers_in_state_dict(name, kw, rng):
    w = rng.random(3)
    ref = getattr(torch.nn, name)(**{k: torch.tensor(w) for k in kw})
    ours = getattr(nn, name)(**{k: ember.tensor(w) for k in kw})
    assert list(ours.state_dict()) == list(ref.state_dict())
    assert list(dict(ours.named_buffers())) == list(dict(ref.named_buffers()))
    assert repr(ours) == repr(ref)


@pytest.mark.parametrize(("size_average", "reduce", "expected"),
                         [(False, None, "sum"), (None, False, "none"), (True, True, "mean")])  # fmt: skip
def test_legacy_arguments(size_average, reduce, expected):
    for lib in (torch, ember):
        with pytest.warns(UserWarning, match=f"please use reduction='{expected}' instead"):
            m = lib.nn.MSELoss(size_average=size_average, reduce=reduce)
        assert m.reduction == expected


def test_cross_entropy_loss_matches_torch(rng):
    x = rng.standard_normal((8, 5)).astype(np.float32)
    t = rng.integers(0, 5, 8)
    w = rng.random(5).astype(np.float32)
    res = []
    for lib in (torch, ember):
        m = lib.nn.CrossEntropyLoss(weight=lib.tensor(w), ignore_index=2, label_smoothing=0.1)
        xt = lib.tensor(x, requires_grad=True)
        loss = m(xt, lib.tensor(t))
        loss.backward()
        res.append((loss.item(), xt.grad.numpy()))
    assert res[1][0] == pytest.approx(res[0][0], rel=1e-6)
    np.testing.assert_allclose(res[1][1], res[0][1], rtol=1e-5, atol=1e-7)


CALLS = [
    ("L1Loss", {}, 2), ("MSELoss", {"reduction": "sum"}, 2), ("SmoothL1Loss", {"beta": 0.5}, 2),
    ("HuberLoss", {"delta": 0.5}, 2), ("SoftMarginLoss", {}, 2), ("KLDivLoss", {"reduction": "batchmean"}, 2),  # noqa: E501
    ("KLDivLoss", {"reduction": "batchmean", "log_target": True}, 2),
    ("BCEWithLogitsLoss", {}, 2), ("PoissonNLLLoss", {"full": True}, 2),
    ("GaussianNLLLoss", {"full": True}, 3), ("HingeEmbeddingLoss", {"margin": 0.5}, 2),
    ("MultiLabelSoftMarginLoss", {}, 2), ("CosineEmbeddingLoss", {"margin": 0.1}, 3),
    ("MarginRankingLoss", {"margin": 0.2}, 3), ("TripletMarginLoss", {"swap": True}, 3),
    ("MultiMarginLoss", {"p": 2}, 2),
]  # fmt: skip


@pytest.mark.parametrize(("name", "kw", "nargs"), CALLS)
def test_loss_modules_match_torch(name, kw, nargs, rng):
    x = rng.standard_normal((4, 3))
    others = {
        "SoftMarginLoss": [np.sign(rng.standard_normal((4, 3)))],
        "BCEWithLogitsLoss": [rng.random((4, 3))],
        "PoissonNLLLoss": [rng.random((4, 3)) * 3],
        "GaussianNLLLoss": [rng.standard_normal((4, 3)), rng.random((4, 3)) + 0.1],
        "HingeEmbeddingLoss": [np.sign(rng.standard_normal((4, 3)))],
        "MultiLabelSoftMarginLoss": [(rng.random((4, 3)) > 0.5) * 1.0],
        "CosineEmbeddingLoss": [rng.standard_normal((4, 3)), np.array([1.0, -1.0, -1.0, 1.0])],
        "MarginRankingLoss": [rng.standard_normal((4, 3)), np.sign(rng.standard_normal((4, 3)))],
        "TripletMarginLoss": [rng.standard_normal((4, 3)), rng.standard_normal((4, 3))],
        "MultiMarginLoss": [rng.integers(0, 3, 4)],
        "KLDivLoss": [rng.random((4, 3)) if not kw.get("log_target") else rng.standard_normal((4, 3))],  # noqa: E501
    }.get(name, [rng.standard_normal((4, 3))])
    res = []
    for lib in (torch, ember):
        m = getattr(lib.nn, name)(**kw)
        xt = lib.tensor(x, requires_grad=True)
        loss = m(xt, *[lib.tensor(o) for o in others][: nargs - 1])
        loss.backward()
        res.append((loss.item(), xt.grad.numpy(), repr(m)))
    assert res[1][0] == pytest.approx(res[0][0], rel=1e-10)
    np.testing.assert_allclose(res[1][1], res[0][1], rtol=1e-9, atol=1e-12)
    assert res[1][2] == res[0][2]


def test_constructor_errors_match_torch():
    for lib in (torch, ember):
        with pytest.raises(ValueError, match="only p == 1 and p == 2 supported"):
            lib.nn.MultiMarginLoss(p=3)
        with pytest.raises(ValueError, match="TripletMarginLoss: expected margin to be greater than 0, got 0 instead"):  # noqa: E501
            lib.nn.TripletMarginLoss(margin=0)


def test_loss_module_in_training_loop(rng):
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Dropout(0.1), nn.Linear(8, 3))
    opt = ember.optim.SGD(model.parameters(), lr=0.5)
    xn = rng.standard_normal((64, 4)).astype(np.float32)
    x, y = ember.tensor(xn), ember.tensor((xn @ rng.standard_normal((4, 3))).argmax(1))
    loss_fn = nn.CrossEntropyLoss()
    first = loss_fn(model(x), y).item()
    for _ in range(60):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
    assert loss.item() < first * 0.5

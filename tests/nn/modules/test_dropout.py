"""Dropout layers: train vs eval, the 1/(1-p) scaling, the zeroed fraction, channel masks, reprs."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember
import ember.nn.functional as F
from ember import nn

CLASSES = ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout"]


@pytest.mark.parametrize("name", CLASSES)
@pytest.mark.parametrize("args", [(), (0.25,), (0.1, True)])
def test_repr_matches_torch(name, args):
    assert repr(getattr(nn, name)(*args)) == repr(getattr(torch.nn, name)(*args))


@pytest.mark.parametrize("name", CLASSES)
def test_invalid_p(name):
    for lib in (torch, ember):
        with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got 1.5"):  # noqa: E501
            getattr(lib.nn, name)(1.5)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_statistics_and_scaling(p):
    x = ember.ones(200, 500, requires_grad=True)
    y = F.dropout(x, p)
    kept = y.detach().numpy() != 0
    assert abs(1 - kept.mean() - p) < 0.01  # 100k draws: 4 sigma is below 0.01
    np.testing.assert_allclose(y.detach().numpy()[kept], 1 / (1 - p), rtol=1e-6)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), kept / (1 - p), rtol=1e-6)
    assert type(y.grad_fn).__name__ == "MulBackward0"


def test_eval_and_p0_return_input_itself():
    x = ember.randn(3, 4)
    m = nn.Dropout(0.5)
    m.eval()
    assert m(x) is x
    assert F.dropout(x, 0.0) is x
    assert F.dropout(x, 0.5, training=False) is x


def test_p1_zeros_everything():
    y = F.dropout(ember.ones(3, 4), 1.0)
    assert not y.numpy().any()


def test_train_mode_changes_between_calls():
    m = nn.Dropout(0.5)
    x = ember.ones(50, 50)
    assert not np.array_equal(m(x).numpy(), m(x).numpy())
    ember.manual_seed(3)
    a = m(x).numpy()
    ember.manual_seed(3)
    np.testing.assert_array_equal(m(x).numpy(), a)


def test_inplace():
    x = ember.ones(100, 100)
    y = F.dropout(x, 0.5, inplace=True)
    assert y is x
    assert set(np.unique(x.numpy())) == {0.0, 2.0}


@pytest.mark.parametrize(("fn", "shape"), [(F.dropout1d, (8, 300, 5)), (F.dropout1d, (300, 5)),
                                           (F.dropout2d, (8, 300, 3, 3)),
                                           (F.dropout3d, (8, 300, 2, 2, 2)),
                                           (F.dropout3d, (300, 2, 2, 2))])  # fmt: skip
def test_channel_dropout_zeros_whole_channels(fn, shape):
    y = fn(ember.ones(*shape), 0.4).numpy()
    lead = 2 if len(shape) in (3, 4) and fn is not F.dropout3d or len(shape) == 5 else 1
    per_channel = y.reshape(shape[:lead] + (-1,))
    assert (per_channel == per_channel[..., :1]).all()  # one draw per channel
    assert abs((per_channel[..., 0] == 0).mean() - 0.4) < 0.05
    np.testing.assert_allclose(per_channel[per_channel != 0], 1 / 0.6, rtol=1e-6)


def test_channel_dropout_shape_errors_and_warnings():
    for lib, mod in ((torch, torch.nn.functional), (ember, F)):
        with pytest.raises(RuntimeError, match="dropout1d: Expected 2D or 3D input, but received a 4D input"):  # noqa: E501
            mod.dropout1d(lib.ones(2, 3, 4, 5))
        with pytest.warns(UserWarning, match="dropout2d: Received a 2-D input to dropout2d"):
            mod.dropout2d(lib.ones(2, 3))
        with pytest.warns(UserWarning, match="dropout2d: Received a 3D input to dropout2d"):
            mod.dropout2d(lib.ones(2, 3, 4))


@pytest.mark.parametrize("fn", [F.alpha_dropout, F.feature_alpha_dropout])
def test_alpha_dropout_keeps_mean_and_variance(fn):
    x = ember.randn(400, 500, 1)
    y = fn(x, 0.3, training=True).numpy()
    assert abs(y.mean()) < 0.02 and abs(y.std() - 1) < 0.02
    assert fn(x, 0.3) is x  # training defaults to False, as in torch
    yt = torch.nn.functional.alpha_dropout(torch.tensor(x.numpy()), 0.3, True).numpy()
    assert abs(y.std() - yt.std()) < 0.02 and abs(y.mean() - yt.mean()) < 0.02
    dropped = -1.7580993408473766 * (1 / np.sqrt((1.7580993408473766**2 * 0.3 + 1) * 0.7))
    a = 1 / np.sqrt((1.7580993408473766**2 * 0.3 + 1) * 0.7)
    b = dropped + 1.7580993408473766 * a * 0.3
    yn = fn(ember.zeros(1000, 10, 1), 0.3, training=True).numpy()
    np.testing.assert_allclose(np.unique(yn), sorted([b, 1.7580993408473766 * a * 0.3]), rtol=1e-5)


def test_module_forward_uses_training_flag():
    m = nn.Sequential(nn.Dropout(0.5))
    x = ember.ones(40, 40)
    assert (m(x).numpy() == 0).any()
    m.eval()
    np.testing.assert_array_equal(m(x).numpy(), 1.0)

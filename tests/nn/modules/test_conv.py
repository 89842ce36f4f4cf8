"""Conv layers against torch: forward/grads with copied weights, repr, state_dict, init, errors."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import torch

import ember
from ember import nn


def _copy(ours, ref):
    ours.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in ref.state_dict().items()})


def _check(cls, args, kw, xshape, rng, call_kw=None):
    ref, ours = getattr(torch.nn, cls)(*args, **kw).double(), getattr(nn, cls)(*args, **kw).double()
    _copy(ours, ref)
    assert repr(ours) == repr(ref)
    assert list(ours.state_dict()) == list(ref.state_dict())
    x = rng.standard_normal(xshape)
    xt, xe = torch.tensor(x, requires_grad=True), ember.tensor(x, requires_grad=True)
    yt, ye = ref(xt, **(call_kw or {})), ours(xe, **(call_kw or {}))
    g = rng.standard_normal(tuple(yt.shape))
    yt.backward(torch.tensor(g))
    ye.backward(ember.tensor(g))
    np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy(), rtol=1e-10, atol=1e-10)
    for (n, p), (_, q) in zip(ours.named_parameters(), ref.named_parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-10, atol=1e-10, err_msg=n)


CONV = [
    ("Conv2d", (1, 20, 5), {}, (4, 1, 12, 12)),
    ("Conv2d", (3, 8, 7), dict(stride=2, padding=3, bias=False), (2, 3, 15, 15)),
    ("Conv2d", (4, 8, 3), dict(padding="same", dilation=2, groups=2), (2, 4, 9, 9)),
    ("Conv2d", (4, 6, (3, 2)), dict(padding="same", padding_mode="reflect"), (2, 4, 7, 9)),
    ("Conv2d", (4, 6, 3), dict(padding=(1, 2), padding_mode="replicate"), (2, 4, 7, 9)),
    ("Conv2d", (4, 6, 3), dict(padding=1, padding_mode="circular", stride=2), (2, 4, 7, 9)),
    ("Conv2d", (3, 4, 3), dict(padding="valid"), (3, 6, 6)),
    ("Conv1d", (4, 6, 3), dict(stride=2, padding=1), (2, 4, 11)),
    ("Conv1d", (4, 6, 4), dict(padding="same", padding_mode="circular"), (2, 4, 11)),
    ("Conv3d", (2, 4, 3), dict(padding=1, stride=(1, 2, 1)), (2, 2, 5, 6, 4)),
    ("ConvTranspose2d", (4, 6, 3), dict(stride=2, padding=1, output_padding=1), (2, 4, 5, 5)),
    ("ConvTranspose2d", (4, 6, 3), dict(stride=2, groups=2, bias=False, dilation=2), (2, 4, 5, 5)),
    ("ConvTranspose1d", (4, 6, 3), dict(stride=3), (2, 4, 5)),
    ("ConvTranspose3d", (2, 3, 2), dict(stride=2), (1, 2, 3, 3, 2)),
]


@pytest.mark.parametrize(("cls", "args", "kw", "xshape"), CONV)
def test_conv_layer_matches_torch(cls, args, kw, xshape, rng):
    _check(cls, args, kw, xshape, rng)


def test_conv_transpose_output_size(rng):
    _check("ConvTranspose2d", (4, 6, 3), dict(stride=2, padding=1), (2, 4, 5, 5), rng,
           call_kw=dict(output_size=(10, 10)))
    m = nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1)
    with pytest.raises(ValueError, match="requested an output size of"):
        m(ember.zeros(1, 4, 5, 5), output_size=(20, 20))


@pytest.mark.parametrize(("cls", "args"), [("Conv2d", (16, 32, 3)), ("Conv1d", (6, 8, 5)),
                                           ("ConvTranspose2d", (16, 8, 3))])
def test_conv_default_init_statistics(cls, args):
    ours, ref = getattr(nn, cls)(*args), getattr(torch.nn, cls)(*args)
    fan_in = ours.weight.shape[1] * math.prod(ours.weight.shape[2:])
    bound = 1 / math.sqrt(fan_in)
    for name in ("weight", "bias"):
        w = getattr(ours, name).detach().numpy()
        r = getattr(ref, name).detach().numpy()
        assert w.dtype == np.float32
        assert np.abs(w).max() <= bound
        # U(-b, b): std b / sqrt(3); compare with torch's draw, both against the exact value
        if w.size > 500:
            assert abs(w.std() - bound / math.sqrt(3)) < 0.05 * bound
            assert abs(w.std() - r.std()) < 0.06 * bound
            assert abs(w.mean()) < 0.05 * bound
    assert not np.array_equal(ours.weight.detach().numpy(), nn.Conv2d(*args).weight.detach().numpy()) if cls == "Conv2d" else True  # noqa: E501


CTOR_ERRORS = [
    (("Conv2d", (4, 6, 3), dict(groups=0)), ValueError),
    (("Conv2d", (4, 6, 3), dict(groups=3)), ValueError),
    (("Conv2d", (4, 6, 3), dict(groups=4)), ValueError),
    (("Conv2d", (4, 6, 3), dict(padding="full")), ValueError),
    (("Conv2d", (4, 6, 3), dict(padding="same", stride=2)), ValueError),
    (("Conv2d", (4, 6, 3), dict(padding_mode="mirror")), ValueError),
    (("ConvTranspose2d", (4, 6, 3), dict(padding_mode="reflect")), ValueError),
]


@pytest.mark.parametrize(("spec", "exc"), CTOR_ERRORS)
def test_conv_constructor_errors(spec, exc):
    cls, args, kw = spec
    msgs = []
    for lib in (torch, ember):
        with pytest.raises(exc) as ei:
            getattr(lib.nn, cls)(*args, **kw)
        msgs.append(_sorted_sets(str(ei.value)))
    assert msgs[0] == msgs[1]


def _sorted_sets(msg):
    """torch prints Python sets, whose order varies between processes: sort their items."""
    return re.sub(r"\{([^}]*)\}", lambda m: str(sorted(m.group(1).split(", "))), msg)


def test_conv_wrong_channels_message():
    m = nn.Conv2d(1, 20, 5)
    with pytest.raises(RuntimeError) as ei:
        m(ember.zeros(64, 3, 28, 28))
    assert str(ei.value) == ("Given groups=1, weight of size [20, 1, 5, 5], expected "
                             "input[64, 3, 28, 28] to have 1 channels, but got 3 channels instead")


def test_conv_float32_seed_model_shapes(rng):
    ref = torch.nn.Sequential(torch.nn.Conv2d(1, 20, 5), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                              torch.nn.Conv2d(20, 20, 5))
    ours = nn.Sequential(nn.Conv2d(1, 20, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(20, 20, 5))
    _copy(ours, ref)
    x = rng.standard_normal((8, 1, 28, 28), dtype=np.float32)
    yt, ye = ref(torch.tensor(x)), ours(ember.tensor(x))
    yt.sum().backward()
    ye.sum().backward()
    assert ye.dtype == ember.float32
    np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(ours[0].weight.grad.numpy(), ref[0].weight.grad.numpy(), rtol=1e-3,
                               atol=1e-3)

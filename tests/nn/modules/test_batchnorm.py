"""BatchNorm layers against torch: train/eval, running stats, momentum=None, state_dict, repr."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest
import torch

import ember
from ember import nn


def _pair(cls, *args, **kw):
    ref, ours = getattr(torch.nn, cls)(*args, **kw).double(), getattr(nn, cls)(*args, **kw).double()
    return ref, ours


@pytest.mark.parametrize(("cls", "shape"), [("BatchNorm1d", (8, 4)), ("BatchNorm1d", (8, 4, 3)),
                                            ("BatchNorm2d", (6, 4, 3, 3)),
                                            ("BatchNorm3d", (3, 4, 2, 3, 2))])
@pytest.mark.parametrize("kw", [{}, dict(momentum=None), dict(affine=False),
                                dict(track_running_stats=False), dict(bias=False, momentum=0.3)])
def test_batchnorm_train_then_eval(cls, shape, kw, rng):
    ref, ours = _pair(cls, 4, **kw)
    assert repr(ours) == repr(ref)
    assert list(ours.state_dict()) == list(ref.state_dict())
    if kw.get("affine", True):
        with torch.no_grad():
            ref.weight.copy_(torch.tensor(rng.standard_normal(4)))
        ours.weight.data = ember.tensor(ref.weight.detach().numpy())
    for step in range(4):
        if step == 3:
            ref.eval()
            ours.eval()
        x = rng.standard_normal(shape) * 2 + step
        xt, xe = torch.tensor(x, requires_grad=True), ember.tensor(x, requires_grad=True)
        yt, ye = ref(xt), ours(xe)
        g = rng.standard_normal(shape)
        yt.backward(torch.tensor(g))
        ye.backward(ember.tensor(g))
        assert type(ye.grad_fn).__name__ == type(yt.grad_fn).__name__ == "NativeBatchNormBackward0"
        np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), rtol=1e-9, atol=1e-10)
        np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy(), rtol=1e-8, atol=1e-10)
        for (_, p), (_, q) in zip(ours.named_parameters(), ref.named_parameters()):
            np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-9, atol=1e-10)
        for (k, a), (_, b) in zip(ours.state_dict().items(), ref.state_dict().items()):
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-10, err_msg=k)
            assert str(a.dtype) == str(b.dtype)


def test_batchnorm_defaults_and_buffers():
    m, r = nn.BatchNorm2d(64), torch.nn.BatchNorm2d(64)
    assert repr(m) == repr(r) == ("BatchNorm2d(64, eps=1e-05, momentum=0.1, affine=True, "
                                  "bias=True, track_running_stats=True)")
    assert m._version == 2
    sd = m.state_dict()
    assert sd["num_batches_tracked"].dtype == ember.int64
    assert sd["num_batches_tracked"].shape == ()
    np.testing.assert_array_equal(sd["weight"].numpy(), np.ones(64, np.float32))
    np.testing.assert_array_equal(sd["bias"].numpy(), np.zeros(64, np.float32))
    np.testing.assert_array_equal(sd["running_var"].numpy(), np.ones(64, np.float32))
    assert [n for n, _ in m.named_buffers()] == [n for n, _ in r.named_buffers()]
    m.train()
    m(ember.randn(4, 64, 2, 2))
    assert int(m.num_batches_tracked) == 1
    m.reset_running_stats()
    assert int(m.num_batches_tracked) == 0


def test_batchnorm_old_checkpoint_gets_num_batches_tracked():
    m = nn.BatchNorm1d(3)
    sd = OrderedDict((k, v) for k, v in m.state_dict().items() if k != "num_batches_tracked")
    sd._metadata = OrderedDict({"": {"version": 1}})
    m.num_batches_tracked.fill_(5)
    res = m.load_state_dict(sd)
    assert list(res.missing_keys) == []
    assert int(m.num_batches_tracked) == 5  # kept: the old checkpoint had none to load
    sd2 = OrderedDict((k, v) for k, v in m.state_dict().items() if k != "num_batches_tracked")
    sd2._metadata = OrderedDict({"": {"version": 2}})
    with pytest.raises(RuntimeError, match="num_batches_tracked"):
        m.load_state_dict(sd2)


def test_batchnorm_errors():
    for cls, shape in (("BatchNorm1d", (2, 3, 4, 5)), ("BatchNorm2d", (2, 3, 4)),
                       ("BatchNorm3d", (2, 3))):
        msgs = []
        for lib in (torch, ember):
            with pytest.raises(ValueError) as ei:
                getattr(lib.nn, cls)(3)(lib.zeros(shape))
            msgs.append(str(ei.value))
        assert msgs[0] == msgs[1]
    msgs = []
    for lib in (torch, ember):
        with pytest.raises(ValueError) as ei:
            lib.nn.BatchNorm1d(3)(lib.zeros(1, 3))
        msgs.append(str(ei.value))
    assert msgs[0] == msgs[1]


def test_batchnorm_float32_running_var_unbiased(rng):
    ref, ours = torch.nn.BatchNorm1d(5), nn.BatchNorm1d(5)
    for _ in range(5):
        x = rng.standard_normal((7, 5), dtype=np.float32) * 3
        ref(torch.tensor(x))
        ours(ember.tensor(x))
    np.testing.assert_allclose(ours.running_var.numpy(), ref.running_var.numpy(), rtol=1e-5)
    np.testing.assert_allclose(ours.running_mean.numpy(), ref.running_mean.numpy(), rtol=1e-5,
                               atol=1e-6)
    assert ours.running_var.dtype == ember.float32

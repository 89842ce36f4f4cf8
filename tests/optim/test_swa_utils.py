"""``optim.swa_utils`` (AveragedModel, SWALR, update_bn, the avg functions) against torch."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch
import torch.optim.swa_utils

import ember
import ember.optim.swa_utils

LIBS = (torch, ember)


def _swa(lib):
    return lib.optim.swa_utils


def _net(lib):
    net = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.BatchNorm1d(4), lib.nn.Linear(4, 2))
    with lib.no_grad():
        for i, p in enumerate(net.parameters()):
            n = p.numel()
            p.copy_(lib.tensor(np.linspace(-1, 1, n, dtype=np.float32).reshape(tuple(p.shape))
                               * (i + 1)))  # fmt: skip
    return net


def _perturb_and_run(lib, net, k):
    with lib.no_grad():
        for p in net.parameters():
            p.mul_(1.1).add_(0.05 * (k + 1))
    net(lib.tensor(np.linspace(-2, 2, 15, dtype=np.float32).reshape(5, 3) * (k + 1)))


def _np(t):
    return t.detach().numpy()


def _avg_models(lib, kind):
    s = _swa(lib)
    return {
        "swa": lambda m: s.AveragedModel(m),
        "swa_multi": lambda m: s.AveragedModel(m, multi_avg_fn=s.get_swa_multi_avg_fn()),
        "ema": lambda m: s.AveragedModel(m, avg_fn=s.get_ema_avg_fn(0.8)),
        "ema_multi_buffers": lambda m: s.AveragedModel(
            m, multi_avg_fn=s.get_ema_multi_avg_fn(0.8), use_buffers=True),
        "swa_buffers": lambda m: s.AveragedModel(m, use_buffers=True),
    }[kind]


@pytest.mark.parametrize("kind", ["swa", "swa_multi", "ema", "ema_multi_buffers", "swa_buffers"])
def test_averaged_model_matches_torch(kind):
    res = []
    for lib in LIBS:
        net = _net(lib)
        avg = _avg_models(lib, kind)(net)
        for k in range(4):
            _perturb_and_run(lib, net, k)
            avg.update_parameters(net)
        sd = avg.state_dict()
        res.append((list(sd), repr(avg), {k: _np(v) for k, v in sd.items()},
                    _np(avg(lib.tensor(np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3))))))  # fmt: skip
    assert res[0][0] == res[1][0]
    assert res[1][0][:2] == ["n_averaged", "module.0.weight"]
    assert res[0][1] == res[1][1]
    for k in res[0][2]:
        np.testing.assert_allclose(res[1][2][k], res[0][2][k], rtol=1e-5, atol=1e-6, err_msg=k)
        assert res[1][2][k].dtype == res[0][2][k].dtype
    np.testing.assert_allclose(res[1][3], res[0][3], rtol=1e-5, atol=1e-6)


def test_averaged_model_is_a_copy_and_errors():
    net = _net(ember)
    avg = _swa(ember).AveragedModel(net)
    assert avg.module is not net and avg.n_averaged.item() == 0
    assert avg.n_averaged.dtype == ember.int64
    with pytest.raises(AssertionError, match="Only one of avg_fn and multi_avg_fn"):
        _swa(ember).AveragedModel(net, avg_fn=lambda *a: a[0], multi_avg_fn=lambda *a: None)
    for lib in LIBS:
        for fn in (_swa(lib).get_ema_avg_fn, _swa(lib).get_ema_multi_avg_fn):
            with pytest.raises(ValueError, match=r"Invalid decay value 1.5 provided"):
                fn(1.5)


def test_avg_functions_directly():
    for lib in LIBS:
        a, b = lib.tensor([1.0, 2.0]), lib.tensor([3.0, 6.0])
        assert _swa(lib).get_swa_avg_fn()(a, b, 1).tolist() == [2.0, 4.0]
        assert _swa(lib).get_ema_avg_fn(0.5)(a, b, 7).tolist() == [2.0, 4.0]
        ints = [lib.tensor([4, 8])]
        floats = [lib.tensor([4.0, 8.0])]
        _swa(lib).get_swa_multi_avg_fn()(floats, [lib.tensor([8.0, 16.0])], lib.tensor(3))
        assert floats[0].tolist() == [5.0, 10.0]
        with pytest.raises(RuntimeError):  # torch refuses the integer addcdiv
            _swa(lib).get_swa_multi_avg_fn()(ints, [lib.tensor([8, 16])], lib.tensor(1))


def _opt(lib, lrs=(0.5, 0.2)):
    p1, p2 = lib.nn.Parameter(lib.ones(2)), lib.nn.Parameter(lib.ones(3))
    return lib.optim.SGD([{"params": [p1], "lr": lrs[0]}, {"params": [p2], "lr": lrs[1]}])


@pytest.mark.parametrize("strategy", ["cos", "linear"])
@pytest.mark.parametrize("anneal_epochs", [0, 1, 4])
def test_swalr_matches_torch(strategy, anneal_epochs):
    res = []
    for lib in LIBS:
        opt = _opt(lib)
        sched = _swa(lib).SWALR(opt, swa_lr=[0.05, 0.01], anneal_epochs=anneal_epochs,
                                anneal_strategy=strategy)  # fmt: skip
        lrs = [sched.get_last_lr()]
        for _ in range(7):
            opt.step()
            sched.step()
            lrs.append(sched.get_last_lr())
        sd = sched.state_dict()
        res.append((lrs, sorted(sd), {k: v for k, v in sd.items() if k != "base_lrs"},
                    [g["swa_lr"] for g in opt.param_groups]))  # fmt: skip
    np.testing.assert_allclose(np.array(res[1][0]), np.array(res[0][0]), rtol=1e-12)
    assert res[0][1] == res[1][1] and "anneal_func" not in res[1][1]
    assert res[0][3] == res[1][3]
    for k, v in res[0][2].items():
        assert res[1][2][k] == pytest.approx(v), k


def test_swalr_load_state_dict_and_errors():
    opt = _opt(ember)
    s1 = _swa(ember).SWALR(opt, swa_lr=0.05, anneal_strategy="linear")
    s2 = _swa(ember).SWALR(_opt(ember), swa_lr=0.05, anneal_strategy="cos")
    s2.load_state_dict(s1.state_dict())
    assert s2.anneal_func(0.5) == 0.5 and s2._anneal_strategy == "linear"
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        s1.get_lr()
    assert "get_last_lr()" in str(w[0].message)
    errs = []
    for lib in LIBS:
        for call in (lambda: _swa(lib).SWALR(_opt(lib), 0.1, anneal_strategy="exp"),
                     lambda: _swa(lib).SWALR(_opt(lib), 0.1, anneal_epochs=-1),
                     lambda: _swa(lib).SWALR(_opt(lib), 0.1, anneal_epochs=1.5),
                     lambda: _swa(lib).SWALR(_opt(lib), [0.1, 0.2, 0.3])):  # fmt: skip
            with pytest.raises(ValueError) as ei:
                call()
            errs.append(str(ei.value))
    assert errs[:4] == errs[4:]


def test_update_bn_matches_torch():
    res = []
    for lib in LIBS:
        net = _net(lib)
        net.eval()
        bn = net[1]
        bn.momentum = 0.3
        data = [lib.tensor(np.linspace(-1, 1, 12, dtype=np.float32).reshape(4, 3) * (k + 1))
                for k in range(3)]  # fmt: skip
        loader = [(x, lib.zeros(4)) for x in data]  # (input, target) batches
        _swa(lib).update_bn(loader, net)
        assert not net.training and bn.momentum == 0.3
        res.append((_np(bn.running_mean), _np(bn.running_var), bn.num_batches_tracked.item()))
        _swa(lib).update_bn(data, lib.nn.Linear(2, 2))  # no BatchNorm: nothing happens
    np.testing.assert_allclose(res[1][0], res[0][0], rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(res[1][1], res[0][1], rtol=1e-5)
    assert res[0][2] == res[1][2] == 3
    assert math.isfinite(float(res[1][1].sum()))

"""Learning-rate schedulers against torch: the lr (and momentum) every epoch, state dicts, warnings."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch

import ember
from ember.optim import lr_scheduler as ours_sched

ref_sched = torch.optim.lr_scheduler


def _lambda(epoch):
    return 0.9**epoch


# name -> (scheduler kwargs, optimizer name, optimizer kwargs)
CASES = [
    ("LambdaLR", dict(lr_lambda=_lambda), "SGD", {}),
    ("MultiplicativeLR", dict(lr_lambda=lambda e: 0.95), "SGD", {}),
    ("StepLR", dict(step_size=3, gamma=0.5), "SGD", {}),
    ("MultiStepLR", dict(milestones=[2, 5, 5, 11], gamma=0.5), "SGD", {}),
    ("ConstantLR", dict(factor=0.5, total_iters=4), "SGD", {}),
    ("LinearLR", dict(start_factor=0.25, end_factor=0.9, total_iters=7), "SGD", {}),
    ("ExponentialLR", dict(gamma=0.9), "SGD", {}),
    ("PolynomialLR", dict(total_iters=8, power=2.0), "SGD", {}),
    ("CosineAnnealingLR", dict(T_max=6, eta_min=0.001), "SGD", {}),
    ("CosineAnnealingWarmRestarts", dict(T_0=4, T_mult=2, eta_min=0.001), "SGD", {}),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=4), "SGD", dict(momentum=0.9)),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=3, step_size_down=5, mode="triangular2"), "SGD", dict(momentum=0.9)),  # noqa: E501
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=3, mode="exp_range", gamma=0.9), "Adam", {}),  # noqa: E501
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=3, cycle_momentum=False), "Adam", {}),
    ("OneCycleLR", dict(max_lr=0.1, total_steps=30), "SGD", dict(momentum=0.9)),
    ("OneCycleLR", dict(max_lr=[0.1, 0.2], epochs=5, steps_per_epoch=6, anneal_strategy="linear", three_phase=True), "Adam", {}),  # noqa: E501
]
IDS = [f"{c[0]}-{i}" for i, c in enumerate(CASES)]
EPOCHS = 25


def _pair(opt_name, opt_kw, n_groups=2):
    """The same two-group optimizer in ember and torch."""
    ow = [ember.zeros(2, requires_grad=True) for _ in range(n_groups)]
    tw = [torch.zeros(2, requires_grad=True) for _ in range(n_groups)]
    lrs = [0.1, 0.05, 0.02][:n_groups]
    ours = getattr(ember.optim, opt_name)([{"params": [w], "lr": lr} for w, lr in zip(ow, lrs)], **opt_kw)  # noqa: E501
    ref = getattr(torch.optim, opt_name)([{"params": [w], "lr": lr} for w, lr in zip(tw, lrs)], **opt_kw)  # noqa: E501
    return ours, ref


def _fix_kw(name, kw, n_groups):
    if name == "OneCycleLR" and isinstance(kw.get("max_lr"), list):
        kw = {**kw, "max_lr": kw["max_lr"][:n_groups]}
    return kw


def assert_same_groups(ours, ref):
    for g, tg in zip(ours.param_groups, ref.param_groups):
        assert list(g) == list(tg)
        for k in tg:
            if k != "params":
                assert_same_state(g[k], tg[k], k)


def assert_same_state(ours, ref, path="sd"):
    if isinstance(ref, dict):
        assert type(ours) is type(ref), path
        assert list(ours) == list(ref), path
        for k in ref:
            assert_same_state(ours[k], ref[k], f"{path}[{k!r}]")
    elif isinstance(ref, list | tuple):
        assert type(ours) is type(ref) and len(ours) == len(ref), path
        for i, (a, b) in enumerate(zip(ours, ref)):
            assert_same_state(a, b, f"{path}[{i}]")
    elif isinstance(ref, float):
        assert type(ours) is float, path
        assert ours == pytest.approx(ref, rel=1e-12) or (math.isinf(ref) and ours == ref), path
    else:
        assert type(ours) is type(ref) and ours == ref, path


@pytest.mark.parametrize(("name", "kw", "opt_name", "opt_kw"), CASES, ids=IDS)
def test_schedule_matches_torch(name, kw, opt_name, opt_kw):
    ours_opt, ref_opt = _pair(opt_name, opt_kw)
    ours = getattr(ours_sched, name)(ours_opt, **kw)
    ref = getattr(ref_sched, name)(ref_opt, **kw)
    assert_same_groups(ours_opt, ref_opt)
    for epoch in range(EPOCHS if name != "OneCycleLR" else 29):
        ours_opt.step()
        ref_opt.step()
        ours.step()
        ref.step()
        assert ours.get_last_lr() == pytest.approx(ref.get_last_lr(), rel=1e-12), epoch
        assert_same_groups(ours_opt, ref_opt)
    assert_same_state(ours.state_dict(), ref.state_dict())
    assert_same_state(ours_opt.state_dict()["param_groups"], ref_opt.state_dict()["param_groups"])


@pytest.mark.parametrize(("name", "kw", "opt_name", "opt_kw"), CASES, ids=IDS)
def test_torch_state_dict_loads_and_continues(name, kw, opt_name, opt_kw):
    ours_opt, ref_opt = _pair(opt_name, opt_kw)
    ref = getattr(ref_sched, name)(ref_opt, **kw)
    for _ in range(7):
        ref_opt.step()
        ref.step()
    ours = getattr(ours_sched, name)(ours_opt, **kw)
    ours_opt.load_state_dict(ref_opt.state_dict())
    ours.load_state_dict(ref.state_dict())
    for epoch in range(10):
        ours_opt.step()
        ref_opt.step()
        ours.step()
        ref.step()
        assert ours.get_last_lr() == pytest.approx(ref.get_last_lr(), rel=1e-12), epoch
    assert_same_state(ours.state_dict(), ref.state_dict())
    # the reverse: ember's state dicts load into a fresh torch optimizer and scheduler
    _, ref2_opt = _pair(opt_name, opt_kw)
    ref2 = getattr(ref_sched, name)(ref2_opt, **kw)
    ref2_opt.load_state_dict(ref_opt.state_dict())
    ref2.load_state_dict(ours.state_dict())
    for epoch in range(5):
        ours_opt.step()
        ref2_opt.step()
        ours.step()
        ref2.step()
        assert ours.get_last_lr() == pytest.approx(ref2.get_last_lr(), rel=1e-12), epoch


def test_sequential_and_chained_match_torch():
    for build in (
        lambda m, o: m.SequentialLR(o, [m.LinearLR(o, start_factor=0.1, total_iters=4),
                                       m.CosineAnnealingLR(o, T_max=10)], milestones=[4]),
        lambda m, o: m.SequentialLR(o, [m.ConstantLR(o, factor=0.5, total_iters=2),
                                       m.ExponentialLR(o, gamma=0.9),
                                       m.StepLR(o, step_size=2)], milestones=[3, 8]),
        lambda m, o: m.ChainedScheduler([m.ConstantLR(o, factor=0.5, total_iters=4),
                                         m.ExponentialLR(o, gamma=0.9)]),
    ):  # fmt: skip
        ours_opt, ref_opt = _pair("SGD", {})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # torch warns here too (see below)
            ours, ref = build(ours_sched, ours_opt), build(ref_sched, ref_opt)
        for epoch in range(EPOCHS):
            ours_opt.step()
            ref_opt.step()
            ours.step()
            ref.step()
            assert ours.get_last_lr() == pytest.approx(ref.get_last_lr(), rel=1e-12), epoch
            assert_same_groups(ours_opt, ref_opt)
        assert_same_state(ours.state_dict(), ref.state_dict())


@pytest.mark.parametrize("mode", [("min", "rel"), ("max", "abs")])
def test_reduce_lr_on_plateau_matches_torch(mode):
    ours_opt, ref_opt = _pair("SGD", dict(momentum=0.9))
    kw = dict(mode=mode[0], threshold_mode=mode[1], factor=0.5, patience=2, cooldown=1, min_lr=[0.01, 0.001])  # noqa: E501
    ours = ours_sched.ReduceLROnPlateau(ours_opt, **kw)
    ref = ref_sched.ReduceLROnPlateau(ref_opt, **kw)
    metrics = [1.0, 0.9, 0.95, 0.95, 0.97, 0.8, 0.8, 0.81, 0.82, 0.83, 0.7, 0.9, 0.9, 0.9, 0.9,
               0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9]  # fmt: skip
    for i, m in enumerate(metrics):
        ours.step(ember.tensor(m) if i % 2 else m)
        ref.step(m)
        assert ours.get_last_lr() == pytest.approx(ref.get_last_lr(), rel=1e-12), i
    assert_same_state(ours.state_dict(), ref.state_dict())
    ours2 = ours_sched.ReduceLROnPlateau(ours_opt)
    ours2.load_state_dict(ref.state_dict())
    assert_same_state(ours2.state_dict(), ref.state_dict())


def _caught(fn):
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        fn()
    return [(w.category, str(w.message)) for w in rec]


def test_warnings_match_torch():
    ours_opt, ref_opt = _pair("SGD", {})
    ours, ref = ours_sched.StepLR(ours_opt, 2), ref_sched.StepLR(ref_opt, 2)
    # scheduler.step() before optimizer.step()
    got, want = _caught(ours.step), _caught(ref.step)
    assert got == want and len(want) == 1 and want[0][0] is UserWarning
    # get_lr() outside step(), and the deprecated epoch argument
    assert _caught(ours.get_lr) == _caught(ref.get_lr) != []
    assert _caught(lambda: ours.step(5)) == _caught(lambda: ref.step(5)) != []
    assert ours.get_last_lr() == pytest.approx(ref.get_last_lr())
    # no warning in the right order
    ours_opt, ref_opt = _pair("SGD", {})
    ours, ref = ours_sched.StepLR(ours_opt, 2), ref_sched.StepLR(ref_opt, 2)
    ours_opt.step()
    assert _caught(ours.step) == []


def test_state_dict_layout():
    ours_opt, ref_opt = _pair("SGD", {})
    ours, ref = ours_sched.StepLR(ours_opt, 3), ref_sched.StepLR(ref_opt, 3)
    assert list(ours.state_dict()) == list(ref.state_dict()) == [
        "step_size", "gamma", "base_lrs", "last_epoch", "_step_count", "_is_initial",
        "_get_lr_called_within_step", "_last_lr"]  # fmt: skip
    assert all("initial_lr" in g for g in ours_opt.param_groups)
    lam = ours_sched.LambdaLR(ours_opt, _lambda)
    assert lam.state_dict()["lr_lambdas"] == [None, None]
    assert issubclass(ours_sched._LRScheduler, ours_sched.LRScheduler)
    assert not isinstance(ours_sched.MultiplicativeLR(ours_opt, _lambda), ours_sched.LambdaLR)


def _errors(lib):
    sched = lib.optim.lr_scheduler
    o = lib.optim.SGD([lib.zeros(1, requires_grad=True)], lr=0.1)
    calls = [
        lambda: sched.StepLR("not an optimizer", 2),
        lambda: sched.StepLR(lib.optim.SGD([lib.zeros(1, requires_grad=True)]), 2, last_epoch=3),
        lambda: sched.LambdaLR(o, [_lambda, _lambda]),
        lambda: sched.MultiplicativeLR(o, 0.5),
        lambda: sched.ConstantLR(o, factor=2.0),
        lambda: sched.LinearLR(o, start_factor=0),
        lambda: sched.LinearLR(o, end_factor=1.5),
        lambda: sched.CosineAnnealingWarmRestarts(o, T_0=0),
        lambda: sched.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=0),
        lambda: sched.CyclicLR(o, 0.1, 1.0, mode="bad"),
        lambda: sched.CyclicLR(lib.optim.Adagrad([lib.zeros(1, requires_grad=True)]), 0.1, 1.0),
        lambda: sched.OneCycleLR(o, 0.1),
        lambda: sched.OneCycleLR(o, 0.1, total_steps=10, pct_start=2.0),
        lambda: sched.OneCycleLR(o, 0.1, total_steps=10, anneal_strategy="x"),
        lambda: sched.OneCycleLR(o, [0.1, 0.2], total_steps=10),
        lambda: sched.ReduceLROnPlateau(o, factor=1.0),
        lambda: sched.ReduceLROnPlateau(o, mode="x"),
        lambda: sched.ReduceLROnPlateau(o, min_lr=[0.1, 0.2]),
        lambda: sched.SequentialLR(o, [], milestones=[]),
        lambda: sched.SequentialLR(o, [sched.StepLR(o, 2)], milestones=[3]),
        lambda: sched.ChainedScheduler([]),
    ]
    out = []
    for call in calls:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                call()
            out.append(None)
        except Exception as e:
            out.append((type(e).__name__, str(e)))
    return out


def test_errors_match_torch():
    for i, (a, b) in enumerate(zip(_errors(ember), _errors(torch))):
        assert a is not None and a == b, i


def test_one_cycle_past_the_end_raises():
    ours_opt, ref_opt = _pair("SGD", dict(momentum=0.9))
    ours = ours_sched.OneCycleLR(ours_opt, 0.1, total_steps=3)
    ref = ref_sched.OneCycleLR(ref_opt, 0.1, total_steps=3)
    for s, o in ((ours, ours_opt), (ref, ref_opt)):
        for _ in range(3):
            o.step()
            s.step()
    with pytest.raises(ValueError, match="Tried to step 4 times") as e1:
        ours.step()
    with pytest.raises(ValueError, match="Tried to step 4 times") as e2:
        ref.step()
    assert str(e1.value) == str(e2.value)


@pytest.mark.parametrize(("opt_name", "sched"), [("AdamW", lambda m, o: m.StepLR(o, 5, 0.5)),
                                                 ("SGD", lambda m, o: m.OneCycleLR(o, 0.1, total_steps=25))])  # fmt: skip
def test_training_loop_with_nn_modules(opt_name, sched, rng):
    """A real loop: nn modules, ember's autograd, an optimizer and a scheduler, vs torch."""
    x = rng.standard_normal((16, 4), dtype=np.float32)
    y = rng.standard_normal((16, 2), dtype=np.float32)
    loops = []
    for lib in (torch, ember):
        lib.manual_seed(0)
        model = lib.nn.Sequential(lib.nn.Linear(4, 8), lib.nn.Tanh(), lib.nn.Linear(8, 2))
        if lib is ember:
            model.load_state_dict({k: ember.tensor(v.numpy()) for k, v in loops[0][0].state_dict().items()})  # noqa: E501
        kw = dict(momentum=0.9) if opt_name == "SGD" else {}
        opt = getattr(lib.optim, opt_name)(model.parameters(), lr=0.05, **kw)
        loops.append((model, opt, sched(lib.optim.lr_scheduler, opt)))
    (ref, ref_opt, ref_sched), (ours, ours_opt, ours_sched_) = loops
    ref_init = [p.detach().clone() for p in ref.parameters()]
    for step in range(25):
        losses = []
        for lib, model, opt, s in ((torch, ref, ref_opt, ref_sched), (ember, ours, ours_opt, ours_sched_)):  # noqa: E501
            opt.zero_grad()
            loss = lib.nn.functional.mse_loss(model(lib.tensor(x)), lib.tensor(y))
            loss.backward()
            opt.step()
            s.step()
            losses.append(loss.item())
        assert losses[1] == pytest.approx(losses[0], rel=1e-4), step
        assert ours_sched_.get_last_lr() == pytest.approx(ref_sched.get_last_lr(), rel=1e-12)
    for p, q in zip(ours.parameters(), ref.parameters()):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-4, atol=1e-5)
    assert any((p.detach() - p0).abs().max() > 1e-2 for p, p0 in zip(ref.parameters(), ref_init))


@pytest.mark.parametrize(("name", "kw", "opt_name", "opt_kw"), [c for c in CASES if c[0] in (
    "StepLR", "MultiStepLR", "ConstantLR", "LinearLR", "ExponentialLR", "PolynomialLR",
    "CosineAnnealingLR", "CosineAnnealingWarmRestarts", "LambdaLR")], ids=lambda v: v if isinstance(v, str) else "")  # fmt: skip # noqa: E501
def test_step_with_epoch_uses_the_closed_form(name, kw, opt_name, opt_kw):
    ours_opt, ref_opt = _pair(opt_name, opt_kw)
    ours = getattr(ours_sched, name)(ours_opt, **kw)
    ref = getattr(ref_sched, name)(ref_opt, **kw)
    epochs = [3, 7, 2, 12, 12, 0, 5.5, 9] if name == "CosineAnnealingWarmRestarts" else [3, 7, 2, 12, 12, 0, 9]  # noqa: E501
    for epoch in epochs:
        ours_opt.step()
        ref_opt.step()
        assert _caught(lambda e=epoch: ours.step(e)) == _caught(lambda e=epoch: ref.step(e))
        assert ours.get_last_lr() == pytest.approx(ref.get_last_lr(), rel=1e-12), epoch
        assert ours.last_epoch == ref.last_epoch

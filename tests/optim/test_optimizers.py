"""Optimizers against torch: 20+ steps of the same model and data, state dicts both ways, errors, repr."""

from __future__ import annotations

import inspect
import math

import numpy as np
import pytest
import torch

import ember

RTOL, ATOL = 2e-5, 2e-6

# name -> list of kwargs combos (the main option combinations of each optimizer)
CASES = {
    "SGD": [dict(lr=0.1), dict(lr=0.1, momentum=0.9), dict(lr=0.05, momentum=0.9, nesterov=True),
            dict(lr=0.1, momentum=0.5, dampening=0.3, weight_decay=0.1),
            dict(lr=0.05, momentum=0.9, maximize=True, weight_decay=0.01)],
    "Adam": [dict(lr=0.01), dict(lr=0.01, amsgrad=True, weight_decay=0.1),
             dict(lr=0.01, maximize=True), dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True),
             dict(lr=0.01, fused=True), dict(lr=0.01, foreach=False)],
    "AdamW": [dict(lr=0.01), dict(lr=0.01, amsgrad=True, weight_decay=0.3), dict(lr=0.01, maximize=True)],
    "Adadelta": [dict(), dict(lr=0.5, rho=0.8, weight_decay=0.1), dict(maximize=True)],
    "Adagrad": [dict(lr=0.1), dict(lr=0.1, lr_decay=0.01, weight_decay=0.1, initial_accumulator_value=0.1),
                dict(lr=0.1, maximize=True)],
    "Adamax": [dict(lr=0.01), dict(lr=0.01, weight_decay=0.1), dict(lr=0.01, maximize=True)],
    "RMSprop": [dict(lr=0.01), dict(lr=0.01, centered=True), dict(lr=0.01, momentum=0.9),
                dict(lr=0.001, centered=True, momentum=0.5, weight_decay=0.1, maximize=True)],
    "NAdam": [dict(lr=0.01), dict(lr=0.01, weight_decay=0.1),
              dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)],
    "RAdam": [dict(lr=0.01), dict(lr=0.01, weight_decay=0.1),
              dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)],
    "Rprop": [dict(lr=0.01), dict(lr=0.01, etas=(0.3, 1.5), step_sizes=(1e-4, 0.05)),
              dict(lr=0.01, maximize=True)],
}  # fmt: skip
PARAMS = [(name, kw) for name, kws in CASES.items() for kw in kws]
IDS = [f"{name}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'default'}" for name, kw in PARAMS]


class Problem:
    """A tiny two-layer regression built from leaf tensors, identical in ember and torch."""

    def __init__(self, rng: np.random.Generator, big: bool = False, dtype=np.float32) -> None:
        n = 40000 if big else 5
        self.arrays = [rng.standard_normal((4, n), dtype=dtype) * 0.5,
                       rng.standard_normal(n, dtype=dtype) * 0.1,
                       rng.standard_normal((n, 2), dtype=dtype) * 0.5]  # fmt: skip
        self.x = rng.standard_normal((8, 4), dtype=dtype)
        self.y = rng.standard_normal((8, 2), dtype=dtype)
        self.ours = [ember.tensor(a, requires_grad=True) for a in self.arrays]
        self.ref = [torch.tensor(a, requires_grad=True) for a in self.arrays]

    @staticmethod
    def loss(lib, params, x, y):
        w1, b1, w2 = params
        h = lib.tanh(lib.matmul(x, w1) + b1)
        return ((lib.matmul(h, w2) - y) ** 2).mean()

    def grads(self) -> None:
        """Fill .grad in both worlds: the same numbers, so only the optimizers are compared."""
        for p in self.ref:
            p.grad = None
        self.loss(torch, self.ref, torch.tensor(self.x), torch.tensor(self.y)).backward()
        for p, q in zip(self.ours, self.ref):
            p.grad = ember.tensor(q.grad.numpy())

    def closure_pair(self, ours_opt, ref_opt):
        def ours():
            ours_opt.zero_grad()
            loss = self.loss(ember, self.ours, ember.tensor(self.x), ember.tensor(self.y))
            loss.backward()
            return loss

        def ref():
            ref_opt.zero_grad()
            loss = self.loss(torch, self.ref, torch.tensor(self.x), torch.tensor(self.y))
            loss.backward()
            return loss

        return ours, ref

    def torch_closure(self, ours_opt):
        """A closure for the ember optimizer whose loss and gradients torch computes."""

        def closure():
            ours_opt.zero_grad()
            ps = [torch.tensor(p.detach().numpy(), requires_grad=True) for p in self.ours]
            loss = self.loss(torch, ps, torch.tensor(self.x), torch.tensor(self.y))
            loss.backward()
            for p, q in zip(self.ours, ps):
                p.grad = ember.tensor(q.grad.numpy())
            return ember.tensor(loss.detach().numpy())

        return closure

    def check(self, step: int = -1) -> None:
        for p, q in zip(self.ours, self.ref):
            np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=RTOL, atol=ATOL,
                                       err_msg=f"step {step}")  # fmt: skip


def to_ember(obj):
    """A torch state dict with every tensor copied into an ember tensor (recursively)."""
    if isinstance(obj, torch.Tensor):
        return ember.tensor(obj.numpy())
    if isinstance(obj, dict):
        return {k: to_ember(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return type(obj)(to_ember(v) for v in obj)
    return obj


def to_torch(obj):
    if isinstance(obj, ember.Tensor):
        return torch.tensor(obj.numpy())
    if isinstance(obj, dict):
        return {k: to_torch(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return type(obj)(to_torch(v) for v in obj)
    return obj


def assert_same_structure(ours, ref, path="sd"):
    """Same keys in the same order, same types; tensors with the same dtype, shape and values."""
    if isinstance(ref, torch.Tensor):
        assert isinstance(ours, ember.Tensor), path
        assert str(ours.dtype) == str(ref.dtype), path
        assert tuple(ours.shape) == tuple(ref.shape), path
        np.testing.assert_allclose(ours.numpy(), ref.numpy(), rtol=RTOL, atol=ATOL, err_msg=path)
    elif isinstance(ref, dict):
        assert isinstance(ours, dict), path
        assert list(ours) == list(ref), path
        for k in ref:
            assert_same_structure(ours[k], ref[k], f"{path}[{k!r}]")
    elif isinstance(ref, list | tuple):
        assert type(ours) is type(ref) and len(ours) == len(ref), path
        for i, (a, b) in enumerate(zip(ours, ref)):
            assert_same_structure(a, b, f"{path}[{i}]")
    elif isinstance(ref, float) and isinstance(ours, float):
        assert ours == pytest.approx(ref, rel=1e-5), path
    else:
        assert type(ours) is type(ref) and ours == ref, path


def make(name, kw, prob):
    return getattr(ember.optim, name)(prob.ours, **kw), getattr(torch.optim, name)(prob.ref, **kw)


@pytest.mark.parametrize(("name", "kw"), PARAMS, ids=IDS)
def test_matches_torch_every_step(name, kw, rng):
    prob = Problem(rng)
    ours, ref = make(name, kw, prob)
    for step in range(22):
        prob.grads()
        ours.step()
        ref.step()
        prob.check(step)
    assert_same_structure(ours.state_dict(), ref.state_dict())
    assert repr(ours) == repr(ref)


@pytest.mark.parametrize(("name", "kw"), PARAMS, ids=IDS)
def test_state_dict_round_trips_with_torch(name, kw, rng):
    prob = Problem(rng)
    ours, ref = make(name, kw, prob)
    for _ in range(3):
        prob.grads()
        ref.step()
    # torch's state dict loads into a fresh ember optimizer, and training continues identically
    for p, q in zip(prob.ours, prob.ref):
        p.data = ember.tensor(q.detach().numpy())
    ours.load_state_dict(to_ember(ref.state_dict()))
    assert_same_structure(ours.state_dict(), ref.state_dict())
    for step in range(5):
        prob.grads()
        ours.step()
        ref.step()
        prob.check(step)
    # and the reverse: ember's state dict loads into a fresh torch optimizer
    ref2_params = [torch.tensor(p.detach().numpy(), requires_grad=True) for p in prob.ours]
    ref2 = getattr(torch.optim, name)(ref2_params, **kw)
    ref2.load_state_dict(to_torch(ours.state_dict()))
    assert_same_structure(ours.state_dict(), ref2.state_dict())
    for step in range(5):
        prob.grads()
        for p2, q in zip(ref2_params, prob.ref):
            p2.grad = q.grad.clone()
        ours.step()
        ref2.step()
        for p, p2 in zip(prob.ours, ref2_params):
            np.testing.assert_allclose(p.detach().numpy(), p2.detach().numpy(), rtol=RTOL, atol=ATOL, err_msg=f"{step}")  # noqa: E501


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
def test_chunked_update_of_big_parameters(name, rng):
    """Parameters bigger than the optimizer's cache chunk go through the chunked path."""
    prob = Problem(rng, big=True)
    kw = dict(CASES[name][1])
    ours, ref = make(name, kw, prob)
    for step in range(3):
        prob.grads()
        ours.step()
        ref.step()
        prob.check(step)


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop"])
def test_closure_and_autograd_gradients(name, rng):
    """ember's own autograd computes the gradients; step(closure) returns the loss."""
    prob = Problem(rng)
    ours, ref = make(name, dict(CASES[name][1]), prob)
    c_ours, c_ref = prob.closure_pair(ours, ref)
    for step in range(20):
        l_ours, l_ref = ours.step(c_ours), ref.step(c_ref)
        assert l_ours.item() == pytest.approx(l_ref.item(), rel=1e-4)
        for p, q in zip(prob.ours, prob.ref):
            np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-4, atol=1e-5, err_msg=f"{step}")  # noqa: E501


def test_param_groups_named_params_and_add_param_group(rng):
    prob = Problem(rng)
    (w1, b1, w2), (tw1, tb1, tw2) = prob.ours, prob.ref
    ours = ember.optim.Adam([{"params": [w1]}, {"params": [b1], "lr": 0.1}], lr=0.01)
    ref = torch.optim.Adam([{"params": [tw1]}, {"params": [tb1], "lr": 0.1}], lr=0.01)
    ours.add_param_group({"params": w2, "betas": (0.5, 0.9)})
    ref.add_param_group({"params": tw2, "betas": (0.5, 0.9)})
    for _ in range(3):
        prob.grads()
        ours.step()
        ref.step()
    prob.check()
    assert_same_structure(ours.state_dict(), ref.state_dict())
    assert repr(ours) == repr(ref)
    named = ember.optim.SGD([("a", w1), ("b", b1)], lr=0.1, momentum=0.9)
    tnamed = torch.optim.SGD([("a", tw1), ("b", tb1)], lr=0.1, momentum=0.9)
    assert named.param_groups[0]["param_names"] == ["a", "b"]
    assert list(named.state_dict()["param_groups"][0]) == list(tnamed.state_dict()["param_groups"][0])  # noqa: E501
    assert isinstance(named.state, type(tnamed.state)) and named.state.default_factory is dict


def test_zero_grad(rng):
    prob = Problem(rng)
    opt = ember.optim.SGD(prob.ours, lr=0.1)
    prob.grads()
    g = prob.ours[0].grad
    opt.zero_grad(set_to_none=False)
    assert prob.ours[0].grad is g and not g.numpy().any()
    opt.zero_grad()
    assert all(p.grad is None for p in prob.ours)


def _errors(lib):
    w = lib.zeros(2, requires_grad=True)
    calls = [
        lambda: lib.optim.SGD(w),
        lambda: lib.optim.SGD([]),
        lambda: lib.optim.SGD([{"params": {w}}]),
        lambda: lib.optim.SGD([w * 2]),
        lambda: lib.optim.SGD([{"params": [w]}, {"params": [w]}]),
        lambda: lib.optim.SGD([w], lr=-1),
        lambda: lib.optim.SGD([w], momentum=0, nesterov=True),
        lambda: lib.optim.Adam([w], betas=(1.0, 0.9)),
        lambda: lib.optim.Adam([w], eps=-1.0),
        lambda: lib.optim.Adam([w], fused=True, differentiable=True),
        lambda: lib.optim.Adagrad([w], lr_decay=-1),
        lambda: lib.optim.Rprop([w], etas=(1.5, 1.2)),
        lambda: lib.optim.RMSprop([w], alpha=-1),
        lambda: lib.optim.SGD([w, 1.0]),
        lambda: lib.optim.SGD([w]).add_param_group([w]),
        lambda: lib.optim.SGD([w]).load_state_dict({"state": {}, "param_groups": []}),
        lambda: lib.optim.SGD([w]).load_state_dict({"state": {}, "param_groups": [{"params": [0, 1]}]}),  # noqa: E501
        lambda: lib.optim.SGD([("a", w), lib.zeros(1, requires_grad=True)]),
    ]
    out = []
    for call in calls:
        try:
            call()
            out.append(None)
        except Exception as e:
            out.append((type(e).__name__, str(e)))
    return out


def test_errors_match_torch():
    ours, ref = _errors(ember), _errors(torch)
    for i, (a, b) in enumerate(zip(ours, ref)):
        assert a is not None and a == b, i


def test_duplicate_parameters_warn():
    w, tw = ember.zeros(2, requires_grad=True), torch.zeros(2, requires_grad=True)
    with pytest.warns(UserWarning, match="duplicate parameters") as rec:
        ember.optim.SGD([w, w])
    with pytest.warns(UserWarning, match="duplicate parameters") as trec:
        torch.optim.SGD([tw, tw])
    assert str(rec[0].message) == str(trec[0].message)


@pytest.mark.parametrize("name", [*CASES, "LBFGS"])
def test_signature_and_defaults_match_torch(name):
    ours, ref = getattr(ember.optim, name), getattr(torch.optim, name)
    sig, tsig = inspect.signature(ours), inspect.signature(ref)
    assert list(sig.parameters) == list(tsig.parameters)
    for k, p in tsig.parameters.items():
        assert sig.parameters[k].default == p.default, k
        assert sig.parameters[k].kind == p.kind, k
    w, tw = ember.zeros(2, requires_grad=True), torch.zeros(2, requires_grad=True)
    o, t = ours([w]), ref([tw])
    assert list(o.defaults) == list(t.defaults)
    assert list(o.state_dict()["param_groups"][0].items()) == list(t.state_dict()["param_groups"][0].items())  # noqa: E501
    assert repr(o) == repr(t)
    assert "fused" in inspect.signature(ember.optim.AdamW).parameters


def test_hooks(rng):
    prob = Problem(rng)
    opt = ember.optim.SGD(prob.ours, lr=0.1)
    calls = []
    h1 = opt.register_step_pre_hook(lambda o, a, k: calls.append(("pre", o is opt)))
    h2 = opt.register_step_post_hook(lambda o, a, k: calls.append(("post", o is opt)))
    g = ember.optim.optimizer.register_optimizer_step_pre_hook(lambda o, a, k: calls.append("global"))  # noqa: E501
    opt.register_state_dict_pre_hook(lambda o: calls.append("sd_pre"))
    opt.register_state_dict_post_hook(lambda o, sd: {**sd, "extra": 1})
    opt.register_load_state_dict_pre_hook(lambda o, sd: calls.append("load_pre"))
    opt.register_load_state_dict_post_hook(lambda o: calls.append("load_post"))
    prob.grads()
    opt.step()
    assert calls == ["global", ("pre", True), ("post", True)]
    h1.remove()
    h2.remove()
    g.remove()
    calls.clear()
    opt.step()
    sd = opt.state_dict()
    assert sd["extra"] == 1 and calls == ["sd_pre"]
    opt.load_state_dict(sd)
    assert calls == ["sd_pre", "load_pre", "load_post"]


def test_load_casts_state_to_param_dtype(rng):
    w = ember.zeros(3, dtype=ember.float64, requires_grad=True)
    tw = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    ref = torch.optim.Adam([tw])
    tw.grad = torch.ones(3, dtype=torch.float64)
    ref.step()
    sd = ref.state_dict()
    sd["state"][0]["exp_avg"] = sd["state"][0]["exp_avg"].float()
    ours = ember.optim.Adam([w])
    ours.load_state_dict(to_ember(sd))
    ref.load_state_dict(sd)
    assert ours.state[w]["exp_avg"].dtype == ember.float64
    assert ours.state[w]["step"].dtype == ember.float32
    assert_same_structure(ours.state_dict(), ref.state_dict())


def test_lbfgs_matches_torch(rng):
    for line_search_fn in (None, "strong_wolfe"):
        # float64: quasi-Newton steps amplify float32 rounding, which would hide a real mismatch
        prob = Problem(rng, dtype=np.float64)
        kw = dict(lr=0.5, max_iter=5, history_size=4, line_search_fn=line_search_fn)
        ours, ref = make("LBFGS", kw, prob)
        c_ours, c_ref = prob.torch_closure(ours), prob.closure_pair(ours, ref)[1]
        for step in range(20):
            l_ours, l_ref = ours.step(c_ours), ref.step(c_ref)
            assert l_ours.item() == pytest.approx(l_ref.item(), rel=1e-7, abs=1e-10), step
        for p, q in zip(prob.ours, prob.ref):
            np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-6, atol=1e-8)  # noqa: E501
        sd, tsd = ours.state_dict(), ref.state_dict()
        assert list(sd["state"][0]) == list(tsd["state"][0])
        kinds = {ember.Tensor: "T", torch.Tensor: "T"}
        for k, v in tsd["state"][0].items():
            mine = sd["state"][0][k]
            if isinstance(v, list):
                assert [kinds.get(type(a), type(a)) for a in mine] == [kinds.get(type(a), type(a)) for a in v], k  # noqa: E501
            else:
                assert kinds.get(type(mine), type(mine)) == kinds.get(type(v), type(v)), k
        assert list(sd["param_groups"][0].items()) == list(tsd["param_groups"][0].items())
        assert not math.isnan(l_ours.item())
    # torch's LBFGS state (curvature history included) loads into ember and the steps continue
    ours2 = ember.optim.LBFGS(prob.ours, **kw)
    ours2.load_state_dict(to_ember(ref.state_dict()))
    c_ours2 = prob.torch_closure(ours2)
    for step in range(3):
        l_ours, l_ref = ours2.step(c_ours2), ref.step(c_ref)
        assert l_ours.item() == pytest.approx(l_ref.item(), rel=1e-7, abs=1e-10), step


@pytest.mark.parametrize(("name", "kw"), [p for p in PARAMS if p[0] in ("SGD", "Adam", "RMSprop", "Rprop", "Adadelta", "NAdam")])  # noqa: E501
def test_ragged_chunks_and_non_contiguous_parameters(name, kw, rng, monkeypatch):
    """A tiny chunk size splits every parameter into chunks with a ragged tail; a Fortran-ordered
    parameter takes the whole-array path (the one CuPy arrays take)."""
    monkeypatch.setattr(ember.optim.optimizer, "_CHUNK", 7)
    prob = Problem(rng)
    prob.ours[0] = ember._tensor._wrap(np.asfortranarray(prob.arrays[0]), requires_grad=True)
    ours, ref = make(name, kw, prob)
    for step in range(20):
        prob.grads()
        ours.step()
        ref.step()
        prob.check(step)
    assert not any(k.startswith("_scratch") for k in ours.state_dict())


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop", "Adagrad"])
def test_complex_parameters(name, rng):
    kw = dict(CASES[name][1])
    z = (rng.standard_normal(6) + 1j * rng.standard_normal(6)).astype(np.complex64)
    g = (rng.standard_normal(6) + 1j * rng.standard_normal(6)).astype(np.complex64)
    p, q = ember.tensor(z, requires_grad=True), torch.tensor(z, requires_grad=True)
    ours, ref = getattr(ember.optim, name)([p], **kw), getattr(torch.optim, name)([q], **kw)
    for _ in range(5):
        p.grad, q.grad = ember.tensor(g), torch.tensor(g)
        ours.step()
        ref.step()
    np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=RTOL, atol=ATOL)


def test_checkpoint_files_both_ways(rng, tmp_path):
    """ember.save(opt.state_dict()) loads with torch.load(weights_only=True), and the reverse."""
    prob = Problem(rng)
    ours, ref = make("AdamW", dict(lr=0.01, amsgrad=True), prob)
    for _ in range(3):
        prob.grads()
        ours.step()
        ref.step()
    ember.save(ours.state_dict(), tmp_path / "ours.pt")
    torch.save(ref.state_dict(), tmp_path / "ref.pt")
    ref2 = torch.optim.AdamW([torch.tensor(a, requires_grad=True) for a in prob.arrays], lr=0.01, amsgrad=True)  # noqa: E501
    ref2.load_state_dict(torch.load(tmp_path / "ours.pt", weights_only=True))
    ours2 = ember.optim.AdamW([ember.tensor(a, requires_grad=True) for a in prob.arrays], lr=0.01, amsgrad=True)  # noqa: E501
    ours2.load_state_dict(ember.load(tmp_path / "ref.pt"))
    assert_same_structure(ours2.state_dict(), ref2.state_dict())
    assert_same_structure(ours.state_dict(), ref2.state_dict())

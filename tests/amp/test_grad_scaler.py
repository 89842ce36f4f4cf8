"""GradScaler and autocast against torch's (torch 2.13 runs GradScaler on the CPU)."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest
import torch

import ember


class _SGD:
    """The smallest optimizer GradScaler needs: param_groups and step()."""

    def __init__(self, params, lr):
        self.param_groups = [{"params": list(params), "lr": lr}]
        self.steps = 0

    def step(self):
        self.steps += 1
        with ember.no_grad():
            for p in self.param_groups[0]["params"]:
                if p.grad is not None:
                    p.sub_(p.grad * self.param_groups[0]["lr"])
        return "stepped"

    def zero_grad(self):
        for p in self.param_groups[0]["params"]:
            p.grad = None


def _run(lib, opt_cls, xs, w0, **kw):
    w = lib.tensor(w0, requires_grad=True)
    opt = opt_cls([w], lr=0.1)
    scaler = lib.amp.GradScaler("cpu", **kw)
    scales, trackers, steps, grads = [], [], [], []
    for x in xs:
        opt.zero_grad()
        loss = (w * lib.tensor(x)).sum()
        scaler.scale(loss).backward()
        scaler.unscale_(opt)
        grads.append(w.grad.detach().numpy().copy())
        before = w.detach().numpy().copy()
        scaler.step(opt)
        steps.append(not np.array_equal(before, w.detach().numpy()))
        scaler.update()
        scales.append(scaler.get_scale())
        trackers.append(scaler._get_growth_tracker())
    return scales, trackers, steps, grads, w.detach().numpy(), scaler.state_dict()


def test_skip_backoff_and_growth_match_torch(rng):
    xs = [rng.standard_normal(4).astype(np.float32) for _ in range(12)]
    xs[2][1] = np.inf
    xs[3][0] = np.nan
    xs[9][3] = -np.inf
    w0 = rng.standard_normal(4).astype(np.float32)
    kw = dict(init_scale=2.0**10, growth_factor=4.0, backoff_factor=0.25, growth_interval=3)
    ours = _run(ember, _SGD, xs, w0, **kw)
    ref = _run(torch, torch.optim.SGD, xs, w0, **kw)
    assert ours[0] == ref[0]  # the scale after each update
    assert ours[1] == ref[1]  # the growth tracker
    assert ours[2] == ref[2]  # which steps ran
    for g, gr in zip(ours[3], ref[3]):
        np.testing.assert_array_equal(g, gr)  # unscaled grads (inf/nan included)
    np.testing.assert_allclose(ours[4], ref[4], rtol=1e-5)  # our SGD rounds twice
    assert ours[5] == ref[5]


def test_growth_overflow_keeps_scale():
    for lib in (ember, torch):
        s = lib.amp.GradScaler("cpu", init_scale=3e38, growth_interval=1)
        w = lib.tensor([1.0], requires_grad=True)
        opt = torch.optim.SGD([w], lr=0.0) if lib is torch else _SGD([w], lr=0.0)
        s.scale(w.sum() * 1e-38).backward()
        s.step(opt)
        s.update()
        assert s.get_scale() == pytest.approx(3e38, rel=1e-6)
        assert s._get_growth_tracker() == 0


def test_scale_structures_and_dtype():
    s, ref = ember.amp.GradScaler("cpu", init_scale=8.0), torch.amp.GradScaler("cpu", init_scale=8.0)
    out = s.scale([ember.tensor([1.0, 2.0]), (ember.tensor(3.0),)])
    out_ref = ref.scale([torch.tensor([1.0, 2.0]), (torch.tensor(3.0),)])
    assert type(out) is list
    assert type(out[1]) is tuple
    np.testing.assert_array_equal(out[0].numpy(), out_ref[0].numpy())
    assert out[1][0].item() == out_ref[1][0].item()
    half = s.scale(ember.tensor([1.0], dtype=ember.float16))
    assert half.dtype == ember.float16
    assert ref.scale(torch.tensor([1.0], dtype=torch.float16)).dtype == torch.float16
    assert s._scale.dtype == ember.float32
    assert s._growth_tracker.dtype == ember.int32
    with pytest.raises(ValueError, match="outputs must be a Tensor or an iterable of Tensors"):
        s.scale(3.0)


def _errors(lib, opt_cls):
    msgs = []
    s = lib.amp.GradScaler("cpu")
    w = lib.tensor([1.0], requires_grad=True)
    opt = opt_cls([w], lr=0.1)
    for call in (lambda: s.step(opt), lambda: s.update(), lambda: s.unscale_(opt)):
        with pytest.raises(AssertionError) as e:
            call()
        msgs.append(str(e.value))
    s.scale(w.sum()).backward()
    s.unscale_(opt)
    with pytest.raises(RuntimeError) as e:
        s.unscale_(opt)
    msgs.append(str(e.value))
    s.step(opt)
    for call in (lambda: s.step(opt), lambda: s.unscale_(opt), lambda: s.step(opt, closure=None)):
        with pytest.raises(RuntimeError) as e:
            call()
        msgs.append(str(e.value))
    s.update()
    with pytest.raises(AssertionError) as e:
        s.update()
    msgs.append(str(e.value))
    w16 = lib.tensor([1.0], dtype=lib.float16, requires_grad=True)
    w16.grad = lib.tensor([1.0], dtype=lib.float16)
    with pytest.raises(ValueError) as e:
        s.unscale_(opt_cls([w16], lr=0.1))
    msgs.append(str(e.value))
    with pytest.raises(AssertionError) as e:
        lib.amp.GradScaler("cpu", growth_factor=1.0)
    msgs.append(str(e.value))
    with pytest.raises(RuntimeError) as e:
        s.load_state_dict({})
    msgs.append(str(e.value))
    return msgs


def test_errors_match_torch():
    assert _errors(ember, _SGD) == _errors(torch, torch.optim.SGD)


def test_state_dict_roundtrip_and_manual_scale():
    s = ember.amp.GradScaler("cpu", init_scale=16.0, growth_interval=7)
    s.load_state_dict({"scale": 4.0, "growth_factor": 3.0, "backoff_factor": 0.1,
                       "growth_interval": 5, "_growth_tracker": 2})
    assert s.state_dict() == {"scale": 4.0, "growth_factor": 3.0, "backoff_factor": 0.1,
                              "growth_interval": 5, "_growth_tracker": 2}
    s.scale(ember.tensor(1.0))
    assert s._scale.item() == 4.0
    assert s._growth_tracker.item() == 2
    s.update(new_scale=2.0)
    assert s.get_scale() == 2.0
    s.update(new_scale=ember.tensor(8.0))
    assert s.get_scale() == 8.0
    with pytest.raises(AssertionError, match="new_scale should be a float"):
        s.update(new_scale=ember.tensor([1.0, 2.0]))
    clone = pickle.loads(pickle.dumps(s))
    assert clone.state_dict() == s.state_dict()
    assert clone._scale is None


def test_disabled_and_cuda_fallback_match_torch():
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        ours = ember.amp.GradScaler("cuda") if not ember.cuda.is_available() else None
    if ours is None:
        pytest.skip("a GPU is present: the CUDA scaler stays enabled")
    with warnings.catch_warnings(record=True) as w_ref:
        warnings.simplefilter("always")
        ref = torch.amp.GradScaler("cuda")
    assert [(x.category, str(x.message)) for x in w] == [(x.category, str(x.message)) for x in w_ref]  # noqa: E501
    assert w[0].filename == __file__
    for s, lib in ((ours, ember), (ref, torch)):
        assert not s.is_enabled()
        assert s.get_scale() == 1.0
        assert s.state_dict() == {}
        t = lib.tensor([2.0])
        assert s.scale(t) is t
        opt = _SGD([lib.tensor([1.0])], lr=0.0) if lib is ember else torch.optim.SGD([torch.tensor([1.0])], lr=0.0)  # noqa: E501
        s.unscale_(opt)
        s.update()
        s.load_state_dict({})
    d = ember.amp.GradScaler("cpu", enabled=False)
    opt = _SGD([ember.tensor([1.0], requires_grad=True)], lr=0.0)
    assert d.step(opt) == "stepped"
    assert not d.is_enabled()


def test_deprecated_cuda_amp_warnings_match_torch():
    def record(lib, make):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            obj = make(lib)
        return obj, [(x.category, str(x.message)) for x in w], [x.filename for x in w]

    for make in (lambda lib: lib.cuda.amp.GradScaler(enabled=False),
                 lambda lib: lib.cuda.amp.GradScaler(),
                 lambda lib: lib.cuda.amp.autocast(),
                 lambda lib: lib.cuda.amp.autocast(enabled=False)):
        ours, msgs, files = record(ember, make)
        _, msgs_ref, _ = record(torch, make)
        assert msgs == msgs_ref
        assert files[0] == __file__
    with pytest.warns(FutureWarning):
        assert isinstance(ember.cuda.amp.GradScaler(enabled=False), ember.amp.GradScaler)


def _autocast_record(lib, device_type, **kw):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        ctx = lib.amp.autocast(device_type, **kw)
    return ctx, [(x.category, str(x.message)) for x in w]


@pytest.mark.parametrize(("device_type", "kw"), [
    ("cpu", {}), ("cpu", {"dtype": "float16"}), ("cpu", {"dtype": "float32"}),
    ("cpu", {"enabled": False}), ("cuda", {}), ("cuda", {"dtype": "bfloat16"})])
def test_autocast_state_matches_torch(device_type, kw):
    if device_type == "cuda" and ember.cuda.is_available():
        pytest.skip("torch's reference here is a CPU build")
    kw_ours = {k: getattr(ember, v) if k == "dtype" else v for k, v in kw.items()}
    kw_ref = {k: getattr(torch, v) if k == "dtype" else v for k, v in kw.items()}
    ours, w = _autocast_record(ember, device_type, **kw_ours)
    ref, w_ref = _autocast_record(torch, device_type, **kw_ref)
    assert w == w_ref
    assert repr(ours.fast_dtype) == repr(ref.fast_dtype)
    assert ours._enabled == ref._enabled
    with ours, ref:
        assert ember.amp.is_autocast_enabled(device_type) == torch.is_autocast_enabled(device_type)  # noqa: E501
        assert repr(ember.amp.get_autocast_dtype(device_type)) == repr(torch.get_autocast_dtype(device_type))  # noqa: E501
    assert ember.amp.is_autocast_enabled(device_type) is torch.is_autocast_enabled(device_type) is False  # noqa: E501
    assert repr(ember.amp.get_autocast_dtype(device_type)) == repr(torch.get_autocast_dtype(device_type))  # noqa: E501


def test_autocast_cpu_is_a_no_op_for_ops_and_decorates(rng):
    a = rng.standard_normal((3, 4)).astype(np.float32)

    @ember.amp.autocast("cpu")
    def f(x):
        assert ember.amp.is_autocast_enabled("cpu")
        return x @ x.T

    y = f(ember.tensor(a))
    assert y.dtype == ember.float32  # differs from torch (bfloat16): docs/differences.md
    np.testing.assert_allclose(y.numpy(), a @ a.T, rtol=1e-5)
    assert not ember.amp.is_autocast_enabled("cpu")
    assert ember.amp.autocast_mode.autocast_dtype_for("cpu") is None
    with pytest.raises(TypeError, match="requires a callable"):
        ember.amp.autocast("cpu")(3)
    with pytest.raises(RuntimeError) as e:
        ember.amp.autocast("foo")
    with pytest.raises(RuntimeError) as e_ref:
        torch.amp.autocast("foo")
    assert str(e.value) == str(e_ref.value)
    with pytest.raises(ValueError, match="Expected `device_type` of type `str`"):
        ember.amp.autocast(ember.device("cpu"))


def test_autocast_cuda_flag_for_ops():
    if not ember.cuda.is_available():
        # without a GPU autocast("cuda") warns and stays off, as torch's does
        with pytest.warns(UserWarning, match="CUDA is not available"):
            ctx = ember.amp.autocast("cuda")
        with ctx:
            assert ember.amp.autocast_mode.autocast_dtype_for("cuda") is None
        return
    with ember.amp.autocast("cuda", dtype=ember.bfloat16):
        assert ember.amp.autocast_mode.autocast_dtype_for("cuda") is ember.bfloat16
        with ember.amp.autocast("cuda", enabled=False):
            assert ember.amp.autocast_mode.autocast_dtype_for("cuda") is None
    assert ember.amp.autocast_mode.autocast_dtype_for("cuda") is None


def test_autocast_inputs_leaves_cpu_and_off_alone():
    from ember.amp.autocast_mode import autocast_inputs, set_autocast_enabled

    x, i = ember.ones(2), ember.ones(2, dtype=ember.int64)
    assert autocast_inputs(x, None, i) == (x, None, i)
    set_autocast_enabled("cuda", True)
    try:
        out = autocast_inputs(x, i)
        assert out[0] is x
        assert out[1] is i
    finally:
        set_autocast_enabled("cuda", False)


@pytest.mark.gpu
def test_autocast_inputs_cast_on_cuda():
    from ember.amp.autocast_mode import autocast_inputs

    x = ember.ones(2, 2, device="cuda", requires_grad=True)
    d = ember.ones(2, dtype=ember.float64, device="cuda")
    with ember.amp.autocast("cuda"):
        a, b = autocast_inputs(x, d)
    assert a.dtype == ember.float16
    assert b.dtype == ember.float64
    a.float().sum().backward()
    assert x.grad.dtype == ember.float32
    with ember.amp.autocast("cuda", dtype=ember.bfloat16):
        assert autocast_inputs(x)[0].dtype == ember.bfloat16
    s = ember.amp.GradScaler("cuda", init_scale=4.0)
    assert s.is_enabled()
    assert s.scale(ember.ones((), device="cuda")).item() == 4.0


def _custom_fn(lib):
    seen = {}

    class Scale(lib.autograd.Function):
        @staticmethod
        @lib.amp.custom_fwd(device_type="cpu", cast_inputs=lib.float64)
        def forward(ctx, x):
            seen["fwd"] = (repr(x.dtype), lib.amp.is_autocast_enabled("cpu") if lib is ember else lib.is_autocast_enabled("cpu"))  # noqa: E501
            return x * 2

        @staticmethod
        @lib.amp.custom_bwd(device_type="cpu")
        def backward(ctx, g):
            seen["bwd"] = lib.amp.is_autocast_enabled("cpu") if lib is ember else lib.is_autocast_enabled("cpu")  # noqa: E501
            return g * 2

    x = lib.ones(2, requires_grad=True)
    with lib.amp.autocast("cpu"):
        y = Scale.apply(x)
    y.sum().backward()
    return seen, repr(y.dtype), x.grad.tolist()


def test_custom_fwd_bwd_match_torch():
    assert _custom_fn(ember) == _custom_fn(torch)

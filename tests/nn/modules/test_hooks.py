"""Module hooks against torch: call order, arguments, return values, errors, removal."""

from __future__ import annotations

import gc

import numpy as np
import pytest

import ember
import ember.nn as nn
from ember.nn.modules import module as ember_module

from ._helpers import relu, same


def shapes(ts):
    return [None if t is None else tuple(t.shape) for t in ts]


def lin(lib, rng_seed=0, n_in=3, n_out=2):
    """A Linear with the same weights in both libraries."""
    r = np.random.default_rng(rng_seed)
    m = lib.nn.Linear(n_in, n_out)
    with lib.no_grad():
        m.weight.copy_(lib.tensor(r.standard_normal((n_out, n_in)).astype(np.float32)))
        m.bias.copy_(lib.tensor(r.standard_normal(n_out).astype(np.float32)))
    return m


X = np.random.default_rng(1).standard_normal((4, 3)).astype(np.float32)


# --- forward hooks -----------------------------------------------------------------------------


def test_firing_order_of_the_reference_example():
    def run(lib):
        log = []

        class M(lib.nn.Module):
            def forward(self, x, scale=1.0):
                log.append("forward")
                return x * scale

        m = M()
        m.register_forward_pre_hook(lambda mod, args: log.append("pre1"))
        m.register_forward_pre_hook(lambda mod, args, kwargs: log.append(f"pre_kw({kwargs})"), with_kwargs=True)  # noqa: E501
        m.register_forward_pre_hook(lambda mod, args: log.append("pre_prepend"), prepend=True)
        m.register_forward_hook(lambda mod, args, out: log.append("fwd"))
        m.register_forward_hook(lambda mod, args, kwargs, out: log.append("fwd_kw"), with_kwargs=True)  # noqa: E501
        m.register_full_backward_pre_hook(lambda mod, go: log.append(f"bpre({len(go)})"))
        m.register_full_backward_hook(lambda mod, gi, go: log.append(f"bfull({len(gi)})"))
        h1 = lib.nn.modules.module.register_module_forward_pre_hook(lambda mod, args: log.append("global_pre"))  # noqa: E501
        h2 = lib.nn.modules.module.register_module_forward_hook(lambda mod, args, out: log.append("global_fwd"))  # noqa: E501
        try:
            x = lib.ones(2, requires_grad=True)
            m(x, scale=2.0).sum().backward()
        finally:
            h1.remove()
            h2.remove()
        m(x)
        return log

    assert same(run)[1][:10] == ["global_pre", "pre_prepend", "pre1", "pre_kw({'scale': 2.0})", "forward", "global_fwd", "fwd", "fwd_kw", "bpre(1)", "bfull(1)"]  # noqa: E501


def test_pre_hook_return_values():
    def run(lib):
        seen = []

        class M(lib.nn.Module):
            def forward(self, *args, **kwargs):
                seen.append((args, sorted(kwargs)))
                return args[0]

        m = M()
        h = m.register_forward_pre_hook(lambda mod, args: 5)  # non-tuple: wrapped as (5,)
        m(1, 2)
        h.remove()
        h = m.register_forward_pre_hook(lambda mod, args: (7, 8))
        m(1)
        h.remove()
        h = m.register_forward_pre_hook(lambda mod, args, kwargs: ((3,), {"k": 1}), with_kwargs=True)  # noqa: E501
        m(1)
        h.remove()
        m.register_forward_pre_hook(lambda mod, args, kwargs: 5, with_kwargs=True)
        m(1)
        return seen

    assert same(run) == ("RuntimeError", "forward pre-hook must return None or a tuple of (new_args, new_kwargs), but got 5.")  # noqa: E501


def test_forward_hook_replaces_output_and_sees_positional_args_only():
    def run(lib):
        seen = []

        class M(lib.nn.Module):
            def forward(self, a, b=0):
                return a + b

        m = M()
        m.register_forward_hook(lambda mod, args, out: seen.append((args, out)) or out * 10)
        m.register_forward_hook(lambda mod, args, kwargs, out: seen.append((kwargs, out)), with_kwargs=True)  # noqa: E501
        return m(1, b=2), seen

    same(run)


def test_prepend_forward_hooks_and_handle_ids_are_shared():
    def run(lib):
        log = []
        m = lib.nn.Module()
        m.forward = lambda x: x
        ids = [m.register_forward_hook(lambda *a, i=i: log.append(i), prepend=i == 2).id for i in range(3)]  # noqa: E501
        m(1)
        return log, [b - ids[0] for b in ids]

    same(run)


def test_always_call_hooks_run_when_forward_raises():
    def run(lib):
        log = []

        class Boom(lib.nn.Module):
            def forward(self, x):
                raise ValueError("boom")

        m = Boom()
        m.register_forward_hook(lambda mod, args, out: log.append(("always", args, out)), always_call=True)  # noqa: E501
        m.register_forward_hook(lambda mod, args, kwargs, out: log.append(("kw", kwargs)), always_call=True, with_kwargs=True)  # noqa: E501
        m.register_forward_hook(lambda mod, args, out: log.append("normal"))
        try:
            m(1, k=2)
        except ValueError as e:
            log.append(str(e))
        return log

    same(run)


def test_always_call_hook_that_raises_becomes_a_warning():
    class Boom(nn.Module):
        def forward(self, x):
            raise ValueError("boom")

    m = Boom()

    def bad(mod, args, out):
        raise KeyError("inner")

    m.register_forward_hook(bad, always_call=True)
    with pytest.warns(UserWarning, match="silenced as another error"), pytest.raises(ValueError, match="boom"):  # noqa: E501
        m(1)


def test_hook_removal_and_context_manager():
    def run(lib):
        log = []
        m = lib.nn.Module()
        m.forward = lambda x: x
        h = m.register_forward_hook(lambda *a: log.append("h"), with_kwargs=False, always_call=True)
        m(1)
        h.remove()
        h.remove()  # idempotent
        with m.register_forward_pre_hook(lambda *a: log.append("ctx")):
            m(1)
        m(1)
        return log, dict(m._forward_hooks_always_called), len(m._forward_pre_hooks)

    same(run)


def test_hooks_do_not_change_fast_path_results():
    m = lin(ember)
    x = ember.tensor(X)
    plain = m(x).detach().numpy()
    h = m.register_forward_hook(lambda *a: None)
    np.testing.assert_array_equal(m(x).detach().numpy(), plain)
    h.remove()
    assert not m._forward_hooks


# --- backward hooks ----------------------------------------------------------------------------


@pytest.mark.parametrize("input_requires_grad", [True, False])
def test_full_backward_hook_arguments(input_requires_grad):
    def run(lib):
        log = []
        m = lin(lib)

        def hook(mod, gi, go):
            log.append(("full", shapes(gi), shapes(go), [g.tolist() for g in go]))

        def pre(mod, go):
            log.append(("pre", shapes(go)))

        m.register_full_backward_hook(hook)
        m.register_full_backward_pre_hook(pre)
        x = lib.tensor(X, requires_grad=input_requires_grad)
        y = m(x)
        if not input_requires_grad:
            with pytest.warns(UserWarning, match="Full backward hook is firing"):
                (y * 2).sum().backward()
        else:
            (y * 2).sum().backward()
        return log, (x.grad.tolist() if x.grad is not None else None)

    same(run)


def test_full_backward_hook_replaces_grad_input_and_pre_hook_replaces_grad_output():
    def run(lib):
        m = lin(lib)
        m.register_full_backward_pre_hook(lambda mod, go: (go[0] * 0 + 1,))
        m.register_full_backward_hook(lambda mod, gi, go: (gi[0] * 3,))
        x = lib.tensor(X, requires_grad=True)
        (m(x) * 5).sum().backward()
        return np.round(np.asarray(x.grad.tolist()), 5).tolist(), np.round(np.asarray(m.weight.grad.tolist()), 5).tolist()  # noqa: E501

    same(run)


def test_full_backward_hook_with_non_tensor_and_multiple_inputs():
    def run(lib):
        log = []

        class M(lib.nn.Module):
            def forward(self, a, k, b):
                return a * k + b, a - b

        m = M()
        m.register_full_backward_hook(lambda mod, gi, go: log.append((shapes(gi), shapes(go))))
        a = lib.ones(2, requires_grad=True)
        b = lib.ones(2, requires_grad=True)
        out1, out2 = m(a, 3.0, b)
        out1.sum().backward()
        return log, a.grad.tolist(), b.grad.tolist()

    same(run)


@pytest.mark.parametrize("kind", ["pre", "full"])
def test_backward_hook_wrong_length(kind):
    def run(lib):
        m = lin(lib)
        if kind == "pre":
            m.register_full_backward_pre_hook(lambda mod, go: (go[0], go[0]))
        else:
            m.register_full_backward_hook(lambda mod, gi, go: (gi[0], gi[0]))
        m(lib.tensor(X, requires_grad=True)).sum().backward()

    assert same(run)[0] == "RuntimeError"


def test_mixing_legacy_and_full_backward_hooks():
    same(lambda lib: (lambda m: (m.register_backward_hook(lambda *a: None), m.register_full_backward_hook(lambda *a: None)))(lib.nn.Linear(1, 1)))  # noqa: E501
    same(lambda lib: (lambda m: (m.register_full_backward_hook(lambda *a: None), m.register_backward_hook(lambda *a: None)))(lib.nn.Linear(1, 1)))  # noqa: E501


def test_legacy_backward_hook_on_linear_sees_addmm_inputs():
    def run(lib):
        log = []
        m = lin(lib)
        m.register_backward_hook(lambda mod, gi, go: log.append((type(mod).__name__, shapes(gi), shapes(go))))  # noqa: E501
        x = lib.tensor(X, requires_grad=True)
        with pytest.warns(FutureWarning, match="multiple autograd Nodes"):
            y = m(x)
        y.sum().backward()
        return log

    assert same(run)[1] == [("Linear", [(2,), (4, 3), (3, 2)], [(4, 2)])]


def test_legacy_backward_hook_on_sequential_sees_last_node():
    def run(lib):
        log = []
        m = lib.nn.Sequential(lin(lib), relu(lib))
        m.register_backward_hook(lambda mod, gi, go: log.append(shapes(gi)))
        x = lib.tensor(X, requires_grad=True)
        with pytest.warns(FutureWarning):
            y = m(x)
        y.sum().backward()
        return log

    assert same(run)[1] == [[(4, 2)]]


def test_legacy_backward_hook_warning_layouts():
    def run(lib):
        class Dict(lib.nn.Module):
            def forward(self, x):
                return {"a": x * 2}

        m = Dict()
        m.register_backward_hook(lambda *a: None)
        with pytest.warns(FutureWarning, match="does not return a single Tensor"):
            m(lib.ones(1, requires_grad=True))
        return "ok"

    same(run)


def test_legacy_hook_dead_module():
    m = nn.Linear(1, 1)
    hook = ember_module._WrappedHook(lambda *a: None, m)
    del m
    gc.collect()
    with pytest.raises(RuntimeError, match="dead Module"):
        hook(1)


def test_global_backward_hooks_and_mixing():
    def run(lib):
        log = []
        mm = lib.nn.modules.module
        h = mm.register_module_full_backward_hook(lambda mod, gi, go: log.append(("g", type(mod).__name__)))  # noqa: E501
        h2 = mm.register_module_full_backward_pre_hook(lambda mod, go: log.append(("gpre", type(mod).__name__)))  # noqa: E501
        try:
            m = lin(lib)
            m.register_full_backward_hook(lambda mod, gi, go: log.append(("own",)))
            m(lib.tensor(X, requires_grad=True)).sum().backward()
            try:
                mm.register_module_backward_hook(lambda *a: None)
            except RuntimeError as e:
                log.append(str(e))
        finally:
            h.remove()
            h2.remove()
            mm._global_is_full_backward_hook = None
        return log

    same(run)


def test_global_forward_hooks_fire_before_own_and_kwargs_always_call():
    def run(lib):
        log = []
        mm = lib.nn.modules.module
        hs = [mm.register_module_forward_hook(lambda mod, args, kwargs, out: log.append(("g", kwargs)), with_kwargs=True),  # noqa: E501
              mm.register_module_forward_hook(lambda mod, args, out: log.append("g_always"), always_call=True)]  # noqa: E501
        try:
            m = lib.nn.Module()
            m.forward = lambda x, k=0: x
            m.register_forward_hook(lambda *a: log.append("own"))
            m(1, k=2)
        finally:
            for h in hs:
                h.remove()
        m(1)
        return log

    same(run)


def test_fast_path_flag_follows_global_hooks():
    assert not ember_module._global_hooks_flag.on
    h = ember_module.register_module_forward_pre_hook(lambda *a: None)
    assert ember_module._global_hooks_flag.on
    h.remove()
    assert not ember_module._global_hooks_flag.on


@pytest.mark.parametrize("kind", ["buffer", "module", "parameter"])
def test_global_registration_hooks(kind):
    def run(lib):
        mm = lib.nn.modules.module
        log = []

        def hook(mod, name, value):
            log.append((type(mod).__name__, name, type(value).__name__))
            if kind == "parameter":
                return lib.nn.Parameter(lib.zeros(5))
            if kind == "buffer":
                return lib.zeros(4)
            return None

        h = getattr(mm, f"register_module_{kind}_registration_hook")(hook)
        try:
            m = lib.nn.Module()
            m.p = lib.nn.Parameter(lib.ones(1))
            m.register_buffer("b", lib.ones(1))
            m.c = lib.nn.Identity()
            m.add_module("d", lib.nn.Identity())
            return log, tuple(m.p.shape), tuple(m.b.shape)
        finally:
            h.remove()

    same(run)


def test_hook_on_output_of_sequential_children(rng):
    x = rng.standard_normal((2, 3)).astype(np.float32)

    def run(lib):
        outs = []
        m = lib.nn.Sequential(lin(lib), relu(lib), lin(lib, 1, 2, 2))
        for child in m:
            child.register_forward_hook(lambda mod, args, out: outs.append(np.round(np.asarray(out.tolist()), 5).tolist()))  # noqa: E501
        m(lib.tensor(x))
        return outs

    same(run)


def test_seed_style_forward_and_backward_hooks(rng):
    """The seed registers a forward hook and a legacy backward hook to capture activations."""
    x = rng.standard_normal((4, 3)).astype(np.float32)

    def run(lib):
        acts, grads = {}, {}
        net = lib.nn.Sequential(lin(lib), relu(lib))

        def save_activation(m, i, o):
            acts["fc"] = o.detach().tolist()

        def save_grad(m, grad_input, grad_output):
            grads["fc"] = [g.tolist() for g in grad_output]

        net[0].register_forward_hook(save_activation)
        net[0].register_backward_hook(save_grad)
        with pytest.warns(FutureWarning):
            y = net(lib.tensor(x, requires_grad=True))
        y.sum().backward()
        return np.round(acts["fc"], 5).tolist(), grads["fc"]

    same(run)


def test_full_backward_hook_with_non_tensor_output_warns():
    def run(lib):
        class M(lib.nn.Module):
            def forward(self, x):
                return [x * 2]

        m = M()
        m.register_full_backward_hook(lambda *a: None)
        with pytest.warns(UserWarning, match="module output should be a Tensor or a tuple"):
            out = m(lib.ones(1, requires_grad=True))
        return type(out).__name__

    same(run)


def test_full_backward_hooks_skip_when_grad_disabled():
    def run(lib):
        log = []
        m = lin(lib)
        m.register_full_backward_hook(lambda *a: log.append("bw"))
        with lib.no_grad():
            y = m(lib.tensor(X, requires_grad=True))
        return log, y.requires_grad, y.grad_fn is None

    same(run)


def test_compile_keeps_hooks_and_state_dict_keys():
    # ember only: torch.compile itself is slow and warns here; torch's rules are in the comments.
    log = []
    m = lin(ember)
    m.register_forward_hook(lambda *a: log.append("hook"))
    m.compile()
    assert m._compiled_call_impl is not None
    y = m(ember.tensor(X))
    assert log == ["hook"]  # the compiled call is _call_impl, hooks included
    assert list(m.state_dict()) == ["weight", "bias"]  # no _orig_mod. prefix
    assert tuple(y.shape) == (4, 2)
    assert "_compiled_call_impl" not in m.__getstate__()

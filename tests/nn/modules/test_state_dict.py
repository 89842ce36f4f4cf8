"""state_dict / load_state_dict against torch: keys, order, metadata, errors, hooks."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest
import torch

import ember
import ember.nn as nn

from ._helpers import relu, same


def make(lib):
    class Sub(lib.nn.Module):
        _version = 2

        def __init__(self):
            super().__init__()
            self.w = lib.nn.Parameter(lib.ones(2, 2))
            self.register_buffer("running", lib.zeros(2))
            self.register_buffer("tmp", lib.zeros(1), persistent=False)
            self.register_buffer("nothing", None)
            self.register_parameter("nop", None)

    class N(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.x = lib.nn.Linear(1, 1)
            self.sub = Sub()
            self.seq = lib.nn.Sequential(relu(lib), lib.nn.Linear(2, 2))
            self.gone = None
            self.scalar = lib.nn.Parameter(lib.tensor(1.5))

    return N()


def to_lib(sd, lib):
    """Copy a state_dict of either library into tensors of ``lib`` (same numbers)."""
    return OrderedDict((k, lib.tensor(np.array(v.detach().numpy()))) for k, v in sd.items())


def snapshot(m):
    return {k: v.detach().numpy().copy() for k, v in m.state_dict().items()}


# --- state_dict --------------------------------------------------------------------------------


def test_keys_order_and_metadata():
    def run(lib):
        sd = make(lib).state_dict()
        return list(sd), dict(sd._metadata), type(sd).__name__

    ours = same(run)[1]
    assert ours[0] == ["scalar", "x.weight", "x.bias", "sub.w", "sub.running", "seq.1.weight", "seq.1.bias"]  # noqa: E501


def test_prefix_and_keep_vars():
    def run(lib):
        m = make(lib)
        sd = m.state_dict(prefix="model.")
        kv = m.state_dict(keep_vars=True)
        return (list(sd), dict(sd._metadata), kv["x.weight"] is m.x.weight,
                sd["model.x.weight"] is m.x.weight, sd["model.x.weight"].requires_grad)  # fmt: skip

    same(run)


def test_values_are_detached_aliases():
    m = make(ember)
    sd = m.state_dict()
    assert type(sd["x.weight"]) is ember.Tensor and not sd["x.weight"].requires_grad
    sd["sub.running"].add_(1.0)
    np.testing.assert_array_equal(m.sub.running.numpy(), [1.0, 1.0])


def test_shared_submodules_are_not_deduplicated():
    same(lambda lib: list((lambda lin: lib.nn.Sequential(lin, lin))(lib.nn.Linear(1, 1)).state_dict()))  # noqa: E501


def test_tied_weights_appear_under_both_names():
    def run(lib):
        m = lib.nn.Module()
        m.a = lib.nn.Linear(2, 2)
        m.b = lib.nn.Linear(2, 2)
        m.b.weight = m.a.weight
        return list(m.state_dict()), [n for n, _ in m.named_parameters()]

    same(run)


def test_positional_args_warn():
    def run(lib):
        dest = OrderedDict()
        with pytest.warns(FutureWarning, match="Positional args are being deprecated"):
            lib.nn.Linear(1, 1).state_dict(dest, "p.")
        return list(dest)

    same(run)


def test_extra_state():
    def run(lib):
        class E(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.state = 7

            def get_extra_state(self):
                return {"s": self.state}

            def set_extra_state(self, state):
                self.state = state["s"]

        outer = lib.nn.Sequential(E())
        sd = outer.state_dict()
        fresh = lib.nn.Sequential(E())
        fresh[0].state = 0
        r = fresh.load_state_dict(sd)
        missing = lib.nn.Sequential(E()).load_state_dict({}, strict=False)
        unexpected = lib.nn.Sequential(lib.nn.Module()).load_state_dict({"0._extra_state": 1}, strict=False)  # noqa: E501
        return list(sd), sd["0._extra_state"], fresh[0].state, repr(r), repr(missing), repr(unexpected)  # noqa: E501

    same(run)


# --- load_state_dict ---------------------------------------------------------------------------


def test_round_trip(rng):
    ref = make(torch)
    ours = make(ember)
    with torch.no_grad():
        for p in ref.parameters():
            p.copy_(torch.tensor(rng.standard_normal(tuple(p.shape)).astype(np.float32)))
    w = ours.x.weight
    result = ours.load_state_dict(to_lib(ref.state_dict(), ember))
    assert repr(result) == "<All keys matched successfully>"
    assert ours.x.weight is w  # copied in place
    for k, v in ref.state_dict().items():
        np.testing.assert_array_equal(ours.state_dict()[k].numpy(), v.numpy())
    # and the other way: ember's state_dict loads into torch
    ref2 = make(torch)
    ref2.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})


@pytest.mark.parametrize("edit", [
    "drop x.bias", "drop seq.1.bias", "add zz", "add sub.tmp", "add sub.nothing", "add sub.nop",
    "add gone.weight", "add seq.5.weight", "add sub.deep.er", "shape x.weight", "shape scalar1",
    "shape scalar2", "type sub.w", "drop x.bias;add zz;shape sub.w",
])  # fmt: skip
@pytest.mark.parametrize("strict", [True, False])
def test_errors_and_incompatible_keys(edit, strict):
    def run(lib):
        m = make(lib)
        before = snapshot(m)
        sd = to_lib(make(lib).state_dict(), lib)
        for e in edit.split(";"):
            op, key = e.split(" ")
            if op == "drop":
                del sd[key]
            elif op == "add":
                sd[key] = lib.ones(1)
            elif op == "type":
                sd[key] = np.ones((2, 2))
            elif key == "scalar1":
                sd["scalar"] = lib.tensor([2.5])  # BC: (1,) loads into a 0-dim parameter
            elif key == "scalar2":
                sd["scalar"] = lib.ones(2)
            else:
                sd[key] = lib.ones(3)
        try:
            r = m.load_state_dict(sd, strict=strict)
        except RuntimeError as e:
            if lib is ember:  # ember is stricter: nothing was assigned
                after = snapshot(m)
                assert all(np.array_equal(before[k], after[k]) for k in before)
            return "raised", str(e)
        return repr(r), r.missing_keys, r.unexpected_keys, m.scalar.detach().item()

    same(run)


def test_exact_message_from_reference():
    def run(lib):
        class N(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.x = lib.nn.Linear(1, 1)
                self.y = lib.nn.Linear(1, 1)

        N().load_state_dict({"x.weight": lib.ones(3), "y.weight": lib.ones(1, 1), "zz": lib.ones(1)})  # noqa: E501

    assert same(run) == ("RuntimeError", 'Error(s) in loading state_dict for N:\n\tMissing key(s) in state_dict: "x.bias", "y.bias". \n\tUnexpected key(s) in state_dict: "zz". \n\tsize mismatch for x.weight: copying a param with shape torch.Size([3]) from checkpoint, the shape in current model is torch.Size([1, 1]).')  # noqa: E501


def test_not_a_mapping():
    same(lambda lib: lib.nn.Linear(1, 1).load_state_dict([1, 2]))


def test_copy_casts_and_keeps_objects():
    def run(lib):
        m = lib.nn.Linear(2, 1)
        w = m.weight
        m.load_state_dict({"weight": lib.ones(1, 2, dtype=lib.float64), "bias": lib.zeros(1)})
        return m.weight is w, str(m.weight.dtype), m.weight.requires_grad, m.weight.tolist()

    same(run)


def test_assign_keeps_checkpoint_dtype_and_model_requires_grad():
    def run(lib):
        m = lib.nn.Linear(2, 1)
        m.bias.requires_grad_(False)
        w = m.weight
        src = {"weight": lib.ones(1, 2, dtype=lib.float64),
               "bias": lib.nn.Parameter(lib.zeros(1, dtype=lib.float64))}  # fmt: skip
        m.load_state_dict(src, assign=True)
        return (m.weight is w, type(m.weight).__name__, str(m.weight.dtype), m.weight.requires_grad,
                m.bias is src["bias"], m.bias.requires_grad)  # fmt: skip

    same(run)


def test_buffers_load_and_non_persistent_are_unexpected():
    def run(lib):
        m = make(lib)
        sd = to_lib(m.state_dict(), lib)
        sd["sub.running"] = lib.full((2,), 3.0)
        m.load_state_dict(sd)
        r = m.load_state_dict({**sd, "sub.tmp": lib.ones(1)}, strict=False)
        return m.sub.running.tolist(), r.unexpected_keys

    same(run)


def test_metadata_version_reaches_load_from_state_dict():
    def run(lib):
        seen = []

        class Old(lib.nn.Module):
            _version = 3

            def __init__(self):
                super().__init__()
                self.w = lib.nn.Parameter(lib.zeros(1))

            def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing,
                                      unexpected, errors):  # fmt: skip
                seen.append((prefix, local_metadata.get("version"), strict))
                if local_metadata.get("version") is None:  # an old checkpoint: rename the key
                    state_dict[prefix + "w"] = state_dict.pop(prefix + "old_w")
                super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing,
                                              unexpected, errors)  # fmt: skip

        m = lib.nn.Sequential(Old())
        m.load_state_dict(m.state_dict())
        m.load_state_dict({"0.old_w": lib.ones(1)})
        return seen, m[0].w.tolist()

    same(run)


def test_input_dict_not_mutated_and_metadata_kept():
    def run(lib):
        m = lib.nn.Linear(1, 1)
        sd = m.state_dict()
        keys = list(sd)
        m.load_state_dict(sd, assign=True)
        return list(sd) == keys, dict(sd._metadata)

    same(run)


# --- hooks -------------------------------------------------------------------------------------


def test_state_dict_hooks():
    def run(lib):
        calls = []
        m = lib.nn.Sequential(lib.nn.Linear(1, 1))
        m[0].register_state_dict_pre_hook(lambda mod, prefix, keep: calls.append(("pre", prefix, keep)))  # noqa: E501

        def post(mod, sd, prefix, meta):
            calls.append(("post", prefix, list(sd), dict(meta)))
            sd[prefix + "extra"] = 1

        h = m[0].register_state_dict_post_hook(post)
        keys = list(m.state_dict(keep_vars=True))
        h.remove()
        m[0].register_state_dict_post_hook(lambda *a: 5)
        try:
            m.state_dict()
        except RuntimeError as e:
            calls.append(str(e))
        return calls, keys

    same(run)


def test_private_state_dict_hook_may_replace_at_root():
    def run(lib):
        m = lib.nn.Linear(1, 1)
        m._register_state_dict_hook(lambda mod, sd, prefix, meta: OrderedDict(only=1))
        return dict(m.state_dict())

    same(run)


def test_load_state_dict_hooks():
    def run(lib):
        calls = []
        m = lib.nn.Sequential(lib.nn.Linear(1, 1))

        def pre(mod, sd, prefix, meta, strict, missing, unexpected, errors):
            calls.append(("pre", type(mod).__name__, prefix, sorted(sd), dict(meta), strict))

        def post(mod, keys):
            calls.append(("post", type(mod).__name__, list(keys.missing_keys)))
            keys.missing_keys.clear()  # the hook may forgive missing keys

        m[0].register_load_state_dict_pre_hook(pre)
        m._register_load_state_dict_pre_hook(lambda *a: calls.append(("private", len(a))))
        m.register_load_state_dict_post_hook(post)
        r = m.load_state_dict({"0.weight": lib.ones(1, 1)}, strict=True)
        m.register_load_state_dict_post_hook(lambda mod, keys: 1)
        try:
            m.load_state_dict(m.state_dict())
        except AssertionError:
            calls.append("assert")
        return calls, repr(r)

    same(run)


def test_load_state_dict_from_torch_checkpoint(rng):
    ref = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    ours = nn.Sequential(nn.Linear(3, 4), relu(ember), nn.Linear(4, 2))
    ours.load_state_dict({k: ember.tensor(v.numpy()) for k, v in ref.state_dict().items()})
    x = rng.standard_normal((5, 3)).astype(np.float32)
    np.testing.assert_allclose(ours(ember.tensor(x)).detach().numpy(),
                               ref(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)  # fmt: skip

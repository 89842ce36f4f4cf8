"""nn.Module's attribute protocol, registration, traversal, modes and conversion, against torch."""

from __future__ import annotations

import copy
import importlib.util
import pickle

import numpy as np
import pytest
import torch

import ember
import ember.nn as nn

from ._helpers import relu, same


class Net:
    """Build the same small tree in either library: Net(fc, seq=Sequential(ReLU, Linear))."""

    @staticmethod
    def make(lib):
        class Net(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = lib.nn.Linear(2, 3)
                self.seq = lib.nn.Sequential(relu(lib), lib.nn.Linear(3, 1))
                self.register_buffer("steps", lib.zeros((), dtype=lib.int64))
                self.register_buffer("scratch", lib.zeros(2), persistent=False)

            def forward(self, x):
                return self.seq(self.fc(x))

        return Net()


# --- construction ------------------------------------------------------------------------------


@pytest.mark.parametrize("call", [
    lambda lib: lib.nn.Module(foo=1),
    lambda lib: lib.nn.Module(1, 2),
    lambda lib: type(lib.nn.Module()).__name__,
])  # fmt: skip
def test_init_arguments(call):
    same(call)


def test_plain_attribute_before_super_init_survives():
    def run(lib):
        class M(lib.nn.Module):
            def __init__(self):
                self.early = 5
                super().__init__()

        return M().early

    assert same(run) == ("ok", 5)


@pytest.mark.parametrize("what", ["param", "module", "buffer", "register_parameter"])
def test_assign_before_super_init_errors(what):
    def run(lib):
        class M(lib.nn.Module):
            def __init__(self):
                if what == "param":
                    self.w = lib.nn.Parameter(lib.zeros(1))
                elif what == "module":
                    self.l = lib.nn.Linear(1, 1)
                elif what == "buffer":
                    self.b = lib.nn.Buffer(lib.zeros(1))
                else:
                    self.register_parameter("w", None)
                super().__init__()

        return M()

    assert same(run)[0] == "AttributeError"


def test_call_super_init_passes_arguments_on():
    def run(lib):
        class Base:
            def __init__(self, *args, **kwargs):
                self.got = (args, kwargs)

        class M(lib.nn.Module, Base):
            call_super_init = True

        return M(1, k=2).got

    assert same(run) == ("ok", ((1,), {"k": 2}))


def test_private_state_names_and_types():
    m = nn.Module()
    ref = torch.nn.Module()
    assert list(m.__dict__) == list(ref.__dict__)
    for k in ref.__dict__:
        assert type(m.__dict__[k]) is type(ref.__dict__[k]), k
    assert (m._version, m.dump_patches, m.call_super_init, m._compiled_call_impl) == (1, False, False, None)  # noqa: E501


# --- __setattr__ / __getattr__ / __delattr__ ---------------------------------------------------


def _state(m):
    return (list(m._parameters), list(m._buffers), list(m._modules),
            sorted(m._non_persistent_buffers_set), sorted(k for k in m.__dict__ if not k.startswith("_") and k != "training"))  # noqa: E501


@pytest.mark.parametrize("steps", [
    ["w=P", "w=None"],
    ["w=P", "w=T"],
    ["w=P", "w=1"],
    ["l=M", "l=1"],
    ["l=M", "l=None", "l=M"],
    ["b=B", "b=T", "b=None"],
    ["b=B", "b=1"],
    ["b=Bnp", "b=T"],
    ["x=T"],
    ["x=1", "x=P"],
    ["l=M", "l=P"],
    ["w=P", "w=M"],
    ["w=P", "w=B"],
    ["b=B", "b=P"],
])  # fmt: skip
def test_setattr_routing(steps):
    def run(lib):
        m = lib.nn.Module()
        values = {"P": lambda: lib.nn.Parameter(lib.zeros(1)), "T": lambda: lib.zeros(1),
                  "M": lambda: lib.nn.Linear(1, 1), "B": lambda: lib.nn.Buffer(lib.zeros(1)),
                  "Bnp": lambda: lib.nn.Buffer(lib.zeros(1), persistent=False),
                  "None": lambda: None, "1": lambda: 1}  # fmt: skip
        for step in steps:
            name, value = step.split("=")
            setattr(m, name, values[value]())
        return _state(m)

    same(run)


def test_getattr_finds_registries_and_reports_missing():
    def run(lib):
        m = lib.nn.Module()
        m.register_parameter("p", None)
        m.register_buffer("b", lib.ones(1))
        m.add_module("c", None)
        assert m.p is None and m.c is None and m.b is not None
        return m.nonexist

    assert same(run) == ("AttributeError", "'Module' object has no attribute 'nonexist'")


@pytest.mark.parametrize("name", ["w", "b", "c", "plain", "missing"])
def test_delattr(name):
    def run(lib):
        m = lib.nn.Module()
        m.w = lib.nn.Parameter(lib.zeros(1))
        m.register_buffer("b", lib.zeros(1), persistent=False)
        m.c = lib.nn.Linear(1, 1)
        m.plain = 3
        delattr(m, name)
        return _state(m)

    same(run)


def test_dir_lists_registered_names():
    m = Net.make(ember)
    names = dir(m)
    assert {"fc", "seq", "steps", "scratch", "forward", "training"} <= set(names)
    assert names == sorted(names)
    assert dir(nn.Sequential(nn.Linear(1, 1))) == sorted(dir(nn.Sequential(nn.Linear(1, 1))))
    assert "0" not in dir(nn.Sequential(nn.Linear(1, 1)))


def test_property_raising_attribute_error_inherits_torch_wart():
    def run(lib):
        class M(lib.nn.Module):
            @property
            def foo(self):
                return self.missing_inner

        return M().foo

    assert same(run) == ("AttributeError", "'M' object has no attribute 'foo'")


# --- registration ------------------------------------------------------------------------------


@pytest.mark.parametrize("call", [
    lambda m, lib: m.register_parameter(1, None),
    lambda m, lib: m.register_parameter("a.b", None),
    lambda m, lib: m.register_parameter("", None),
    lambda m, lib: m.register_parameter("training", None),
    lambda m, lib: m.register_parameter("forward", None),
    lambda m, lib: m.register_parameter("p", lib.zeros(1)),
    lambda m, lib: m.register_parameter("p", lib.nn.Parameter(lib.ones(1)) * 2),
    lambda m, lib: m.register_buffer(1, None),
    lambda m, lib: m.register_buffer("a.b", None),
    lambda m, lib: m.register_buffer("", None),
    lambda m, lib: m.register_buffer("training", None),
    lambda m, lib: m.register_buffer("b", 3),
    lambda m, lib: m.add_module("x", 1),
    lambda m, lib: m.add_module(1, None),
    lambda m, lib: m.add_module("training", None),
    lambda m, lib: m.add_module("a.b", None),
    lambda m, lib: m.add_module("", None),
    lambda m, lib: m.register_module("ok", lib.nn.Linear(1, 1)),
    lambda m, lib: setattr(m, "w", lib.zeros(1)),
    lambda m, lib: setattr(m, "l", 1),
    lambda m, lib: setattr(m, "buf", 1),
    lambda m, lib: m.register_parameter("l", None),
    lambda m, lib: m.register_buffer("w", None),
])  # fmt: skip
def test_registration_errors_match_torch(call):
    def run(lib):
        m = lib.nn.Module()
        m.w = lib.nn.Parameter(lib.zeros(1))
        m.l = lib.nn.Linear(1, 1)
        m.register_buffer("buf", lib.zeros(1))
        call(m, lib)
        return _state(m)

    same(run)


def test_non_leaf_parameter_message():
    def run(lib):
        m = lib.nn.Module()
        p = lib.nn.Parameter(lib.ones(1))
        q = lib.nn.Parameter.__new__(lib.nn.Parameter, lib.ones(1))
        q.grad_fn  # noqa: B018
        m.register_parameter("p", p)
        return "fine"

    same(run)


@pytest.mark.parametrize("target", ["", "seq", "seq.1", "seq.9", "fc.weight", "nope.x", "seq.1.weight"])  # noqa: E501
def test_get_submodule(target):
    same(lambda lib: type(Net.make(lib).get_submodule(target)).__name__)


@pytest.mark.parametrize("target", ["fc.weight", "seq.1.bias", "fc.foo", "steps", "fc", "seq.9.weight"])  # noqa: E501
def test_get_parameter(target):
    same(lambda lib: tuple(Net.make(lib).get_parameter(target).shape))


@pytest.mark.parametrize("target", ["steps", "scratch", "fc.weight", "foo", "seq.0.x"])
def test_get_buffer(target):
    same(lambda lib: tuple(Net.make(lib).get_buffer(target).shape))


@pytest.mark.parametrize(("target", "strict", "value"), [
    ("", False, "M"), ("fc", False, 1), ("fc", False, "M"), ("new", True, "M"), ("new", False, "M"),
    ("steps", False, "M"), ("seq.1", True, "M"), ("seq.x.y", False, "M"),
])  # fmt: skip
def test_set_submodule(target, strict, value):
    def run(lib):
        m = Net.make(lib)
        module = lib.nn.Linear(5, 5) if value == "M" else value
        m.set_submodule(target, module, strict=strict)
        return [(n, type(c).__name__) for n, c in m.named_modules()]

    same(run)


# --- traversal ---------------------------------------------------------------------------------


def _names(it):
    return [n for n, _ in it]


@pytest.mark.parametrize("call", [
    lambda m: _names(m.named_modules()),
    lambda m: _names(m.named_modules(prefix="root")),
    lambda m: _names(m.named_modules(remove_duplicate=False)),
    lambda m: _names(m.named_children()),
    lambda m: _names(m.named_parameters()),
    lambda m: _names(m.named_parameters(prefix="p", recurse=False)),
    lambda m: _names(m.named_parameters(remove_duplicate=False)),
    lambda m: _names(m.named_buffers()),
    lambda m: _names(m.named_buffers(recurse=False)),
    lambda m: [type(c).__name__ for c in m.children()],
    lambda m: [type(c).__name__ for c in m.modules()],
    lambda m: [tuple(p.shape) for p in m.parameters()],
    lambda m: [tuple(b.shape) for b in m.buffers()],
    lambda m: list(m.state_dict()),
])  # fmt: skip
def test_traversal_with_shared_and_none_children(call):
    def run(lib):
        shared = lib.nn.Linear(2, 2)
        m = Net.make(lib)
        m.a = shared
        m.b = shared
        m.gone = None
        m.seq.append(shared)
        m.tied = lib.nn.Linear(3, 2)
        m.tied.weight = m.fc.weight
        m.tied.register_parameter("bias", None)
        return call(m)

    same(run)


def test_sequential_duplicates_as_documented():
    def run(lib):
        lin = lib.nn.Linear(1, 1)
        s = lib.nn.Sequential(lin, lin, relu(lib))
        return (_names(s.named_modules()), _names(s.named_modules(remove_duplicate=False)),
                _names(s.named_children()), list(s.state_dict()))  # fmt: skip

    assert same(run)[1][0] == ["", "0", "2"]


def test_apply_is_post_order():
    def run(lib):
        order = []
        outer = lib.nn.Sequential(lib.nn.Sequential(relu(lib)), lib.nn.Linear(1, 1))
        assert outer.apply(lambda m: order.append(type(m).__name__)) is outer
        return order

    assert same(run)[1] == ["ReLU", "Sequential", "Linear", "Sequential"]


# --- modes -------------------------------------------------------------------------------------


def test_train_eval():
    def run(lib):
        m = Net.make(lib)
        out = [m.training]
        assert m.eval() is m
        out.append([c.training for c in m.modules()])
        m.train()
        out.append([c.training for c in m.modules()])
        m.train(mode=False)
        out.append([c.training for c in m.modules()])
        return out

    same(run)
    assert same(lambda lib: lib.nn.Linear(1, 1).train(1)) == ("ValueError", "training mode is expected to be boolean")  # noqa: E501


def test_requires_grad_and_zero_grad(rng):
    x = rng.standard_normal((4, 2)).astype(np.float32)

    def run(lib):
        m = Net.make(lib)
        m.load_state_dict({k: lib.tensor(v.numpy()) for k, v in Net.make(torch).state_dict().items()}) if lib is torch else None  # noqa: E501
        m(lib.tensor(x)).sum().backward()
        grads = [p.grad is not None for p in m.parameters()]
        m.zero_grad(set_to_none=False)
        zeros = [float(p.grad.abs().sum()) for p in m.parameters()]
        m.zero_grad()
        nones = [p.grad is None for p in m.parameters()]
        m.requires_grad_(False)
        return grads, zeros, nones, [p.requires_grad for p in m.parameters()], m.zero_grad()

    same(run)


# --- conversion --------------------------------------------------------------------------------


def test_to_keeps_parameter_identity_and_replaces_buffers():
    m = Net.make(ember)
    (m(ember.ones(1, 2))).sum().backward()
    w, grad, steps, scratch = m.fc.weight, m.fc.weight.grad, m.steps, m.scratch
    assert m.to(ember.float64) is m
    assert m.fc.weight is w and m.fc.weight.grad is grad
    assert w.dtype is ember.float64 and grad.dtype is ember.float64
    assert m.steps is steps and m.steps.dtype is ember.int64  # integers keep dtype (and object)
    assert m.scratch is not scratch and m.scratch.dtype is ember.float64
    assert w.requires_grad


@pytest.mark.parametrize("call", [
    lambda m, lib: m.to(lib.float64),
    lambda m, lib: m.to("cpu"),
    lambda m, lib: m.to("cpu", lib.float16),
    lambda m, lib: m.to(device="cpu", dtype=lib.float64, non_blocking=True),
    lambda m, lib: m.to(lib.zeros(1, dtype=lib.float64)),
    lambda m, lib: m.to(lib.int32),
    lambda m, lib: m.double(),
    lambda m, lib: m.half(),
    lambda m, lib: m.float(),
    pytest.param(lambda m, lib: m.bfloat16(), marks=pytest.mark.skipif(
        importlib.util.find_spec("ml_dtypes") is None, reason="bfloat16 needs ml_dtypes")),
    lambda m, lib: m.cpu(),
    lambda m, lib: m.type(lib.float64),
    lambda m, lib: m.to_empty(device="cpu"),
    lambda m, lib: m.share_memory(),
])  # fmt: skip
def test_conversions_match_torch(call):
    def run(lib):
        m = Net.make(lib)
        out = call(m, lib)
        assert out is m
        return [(k, str(v.dtype), tuple(v.shape)) for k, v in
                [*m.named_parameters(), *m.named_buffers()]]  # fmt: skip

    same(run)


def test_to_complex_warns():
    with pytest.warns(UserWarning, match="Complex modules are a new feature"):
        nn.Linear(1, 1).to(ember.complex64)


def test_cuda_without_gpu_raises_clear_error():
    if ember.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises((AssertionError, RuntimeError), match="CUDA|CuPy|cuda"):
        nn.Linear(1, 1).cuda()


@pytest.mark.gpu
def test_cuda_round_trip_keeps_identity():
    m = nn.Linear(2, 2)
    w = m.weight
    assert m.cuda() is m and m.weight is w and m.weight.is_cuda
    assert m(ember.ones(1, 2, device="cuda")).is_cuda
    assert m.cpu().weight.is_cuda is False


# --- pickling / copying ------------------------------------------------------------------------


def test_deepcopy_keeps_ties_and_hooks():
    m = Net.make(ember)
    m.tied = nn.Linear(3, 2)
    m.tied.weight = m.fc.weight
    m.register_forward_hook(lambda mod, a, out: None)
    c = copy.deepcopy(m)
    assert c.tied.weight is c.fc.weight and c.fc.weight is not m.fc.weight
    assert len(c._forward_hooks) == 1
    np.testing.assert_array_equal(c.fc.weight.detach().numpy(), m.fc.weight.detach().numpy())


def test_getstate_and_setstate_backfill():
    m = nn.Linear(1, 1)
    m._compiled_call_impl = print
    state = m.__getstate__()
    assert "_compiled_call_impl" not in state
    for k in ["_forward_pre_hooks", "_backward_pre_hooks", "_non_persistent_buffers_set",
              "_is_full_backward_hook"]:  # fmt: skip
        del state[k]
    fresh = nn.Linear.__new__(nn.Linear)
    fresh.__setstate__(state)
    assert fresh._forward_pre_hooks == {} and fresh._is_full_backward_hook is None
    assert fresh._non_persistent_buffers_set == set()


def test_module_without_forward():
    same(lambda lib: lib.nn.Module()(1))
    same(lambda lib: lib.nn.ModuleList()(1))


def test_pickle_round_trip_of_plain_module_tree():
    m = nn.Sequential()
    m.flag = 3
    r = pickle.loads(pickle.dumps(m))
    assert r.flag == 3 and repr(r) == "Sequential()"


# --- repr --------------------------------------------------------------------------------------


def test_repr_matches_torch():
    def run(lib):
        class X(lib.nn.Module):
            def extra_repr(self):
                return "a=1\nb=2"

        class Y(lib.nn.Module):
            def extra_repr(self):
                return "only=1"

        class Z(lib.nn.Module):
            def extra_repr(self):
                return "a=1\n\n   \nb=2"

        m = Net.make(lib)
        m.none_child = None
        m.z = Z()
        m.zl = lib.nn.ModuleList([Z(), Z(), X()])
        m.x = X()
        y = Y()
        y.inner = lib.nn.Sequential(lib.nn.Linear(1, 1), lib.nn.Sequential())
        m.y = y
        return [repr(m), repr(X()), repr(Y()), repr(lib.nn.Module()), repr(lib.nn.Sequential()),
                repr(lib.nn.ModuleList()), repr(lib.nn.Flatten()), repr(lib.nn.Identity())]

    same(run)


# --- the seed's snippets, verbatim -------------------------------------------------------------

SEED_INIT = """
@torch.no_grad()
def init_weights(m):
    print(m)
    if type(m) == nn.Linear:
        m.weight.fill_(1.0)
        print(m.weight)
net = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))
net.apply(init_weights)
"""

SEED_TRAIN = """
model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
with torch.no_grad():
    for i, p in enumerate(model.parameters()):
        p.copy_(torch.linspace(-1, 1, p.numel()).reshape(p.shape) * (i + 1) / 4)
x = torch.linspace(-1, 1, 24).reshape(8, 3)
y = x.sum(dim=1, keepdim=True)
for step in range(5):
    loss = ((model(x) - y) ** 2).mean()
    model.zero_grad()
    loss.backward()
    with torch.no_grad():
        for p in model.parameters():
            p -= 0.1 * p.grad
    print(step, round(loss.item(), 5))
"""

SEED_STATE = """
model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
sd = model.state_dict()
print(list(sd.keys()))
clone = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
print(clone.load_state_dict(sd))
print(all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), clone.state_dict().values())))
"""

SEED_MODES = """
model = nn.Sequential(nn.Linear(2, 2), nn.Dropout(p=0.5))
print(model.training, model[1].training)
model.eval()
print(model.training, model[1].training)
x = torch.ones(3, 2)
print(torch.equal(model[1](x), x))
model.train()
print(model[1].training)
model.train(mode=False)
print(model[1].training)
"""


@pytest.mark.parametrize("src", [SEED_INIT, SEED_TRAIN, SEED_STATE, SEED_MODES])
def test_seed_snippets_run_verbatim(src, capsys):
    outputs = []
    for lib in (ember, torch):
        exec(src, {"torch": lib, "nn": lib.nn})  # noqa: S102 - the snippet is the test
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1]


# --- public surface ----------------------------------------------------------------------------


def _signature(fn):
    import inspect

    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    simple = (int, float, str, bool, type(None))
    return [(p.name, p.kind, p.default if isinstance(p.default, simple) else "?")
            for p in sig.parameters.values()]  # fmt: skip


@pytest.mark.parametrize("name", ["Module", "Sequential", "ModuleList", "ModuleDict",
                                  "ParameterList", "ParameterDict", "Linear", "Bilinear",
                                  "Identity", "Flatten", "Unflatten"])  # fmt: skip
def test_methods_and_signatures_match_torch(name):
    ref_cls, our_cls = getattr(torch.nn, name), getattr(nn, name)
    checked = 0
    for attr in sorted(dir(ref_cls)):
        if attr.startswith("__") and attr not in ("__init__", "__call__", "__getitem__", "__setitem__", "__delitem__", "__len__", "__iter__"):  # noqa: E501
            continue
        ref = getattr(ref_cls, attr)
        if not callable(ref) or isinstance(ref, type) or attr == "compile":
            continue
        assert hasattr(our_cls, attr), attr
        assert _signature(getattr(our_cls, attr)) == _signature(ref), attr
        checked += 1
    assert checked > 10

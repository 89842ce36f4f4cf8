"""Sequential, ModuleList, ModuleDict, ParameterList and ParameterDict against torch."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest
import torch

import ember
import ember.nn as nn

from ._helpers import relu, same


def names(m):
    return [n for n, _ in m.named_children()]


def seq(lib, n=4):
    return lib.nn.Sequential(*[lib.nn.Linear(i + 1, i + 2) for i in range(n)])


def desc(m):
    return names(m), [repr(c) for c in m], repr(m)


# --- Sequential --------------------------------------------------------------------------------


@pytest.mark.parametrize("op", [
    lambda s, lib: repr(s[1]),
    lambda s, lib: repr(s[-1]),
    lambda s, lib: s[10],
    lambda s, lib: s[-5],
    lambda s, lib: desc(s[1:3]),
    lambda s, lib: desc(s[::2]),
    lambda s, lib: (s.__delitem__(1), desc(s)),
    lambda s, lib: (s.__delitem__(slice(0, 2)), desc(s)),
    lambda s, lib: (s.__setitem__(0, lib.nn.Identity()), desc(s)),
    lambda s, lib: (s.__setitem__(9, lib.nn.Identity()), desc(s)),
    lambda s, lib: desc(s.append(lib.nn.Identity())),
    lambda s, lib: desc(s.insert(1, lib.nn.Identity())),
    lambda s, lib: desc(s.insert(-1, lib.nn.Identity())),
    lambda s, lib: desc(s.insert(4, lib.nn.Identity())),
    lambda s, lib: s.insert(6, lib.nn.Identity()),
    lambda s, lib: desc(s.extend([lib.nn.Identity(), lib.nn.Flatten()])),
    lambda s, lib: (repr(s.pop(1)), desc(s)),
    lambda s, lib: (desc(s.pop(slice(1, 3))), desc(s)),
    lambda s, lib: desc(s + lib.nn.Sequential(lib.nn.Identity())),
    lambda s, lib: s + lib.nn.ModuleList(),
    lambda s, lib: (s.__iadd__(lib.nn.Sequential(lib.nn.Identity())), desc(s))[1],
    lambda s, lib: desc(s[:2] * 2),
    lambda s, lib: desc(2 * s[:2]),
    lambda s, lib: (lambda t: (t[0] is t[2], desc(t)))(s[:2] * 2),
    lambda s, lib: s * 0,
    lambda s, lib: s * 1.5,
    lambda s, lib: (s.__imul__(2), desc(s))[1],
    lambda s, lib: len(s),
    lambda s, lib: [n for n in dir(s) if n.isdigit()],
    lambda s, lib: desc(lib.nn.Sequential(OrderedDict([("conv", lib.nn.Linear(1, 1)), ("act", relu(lib))]))),  # noqa: E501
    lambda s, lib: repr(lib.nn.Sequential(OrderedDict([("conv", lib.nn.Linear(1, 1))])).conv),
    lambda s, lib: lib.nn.Sequential({"a": lib.nn.Linear(1, 1)}),
    lambda s, lib: (lambda o: (o.__delitem__(0), names(o))[1])(lib.nn.Sequential(OrderedDict(a=lib.nn.Identity(), b=lib.nn.Identity()))),  # noqa: E501
])  # fmt: skip
def test_sequential_ops(op):
    same(lambda lib: op(seq(lib), lib))


def test_sequential_insert_type_check():
    ours = pytest.raises(AssertionError, nn.Sequential().insert, 0, 1)
    ref = pytest.raises(AssertionError, torch.nn.Sequential().insert, 0, 1)
    assert str(ours.value).replace("ember", "torch") == str(ref.value)


def test_sequential_forward_matches_torch(rng):
    x = rng.standard_normal((5, 1)).astype(np.float32)
    ref = seq(torch)
    ours = seq(ember)
    ours.load_state_dict({k: ember.tensor(v.numpy()) for k, v in ref.state_dict().items()})
    np.testing.assert_allclose(ours(ember.tensor(x)).detach().numpy(),
                               ref(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)  # fmt: skip


# --- ModuleList --------------------------------------------------------------------------------


def mlist(lib):
    return lib.nn.ModuleList([lib.nn.Linear(1, 1), lib.nn.Linear(1, 1), lib.nn.Linear(1, 1), relu(lib), lib.nn.Linear(1, 2)])  # noqa: E501


@pytest.mark.parametrize("op", [
    lambda m, lib: repr(m),
    lambda m, lib: repr(lib.nn.ModuleList([lib.nn.Sequential(lib.nn.Linear(1, 1)), lib.nn.Sequential(lib.nn.Linear(1, 1))])),  # noqa: E501
    lambda m, lib: repr(m[1]),
    lambda m, lib: m[7],
    lambda m, lib: desc(m[1:4]),
    lambda m, lib: type(m[1:]).__name__,
    lambda m, lib: (m.__setitem__(-1, lib.nn.Identity()), desc(m)),
    lambda m, lib: (m.__delitem__(slice(0, 2)), desc(m)),
    lambda m, lib: (m.__delitem__(-2), desc(m)),
    lambda m, lib: (m.insert(1, lib.nn.Identity()), desc(m)),
    lambda m, lib: (m.insert(0, 5), names(m)),
    lambda m, lib: desc(m.append(lib.nn.Identity())),
    lambda m, lib: desc(m.extend([lib.nn.Identity()])),
    lambda m, lib: m.extend(lib.nn.Identity()),
    lambda m, lib: m.extend(3),
    lambda m, lib: (repr(m.pop(0)), desc(m)),
    lambda m, lib: desc(m + [lib.nn.Identity()]),
    lambda m, lib: (m.__iadd__([lib.nn.Identity()]), desc(m))[1],
    lambda m, lib: m(1),
    lambda m, lib: len(m),
    lambda m, lib: [n for n, _ in m.named_parameters()],
])  # fmt: skip
def test_module_list_ops(op):
    same(lambda lib: op(mlist(lib), lib))


# --- ModuleDict --------------------------------------------------------------------------------


def mdict(lib):
    return lib.nn.ModuleDict({"b": lib.nn.Linear(1, 1), "a": relu(lib)})


@pytest.mark.parametrize("op", [
    lambda d, lib: desc(d),
    lambda d, lib: list(d.keys()),
    lambda d, lib: [type(v).__name__ for v in d.values()],
    lambda d, lib: [k for k, _ in d.items()],
    lambda d, lib: list(d),
    lambda d, lib: ("a" in d, "z" in d, len(d)),
    lambda d, lib: d["z"],
    lambda d, lib: (d.__delitem__("a"), list(d)),
    lambda d, lib: (repr(d.pop("b")), list(d)),
    lambda d, lib: (d.clear(), list(d)),
    lambda d, lib: d.__setitem__("type", lib.nn.Identity()),
    lambda d, lib: d.__setitem__("keys", lib.nn.Identity()),
    lambda d, lib: (d.update([("z", lib.nn.Identity()), ("y", lib.nn.Identity())]), list(d)),
    lambda d, lib: (d.update(OrderedDict(z=lib.nn.Identity(), c=lib.nn.Identity())), list(d)),
    lambda d, lib: (d.update(lib.nn.ModuleDict({"q": lib.nn.Identity()})), list(d)),
    lambda d, lib: d.update([lib.nn.Identity()]),
    lambda d, lib: d.update([1]),
    lambda d, lib: d.update([("a", lib.nn.Identity(), 3)]),
    lambda d, lib: d.update(3),
    lambda d, lib: d(1),
    lambda d, lib: list(d.state_dict()),
])  # fmt: skip
def test_module_dict_ops(op):
    same(lambda lib: op(mdict(lib), lib))


# --- ParameterList / ParameterDict -------------------------------------------------------------


def plist(lib):
    return lib.nn.ParameterList([lib.zeros(2, 3), lib.nn.Parameter(lib.ones(1)), 5, "s"])


@pytest.mark.parametrize("op", [
    lambda p, lib: repr(p),
    lambda p, lib: [type(v).__name__ for v in p],
    lambda p, lib: [n for n, _ in p.named_parameters()],
    lambda p, lib: list(p.state_dict()),
    lambda p, lib: (len(p), p[2], p[-1], type(p[0]).__name__, p[0].requires_grad),
    lambda p, lib: p[9],
    lambda p, lib: [type(v).__name__ for v in p[1:3]],
    lambda p, lib: repr(p[:2]),
    lambda p, lib: (p.__setitem__(1, lib.zeros(4)), repr(p))[1],
    lambda p, lib: repr(p.append(lib.zeros(1, dtype=lib.float64))),
    lambda p, lib: repr(p.extend([lib.zeros(1)])),
    lambda p, lib: p.extend(lib.zeros(2)),
    lambda p, lib: p.extend(3),
    lambda p, lib: (p.__iadd__([lib.ones(1)]), len(p))[1],
    lambda p, lib: p(1),
    lambda p, lib: [n for n in dir(p) if n.isdigit()],
    lambda p, lib: repr(lib.nn.ParameterList()),
])  # fmt: skip
def test_parameter_list_ops(op):
    same(lambda lib: op(plist(lib), lib))


def pdict(lib):
    return lib.nn.ParameterDict({"b": lib.zeros(1), "a": lib.nn.Parameter(lib.ones(2, 2)), "c": 3})


@pytest.mark.parametrize("op", [
    lambda d, lib: repr(d),
    lambda d, lib: list(d.keys()),
    lambda d, lib: [n for n, _ in d.named_parameters()],
    lambda d, lib: list(d.state_dict()),
    lambda d, lib: ("a" in d, len(d), list(reversed(d)), d.get("zz", 9), d.get("c")),
    lambda d, lib: d[1],
    lambda d, lib: d["zz"],
    lambda d, lib: (d.update({"z": lib.zeros(1), "y": lib.zeros(1)}), list(d))[1],
    lambda d, lib: (d.update(OrderedDict(z=lib.zeros(1), y=lib.zeros(1))), list(d))[1],
    lambda d, lib: (d.update([("z", lib.zeros(1)), ("y", lib.zeros(1))]), list(d))[1],
    lambda d, lib: d.update([1]),
    lambda d, lib: d.update([("a",)]),
    lambda d, lib: d.update(3),
    lambda d, lib: (d.__delitem__("a"), list(d))[1],
    lambda d, lib: (tuple(d.pop("a").shape), list(d)),
    lambda d, lib: (d.popitem()[0], list(d)),
    lambda d, lib: (d.setdefault("n", lib.ones(3)).shape, list(d)),
    lambda d, lib: (d.clear(), list(d), len(d))[1:],
    lambda d, lib: list(d.copy()),
    lambda d, lib: list(d.fromkeys(["x", "y"], lib.zeros(1))),
    lambda d, lib: list(d | lib.nn.ParameterDict({"q": lib.zeros(1)})),
    lambda d, lib: (d.__ior__(lib.nn.ParameterDict({"q": lib.zeros(1)})), list(d))[1],
    lambda d, lib: d(),
    lambda d, lib: d.__setitem__("keys", lib.zeros(1)),
])  # fmt: skip
def test_parameter_dict_ops(op):
    same(lambda lib: op(pdict(lib), lib))


def test_containers_register_for_traversal_and_to():
    m = nn.Module()
    m.layers = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2)])
    m.params = nn.ParameterList([ember.zeros(2)])
    m.pd = nn.ParameterDict({"w": ember.zeros(1)})
    w = m.params[0]
    m.double()
    assert m.params[0] is w and w.dtype is ember.float64
    assert [n for n, _ in m.named_parameters()] == ["layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias", "params.0", "pd.w"]  # noqa: E501

"""Tensor creation, dtypes and promotion, conversion, the Python protocol — against torch."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import ember


def _err(fn):
    out = []
    for lib in (ember, torch):
        with pytest.raises(Exception) as info:  # noqa: PT011
            fn(lib)
        out.append((type(info.value).__name__, str(info.value)))
    return out


CREATION = [
    lambda lib: lib.tensor([1.0, 2.0]),
    lambda lib: lib.tensor(3.5),
    lambda lib: lib.tensor([1, 2, 3]),
    lambda lib: lib.tensor([True, False]),
    lambda lib: lib.tensor([[1, 2], [3, 4]], dtype=lib.float64),
    lambda lib: lib.tensor(np.arange(3, dtype=np.float64)),
    lambda lib: lib.tensor(np.arange(3, dtype=np.int32)),
    lambda lib: lib.tensor([lib.tensor(1.0), lib.tensor(2.0)]),
    lambda lib: lib.zeros(2, 3),
    lambda lib: lib.ones((2, 3), dtype=lib.int32),
    lambda lib: lib.full((2,), 7),
    lambda lib: lib.full((2,), 7.0),
    lambda lib: lib.full((2,), True),
    lambda lib: lib.arange(5),
    lambda lib: lib.arange(0, 1, 0.25),
    lambda lib: lib.arange(1, 10, 3, dtype=lib.float32),
    lambda lib: lib.linspace(0, 1, 5),
    lambda lib: lib.eye(3, 2),
    lambda lib: lib.zeros_like(lib.ones(2, dtype=lib.int64)),
    lambda lib: lib.full_like(lib.ones(2), 3),
    lambda lib: lib.ones(2).new_zeros(3),
    lambda lib: lib.ones(2, dtype=lib.float64).new_ones((2, 2)),
    lambda lib: lib.ones(2).new_tensor([1, 2]),
    lambda lib: lib.ones(2).new_full((2,), 5),
    lambda lib: lib.tril_indices(3, 3),
    lambda lib: lib.empty(2, 0).shape,
]


@pytest.mark.parametrize("make", CREATION)
def test_creation_matches_torch(make):
    e, t = make(ember), make(torch)
    if isinstance(t, torch.Tensor):
        assert repr(e) == repr(t)
        assert repr(e.dtype) == repr(t.dtype)
    else:
        assert tuple(e) == tuple(t) and repr(e) == repr(t)


PROMOTION = [
    lambda lib: lib.tensor([1, 2]) * 0.5,
    lambda lib: lib.tensor([1, 2]) / 2,
    lambda lib: lib.tensor([3, 4]) // 2,
    lambda lib: lib.tensor([1, 2], dtype=lib.int32).sum(),
    lambda lib: lib.ones(2, dtype=lib.float16) + lib.ones(2),
    lambda lib: lib.ones(2, dtype=lib.float16) * 2.5,
    lambda lib: lib.ones(2) + lib.tensor(1.0, dtype=lib.float64),
    lambda lib: lib.ones(2, dtype=lib.int32) + lib.tensor(1, dtype=lib.int64),
    lambda lib: lib.ones(2, dtype=lib.int32) + lib.ones(2, dtype=lib.int64),
    lambda lib: lib.ones(2, dtype=lib.uint8) + 300,
    lambda lib: lib.ones(2, dtype=lib.bool) + 1,
    lambda lib: lib.ones(2, dtype=lib.bool) + lib.ones(2, dtype=lib.bool),
    lambda lib: lib.tensor([True]) * 2.0,
    lambda lib: lib.tensor([1, 2]) + lib.tensor(1.5),
    lambda lib: 2 ** lib.tensor([1, 2]),
    lambda lib: lib.tensor([1.0, 4.0]) ** 0.5,
    lambda lib: lib.tensor([1, 2]).float().mean(),
    lambda lib: lib.tensor([1.0, 2.0, 4.0]).var(),
    lambda lib: lib.tensor([1.0, 2.0, 4.0]).std(),
    lambda lib: lib.tensor([[1, 2], [3, 4]]).max(1),
    lambda lib: lib.tensor([[1.0, 5.0], [3.0, 4.0]]).min(dim=0),
    lambda lib: lib.tensor([3, 1, 2]).sort(),
    lambda lib: lib.tensor([3, 1, 2]).argmax(),
    lambda lib: lib.tensor([1, 2, 2, 3]).unique(),
    lambda lib: lib.tensor([1.0, -2.0]).abs().sum(dtype=lib.float64),
    lambda lib: lib.tensor([0.5, 1.5, 2.5, -0.5]).round(),
    lambda lib: lib.tensor([[1.0, 2.0]]).T.is_contiguous(),
    lambda lib: lib.tensor([[1.0, 2.0], [3.0, 4.0]]).stride(),
    lambda lib: lib.tensor([1, 2]) == lib.tensor([1, 3]),
    lambda lib: (lib.tensor([1.0, 2.0]) > 1).dtype,
    lambda lib: lib.arange(6).reshape(2, 3)[:, 1],
    lambda lib: lib.where(lib.tensor([True, False]), 1.0, lib.tensor([5.0, 6.0])),
]


@pytest.mark.parametrize("expr", PROMOTION)
def test_results_and_dtypes_match_torch(expr):
    e, t = expr(ember), expr(torch)
    assert repr(e) == repr(t)


def test_int_mean_error():
    (et, em), (tt, tm) = _err(lambda lib: lib.tensor([1, 2]).mean())
    assert et == tt and em == tm


ERRORS = [
    lambda lib: lib.ones(2, 3).view(4),
    lambda lib: lib.ones(2, 3).t().view(6),
    lambda lib: lib.ones(2, 3).item(),
    lambda lib: bool(lib.ones(2)),
    lambda lib: lib.ones(2, 3) @ lib.ones(2, 3),
    lambda lib: lib.mm(lib.ones(2, 3), lib.ones(2, 3, dtype=lib.float64)),
    lambda lib: lib.ones(2, 3).permute(0),
    lambda lib: lib.ones(2, 3).sum(2),
    lambda lib: lib.ones(2, 3).expand(3, 3),
    lambda lib: lib.cat([lib.ones(2, 3), lib.ones(3, 2)]),
    lambda lib: lib.stack([lib.ones(2), lib.ones(3)]),
    lambda lib: lib.ones(3)[5],
    lambda lib: lib.ones(2).add_(lib.ones(3)),
    lambda lib: lib.ones(2, dtype=lib.int64).add_(1.5),
    lambda lib: lib.ones(2) - lib.ones(2, dtype=lib.bool) if False else lib.ones(2, dtype=lib.bool) - lib.ones(2, dtype=lib.bool),  # noqa: E501
    lambda lib: -lib.ones(2, dtype=lib.bool),
    lambda lib: lib.ones(2, 2).masked_fill(lib.ones(2, 2), 0.0),
    lambda lib: len(lib.tensor(1.0)),
    lambda lib: lib.ones(2, 1).add_(lib.ones(3)),
    lambda lib: lib.ones(2, 3) + lib.ones(4, 1, 2),
    lambda lib: lib.zeros(2).split([1, 2]),
    lambda lib: lib.ones(2, 3).flatten(2, 1),
    lambda lib: lib.ones(2, 3).squeeze(3),
]


@pytest.mark.parametrize("fn", ERRORS)
def test_errors_match_torch(fn):
    (et, em), (tt, tm) = _err(fn)
    assert et == tt, (em, tm)
    assert em == tm


def test_size_behaves_like_torch():
    s = ember.ones(2, 3).shape
    assert s == (2, 3) and isinstance(s, tuple)
    assert repr(s) == "torch.Size([2, 3])"
    assert s.numel() == 6
    assert repr(s[1:]) == "torch.Size([3])"
    assert ember.ones(2, 3).size(-1) == 3


def test_python_protocol():
    x = ember.tensor([1.5, 2.5])
    assert len(x) == 2
    assert [float(v) for v in x] == [1.5, 2.5]
    assert [10, 20, 30][ember.tensor(1)] == 20
    assert int(ember.tensor(3.7)) == 3
    assert f"{ember.tensor(2.5):.2f}" == "2.50"
    assert x.tolist() == [1.5, 2.5]
    assert ember.tensor([[1, 2]]).tolist() == [[1, 2]]
    assert ember.tensor(5).item() == 5 and isinstance(ember.tensor(5).item(), int)
    assert x.numel() == 2 and x.dim() == 1 and x.ndim == 1
    assert x.element_size() == 4 and x.nbytes == 8


def test_conversions_match_torch():
    for conv in ("float", "double", "half", "long", "int", "bool", "short", "char", "byte"):
        e = getattr(ember.tensor([1.5, -2.0]), conv)()
        t = getattr(torch.tensor([1.5, -2.0]), conv)()
        assert repr(e) == repr(t)
    assert ember.ones(2).type() == torch.ones(2).type() == "torch.FloatTensor"
    assert ember.ones(2).type(ember.float64).dtype is ember.float64
    assert ember.ones(2).type("torch.LongTensor").dtype is ember.int64
    assert ember.typename(ember.ones(2, dtype=ember.int64)) == "torch.LongTensor"
    x = ember.ones(2)
    assert x.to(ember.float32) is x
    assert x.to("cpu") is x
    assert x.to(ember.ones(1, dtype=ember.float64)).dtype is ember.float64
    assert x.to("cpu", ember.int32).dtype is ember.int32


def test_to_records_gradient_cast():
    x = ember.ones(2, requires_grad=True)
    y = x.double() * 2
    assert y.grad_fn.next_functions[0][0].name() == "ToCopyBackward0"
    y.sum().backward()
    assert x.grad.dtype is ember.float32 and x.grad.tolist() == [2.0, 2.0]


def test_default_dtype_switch():
    try:
        ember.set_default_dtype(ember.float64)
        assert ember.tensor([1.0]).dtype is ember.float64
        assert (ember.tensor([1, 2]) / 2).dtype is ember.float64
    finally:
        ember.set_default_dtype(ember.float32)
    assert ember.get_default_dtype() is ember.float32


def test_random_factories_semantics():
    ember.manual_seed(1)
    a = ember.rand(1000)
    ember.manual_seed(1)
    b = ember.rand(1000)
    assert ember.equal(a, b)
    assert a.min().item() >= 0 and a.max().item() < 1 and a.dtype is ember.float32
    n = ember.randn(4000)
    assert abs(n.mean().item()) < 0.1 and abs(n.std().item() - 1) < 0.1
    r = ember.randint(3, 7, (500,))
    assert r.dtype is ember.int64 and r.min().item() >= 3 and r.max().item() <= 6
    p = ember.randperm(10)
    assert sorted(p.tolist()) == list(range(10))
    g = ember.Generator().manual_seed(3)
    assert ember.equal(ember.randperm(5, generator=g), ember.randperm(5, generator=ember.Generator().manual_seed(3)))  # noqa: E501
    m = ember.multinomial(ember.tensor([0.0, 1.0, 0.0]), 4, replacement=True)
    assert m.tolist() == [1, 1, 1, 1]
    x = ember.empty(1000).uniform_(-2, 2)
    assert x.min().item() >= -2 and x.max().item() <= 2
    y = ember.empty(2000).normal_(5, 0.1)
    assert abs(y.mean().item() - 5) < 0.05


shapes = st.lists(st.integers(1, 3), min_size=0, max_size=3)


@settings(max_examples=40, deadline=None)
@given(shapes, shapes, st.sampled_from(["add", "mul", "sub", "div", "maximum"]))
def test_broadcasting_and_gradient_shapes_match_torch(sa, sb, op):
    rng = np.random.default_rng(len(sa) * 7 + len(sb))
    a = rng.uniform(0.5, 2.0, sa).astype(np.float32)
    b = rng.uniform(0.5, 2.0, sb).astype(np.float32)
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        (et, _), (tt, _) = _err(lambda lib: getattr(lib, op)(lib.tensor(a), lib.tensor(b)))
        assert et == tt
        return
    res = []
    for lib in (ember, torch):
        x, y = lib.tensor(a, requires_grad=True), lib.tensor(b, requires_grad=True)
        out = getattr(lib, op)(x, y)
        (out * out).sum().backward()
        res.append((out.detach().numpy(), x.grad.numpy(), y.grad.numpy()))
    for e, t in zip(*res):
        assert e.shape == t.shape
        np.testing.assert_allclose(e, t, rtol=1e-5)


def test_explicit_dtype_takes_python_floats_at_full_precision():
    for v in ([2.001, 1e-8], [0.1], 1.0000001):
        for name in ("float64", "float16", "complex128"):
            a = torch.tensor(v, dtype=getattr(torch, name))
            e = ember.tensor(v, dtype=getattr(ember, name))
            np.testing.assert_array_equal(e.numpy(), a.numpy())
    assert ember.as_tensor([2.001], dtype=ember.float64).item() == 2.001


def test_complex_data_into_a_real_dtype_raises_like_torch():
    for name in ("float64", "int32"):
        with pytest.raises(TypeError) as ours:
            ember.tensor([1 + 2j], dtype=getattr(ember, name))
        with pytest.raises(TypeError) as ref:
            torch.tensor([1 + 2j], dtype=getattr(torch, name))
        assert str(ours.value) == str(ref.value)


def test_cast_to_an_integer_dtype_drops_the_graph_like_torch():
    for lib in (torch, ember):
        x = lib.ones(2, requires_grad=True) * 2
        for y in (x.int(), x.long(), x.bool(), x.to(lib.int32), x.type(lib.int64)):
            assert not y.requires_grad and y.grad_fn is None
        assert x.double().requires_grad and x.double().grad_fn is not None

"""Legacy tensor types (ember.FloatTensor, ...) against torch's."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
import torch

import ember
from ember import _legacy as L

NAMES = ["FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor", "ShortTensor",
         "CharTensor", "ByteTensor", "BoolTensor"]


@pytest.mark.parametrize("name", NAMES)
def test_construct_like_torch(name):
    ours, ref = getattr(L, name), getattr(torch, name)
    assert repr(ours) == repr(ref)
    assert ours.__name__ == ref.__name__
    assert repr(ours.dtype) == repr(ref.dtype)
    assert ours.is_cuda is ref.is_cuda is False
    for args in ((2, 3), (ember.Size([2, 2]),), ()):
        targs = tuple(torch.Size(a) if isinstance(a, ember.Size) else a for a in args)
        x, y = ours(*args), ref(*targs)
        assert tuple(x.shape) == tuple(y.shape)
        assert repr(x.dtype) == repr(y.dtype)
        assert type(x) is ember.Tensor
    data = [[1.7, -2.2], [0.0, 3.5]] if "Bool" not in name and "Byte" not in name else [[1, 0], [0, 1]]  # noqa: E501
    x, y = ours(data), ref(data)
    assert repr(x) == repr(y)
    assert x.requires_grad is False


@pytest.mark.parametrize("name", NAMES)
def test_isinstance_like_torch(name):
    ours, ref = getattr(L, name), getattr(torch, name)
    for dt in ("float32", "float64", "int64", "int32", "uint8", "bool", "float16", "complex64"):
        a, b = ember.zeros(2, dtype=getattr(ember, dt)), torch.zeros(2, dtype=getattr(torch, dt))
        assert isinstance(a, ours) == isinstance(b, ref), (name, dt)
        assert isinstance(a, L.cuda_types[name]) == isinstance(b, getattr(torch.cuda, name)) is False  # noqa: E501
    assert not isinstance(3.0, ours)
    assert not isinstance(np.zeros(2), ours)


def test_tensor_passthrough_and_errors():
    x = ember.zeros(2, dtype=ember.int32)
    assert L.IntTensor(x) is x
    errors = []
    for lib in (L, torch):
        zeros = ember.zeros if lib is L else torch.zeros
        for call in (lambda: lib.IntTensor(zeros(2)), lambda: lib.FloatTensor(2.5),
                     lambda: lib.cuda_types["FloatTensor"](2) if lib is L else torch.cuda.FloatTensor(2)):  # noqa: E501
            with pytest.raises(TypeError) as e:
                call()
            errors.append(str(e.value))
    if ember.cuda.is_available():
        errors = errors[:2] + errors[3:5]
    assert errors[: len(errors) // 2] == errors[len(errors) // 2:]
    with pytest.raises(TypeError):
        L.FloatTensor(2, 3, dtype=ember.float64)


def test_type_casts_and_names(rng):
    a = rng.standard_normal(3).astype(np.float32)
    x, y = ember.tensor(a), torch.tensor(a)
    for name in ("DoubleTensor", "IntTensor", "HalfTensor"):
        assert repr(x.type(getattr(L, name))) == repr(y.type(getattr(torch, name)))
        assert x.type(getattr(L, name)).type() == y.type(getattr(torch, name)).type()
    assert ember.typename(x) == torch.typename(y) == "torch.FloatTensor"
    assert L.cuda_types["LongTensor"].is_cuda
    assert repr(L.cuda_types["LongTensor"]) == repr(torch.cuda.LongTensor)


def test_bfloat16_type_exists():
    assert repr(L.BFloat16Tensor) == repr(torch.BFloat16Tensor)
    assert repr(L.BFloat16Tensor.dtype) == "torch.bfloat16"


def test_lazy_attr_table_resolves():
    assert set(L.LAZY_ATTRS) == {f"{n}Tensor" for n in ("BFloat16", *[n[:-6] for n in NAMES])}
    for name, (mod, attr) in L.LAZY_ATTRS.items():
        assert getattr(importlib.import_module(f"ember.{mod}"), attr) is getattr(L, name)
        if hasattr(ember, name):  # once the lead wires it
            assert getattr(ember, name) is getattr(L, name)
    assert set(L.CUDA_LAZY_ATTRS) == set(L.LAZY_ATTRS)


def test_isinstance_parameters_and_sparse_like_torch():
    from ember._sparse import sparse_coo_tensor

    assert isinstance(ember.nn.Parameter(ember.zeros(2)), L.FloatTensor)
    assert isinstance(torch.nn.Parameter(torch.zeros(2)), torch.FloatTensor)
    assert not isinstance(sparse_coo_tensor([[0]], [1.0], (2,)), L.FloatTensor)
    assert not isinstance(torch.sparse_coo_tensor([[0]], [1.0], (2,), check_invariants=True), torch.FloatTensor)  # noqa: E501

"""nn.Parameter and nn.Buffer against torch."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

import ember
import ember.nn as nn


def _outcome(fn):
    try:
        return "ok", fn()
    except Exception as e:  # noqa: BLE001 - the exception itself is what we compare
        return type(e).__name__, str(e)


@pytest.mark.parametrize("requires_grad", [True, False])
def test_repr_and_flags_match_torch(requires_grad, rng):
    a = rng.standard_normal((2, 3)).astype(np.float32)
    p = nn.Parameter(ember.tensor(a), requires_grad=requires_grad)
    ref = torch.nn.Parameter(torch.tensor(a), requires_grad=requires_grad)
    assert repr(p) == repr(ref)
    assert p.requires_grad is ref.requires_grad
    assert p.is_leaf and p.grad_fn is None
    assert isinstance(p, ember.Tensor) and isinstance(p, nn.Parameter)


def test_empty_parameter_repr():
    assert repr(nn.Parameter()) == repr(torch.nn.Parameter())


def test_shares_memory_with_data():
    t = ember.zeros(3)
    p = nn.Parameter(t)
    with ember.no_grad():
        p.add_(1.0)
    np.testing.assert_array_equal(t.numpy(), [1.0, 1.0, 1.0])


def test_from_non_leaf_is_a_leaf():
    x = ember.ones(2, requires_grad=True)
    p = nn.Parameter(x * 2)
    ref = torch.nn.Parameter(torch.ones(2, requires_grad=True) * 2)
    assert (p.is_leaf, p.grad_fn, p.requires_grad) == (ref.is_leaf, None, ref.requires_grad)


def test_ops_return_plain_tensors():
    p = nn.Parameter(ember.ones(2))
    assert type(p * 2) is ember.Tensor
    assert type(p.data) is ember.Tensor
    assert type(p.detach()) is ember.Tensor
    assert p.detach().requires_grad is False


@pytest.mark.parametrize("make", [
    lambda m: m.nn.Parameter(m.zeros(2, dtype=m.int64)),
    lambda m: m.nn.Parameter([1.0]),
])  # fmt: skip
def test_errors_match_torch(make):
    assert _outcome(lambda: make(ember)) == _outcome(lambda: make(torch))


def test_integer_parameter_without_grad():
    p = nn.Parameter(ember.zeros(2, dtype=ember.int64), requires_grad=False)
    ref = torch.nn.Parameter(torch.zeros(2, dtype=torch.int64), requires_grad=False)
    assert repr(p) == repr(ref)


def test_parameter_may_carry_attributes():
    p = nn.Parameter(ember.ones(1))
    p.my_flag = True
    assert p.my_flag is True
    assert p.__dict__ == {"my_flag": True}


def test_deepcopy_copies_values_and_keeps_class():
    p = nn.Parameter(ember.ones(2), requires_grad=False)
    q = copy.deepcopy(p)
    assert type(q) is nn.Parameter and q is not p
    assert q.requires_grad is False
    with ember.no_grad():
        q.add_(1.0)
    np.testing.assert_array_equal(p.numpy(), [1.0, 1.0])


def test_deepcopy_keeps_ties_through_memo():
    p = nn.Parameter(ember.ones(2))
    a, b = copy.deepcopy([p, p])
    assert a is b


def test_grad_flows_into_parameter():
    p = nn.Parameter(ember.tensor([1.0, 2.0]))
    (p * p).sum().backward()
    np.testing.assert_array_equal(p.grad.numpy(), [2.0, 4.0])


@pytest.mark.parametrize("persistent", [True, False])
def test_buffer_is_a_tagged_plain_tensor(persistent):
    t = ember.ones(2)
    b = nn.Buffer(t, persistent=persistent)
    ref = torch.nn.Buffer(torch.ones(2), persistent=persistent)
    assert type(b) is ember.Tensor and type(ref) is torch.Tensor
    assert isinstance(b, nn.Buffer) and isinstance(ref, torch.nn.Buffer)
    assert not isinstance(t, nn.Buffer)
    assert not isinstance(nn.Parameter(ember.ones(1)), nn.Buffer)
    assert repr(b) == repr(ref)
    b.add_(1.0)
    np.testing.assert_array_equal(t.numpy(), [2.0, 2.0])  # a detached alias

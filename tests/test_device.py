"""Device objects and the CPU-side CUDA bookkeeping (no GPU needed)."""

from __future__ import annotations

import pytest
import torch

import ember


@pytest.mark.parametrize("args", [("cpu",), ("cuda",), ("cuda:1",), ("cuda", 1), ("cuda:0",)])
def test_device_repr_str_eq_match_torch(args):
    e, t = ember.device(*args), torch.device(*args)
    assert repr(e) == repr(t)
    assert str(e) == str(t)
    assert e.type == t.type and e.index == t.index
    assert e == ember.device(str(t))
    assert hash(e) == hash(ember.device(*args))


@pytest.mark.parametrize("bad", ["gpu", "cuda:x", "cuda:-1"])
def test_bad_device_strings_raise_runtime_error(bad):
    with pytest.raises(RuntimeError):
        torch.device(bad)
    with pytest.raises(RuntimeError):
        ember.device(bad)


def test_tensor_device_attributes():
    x = ember.ones(2)
    assert x.device == ember.device("cpu") == "cpu"
    assert not x.is_cuda and x.is_cpu
    assert x.get_device() == -1
    assert x.cpu() is x
    assert x.to("cpu") is x
    with ember.device("cpu"):
        assert ember.zeros(1).device.type == "cpu"


@pytest.mark.skipif(ember.cuda.is_available(), reason="checks the no-GPU path")
def test_cuda_unavailable_is_reported_clearly():
    assert ember.cuda.is_available() is False
    assert ember.cuda.device_count() == 0
    with pytest.raises((AssertionError, RuntimeError), match="CUDA|CuPy|cuda"):
        ember.ones(2).cuda()
    with pytest.raises((AssertionError, RuntimeError), match="CUDA|CuPy|cuda"):
        ember.ones(2, device="cuda")
    with pytest.raises((AssertionError, RuntimeError), match="CUDA|CuPy|cuda"):
        ember.ones(2).to("cuda:0")
    ember.cuda.manual_seed_all(0)  # a no-op without a GPU, as in torch
    ember.cuda.synchronize()
    assert ember.cuda.memory_allocated() == 0

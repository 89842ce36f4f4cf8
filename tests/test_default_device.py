"""ember.set_default_device / get_default_device against torch's."""

from __future__ import annotations

import pytest
import torch

import ember


@pytest.fixture(autouse=True)
def _keep_torch_rng():
    # these tests draw from torch's global generator; leave its stream as other tests expect it
    with torch.random.fork_rng():
        yield


@pytest.fixture(autouse=True)
def _reset():
    yield
    ember.set_default_device(None)
    torch.set_default_device(None)


def test_default_is_cpu():
    assert str(ember.get_default_device()) == str(torch.get_default_device()) == "cpu"
    assert repr(ember.get_default_device()) == repr(torch.get_default_device())


def test_set_and_reset():
    for lib in (ember, torch):
        lib.set_default_device("cpu")
        assert lib.get_default_device() == lib.device("cpu")
        assert lib.zeros(2).device == lib.device("cpu")
        with lib.device("cpu"):
            assert lib.get_default_device() == lib.device("cpu")
        lib.set_default_device(None)
        assert lib.get_default_device() == lib.device("cpu")
        lib.set_default_device(lib.device("cpu"))
        assert lib.arange(3).device.type == "cpu"


def test_setting_twice_replaces():
    ember.set_default_device("cuda")
    ember.set_default_device("cpu")
    assert ember.get_default_device() == ember.device("cpu")
    assert ember.randn(2).device.type == "cpu"


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error without CUDA")
def test_cuda_default_without_cuda_fails_like_torch():
    if ember.cuda.is_available():
        pytest.skip("ember has a GPU")
    for lib in (ember, torch):
        lib.set_default_device("cuda")
        with pytest.raises((AssertionError, RuntimeError), match="not compiled with CUDA"):
            lib.zeros(2)
        lib.set_default_device(None)
        assert lib.zeros(2).device.type == "cpu"


@pytest.mark.gpu
def test_factories_follow_cuda_default():
    ember.set_default_device("cuda")
    for t in (ember.zeros(2), ember.ones(2, 3), ember.randn(4), ember.arange(5), ember.full((2,), 3.0),
              ember.tensor([1.0, 2.0]), ember.empty(3), ember.eye(2), ember.linspace(0, 1, 3)):
        assert t.device.type == "cuda"
    assert ember.get_default_device() == ember.device("cuda", 0)
    with ember.device("cpu"):
        assert ember.zeros(2).device.type == "cpu"
    assert ember.zeros(2).device.type == "cuda"
    ember.set_default_device(None)
    assert ember.zeros(2).device.type == "cpu"

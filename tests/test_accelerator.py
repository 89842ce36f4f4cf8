"""ember.accelerator against torch's (a CPU build here: no accelerator)."""

from __future__ import annotations

import pytest
import torch

import ember
import ember.accelerator


def test_matches_torch_without_gpu():
    if ember.cuda.is_available():
        pytest.skip("the torch reference is a CPU build")
    assert ember.accelerator.is_available() is torch.accelerator.is_available() is False
    assert ember.accelerator.current_accelerator() is torch.accelerator.current_accelerator() is None
    assert ember.accelerator.current_accelerator(check_available=True) is None
    assert ember.accelerator.device_count() == torch.accelerator.device_count() == 0
    for name in ("current_device_index", "synchronize"):
        with pytest.raises(RuntimeError) as e:
            getattr(ember.accelerator, name)()
        with pytest.raises(RuntimeError) as e_ref:
            getattr(torch.accelerator, name)()
        assert str(e.value) == str(e_ref.value)
    ember.accelerator.empty_cache()
    with ember.accelerator.device_index(None):
        pass


def test_tutorial_device_line():
    # the line PyTorch's current tutorials start with
    device = ember.accelerator.current_accelerator().type if ember.accelerator.is_available() else "cpu"  # noqa: E501
    assert ember.zeros(2, device=device).device.type == device


@pytest.mark.gpu
def test_with_gpu():
    acc = ember.accelerator.current_accelerator()
    assert acc == ember.device("cuda") and repr(acc) == "device(type='cuda')"
    assert ember.accelerator.device_count() >= 1
    assert ember.accelerator.current_device_index() == ember.cuda.current_device()
    ember.accelerator.synchronize()

"""``ember.accelerator``: the device-agnostic view of the GPU (CUDA through CuPy, or none)."""

from __future__ import annotations

from typing import Any

from ._device import cuda_available, device

__all__ = ["is_available", "current_accelerator", "device_count", "current_device_index",
           "current_device_idx", "set_device_index", "set_device_idx", "synchronize",
           "empty_cache", "memory_allocated", "max_memory_allocated", "reset_peak_memory_stats",
           "device_index"]  # fmt: skip

_NONE_AVAILABLE = "Cannot access accelerator device when none is available."


def is_available() -> bool:
    r"""Whether an accelerator (here: a CUDA GPU through CuPy) is present."""
    return cuda_available()


def current_accelerator(check_available: bool = False) -> device | None:
    r"""The accelerator's device type (``device(type='cuda')``), or ``None`` without one."""
    return device("cuda") if cuda_available() else None


def device_count() -> int:
    r"""Number of accelerator devices (0 without one)."""
    from . import cuda  # noqa: PLC0415

    return cuda.device_count()


def _require() -> Any:
    if not cuda_available():
        raise RuntimeError(_NONE_AVAILABLE)
    from . import cuda  # noqa: PLC0415

    return cuda


def current_device_index() -> int:
    r"""Index of the current accelerator device; raises ``RuntimeError`` without one."""
    return _require().current_device()


current_device_idx = current_device_index


def set_device_index(device: Any) -> None:
    r"""Make ``device`` (an index or a device) the current accelerator device."""
    _require().set_device(device)


set_device_idx = set_device_index


def synchronize(device: Any = None) -> None:
    r"""Wait for all work on the accelerator to finish."""
    _require().synchronize(device)


def empty_cache() -> None:
    r"""Release cached accelerator memory (a no-op without one)."""
    if cuda_available():
        _require().empty_cache()


def memory_allocated(device_index: Any = None) -> int:
    r"""Bytes held by tensors on the accelerator."""
    return _require().memory_allocated(device_index)


def max_memory_allocated(device_index: Any = None) -> int:
    r"""Peak bytes held on the accelerator."""
    return _require().max_memory_allocated(device_index)


def reset_peak_memory_stats(device_index: Any = None) -> None:
    r"""Accepted for compatibility."""
    _require()


class device_index:
    r"""Context manager that makes ``device`` current for its body (``None``: no change)."""

    def __init__(self, device: int | None, /) -> None:
        self.idx = device
        self.prev_idx = -1

    def __enter__(self) -> None:
        if self.idx is not None:
            self.prev_idx = current_device_index()
            set_device_index(self.idx)

    def __exit__(self, *exc: object) -> None:
        if self.idx is not None:
            set_device_index(self.prev_idx)

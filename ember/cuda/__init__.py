"""``ember.cuda``: GPU availability and device management, through CuPy (imported lazily)."""

from __future__ import annotations

from typing import Any

from .._device import cuda_available, cupy
from . import amp  # noqa: F401 - ember.cuda.amp (deprecated spellings of ember.amp)

__all__ = ["is_available", "device_count", "current_device", "set_device", "synchronize",
           "manual_seed", "manual_seed_all", "is_bf16_supported", "empty_cache",
           "memory_allocated", "max_memory_allocated", "reset_peak_memory_stats", "get_device_name"]  # fmt: skip


def is_available() -> bool:
    """True when CuPy is installed and a GPU is visible."""
    return cuda_available()


def device_count() -> int:
    """Number of visible GPUs (0 without CuPy)."""
    return cupy().cuda.runtime.getDeviceCount() if cuda_available() else 0


def current_device() -> int:
    """Index of the current GPU."""
    return cupy().cuda.runtime.getDevice()


def set_device(device: Any) -> None:
    """Make ``device`` the current GPU."""
    from .._device import device as _device  # noqa: PLC0415

    idx = device if isinstance(device, int) else _device(device).index or 0
    cupy().cuda.runtime.setDevice(idx)


def synchronize(device: Any = None) -> None:
    """Wait for all GPU work to finish."""
    if cuda_available():
        cupy().cuda.runtime.deviceSynchronize()


def manual_seed(seed: int) -> None:
    """Seed CuPy's generator (a no-op without a GPU, as in torch)."""
    if cuda_available():
        cupy().random.seed(int(seed) % (1 << 32))


manual_seed_all = manual_seed


def is_bf16_supported(including_emulation: bool = True) -> bool:
    """Whether bfloat16 works on the current GPU."""
    return cuda_available()


def empty_cache() -> None:
    """Release cached GPU memory blocks."""
    if cuda_available():
        cupy().get_default_memory_pool().free_all_blocks()


def memory_allocated(device: Any = None) -> int:
    """Bytes held by tensors on the GPU."""
    return cupy().get_default_memory_pool().used_bytes() if cuda_available() else 0


def max_memory_allocated(device: Any = None) -> int:
    """Peak bytes held (CuPy's pool total is the closest measure)."""
    return cupy().get_default_memory_pool().total_bytes() if cuda_available() else 0


def reset_peak_memory_stats(device: Any = None) -> None:
    """Accepted for compatibility."""


def get_device_name(device: Any = None) -> str:
    """The GPU's name."""
    cp = cupy()
    return cp.cuda.runtime.getDeviceProperties(cp.cuda.runtime.getDevice())["name"].decode()


def __getattr__(name: str) -> Any:
    # legacy CUDA tensor types (ember.cuda.FloatTensor ...) load on first use
    from .._legacy import cuda_types  # noqa: PLC0415

    if name in cuda_types:
        return cuda_types[name]
    raise AttributeError(f"module 'ember.cuda' has no attribute '{name}'")

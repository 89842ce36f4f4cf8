"""Devices, and which array library backs each: NumPy for ``cpu``, CuPy (imported lazily) for ``cuda``.

This is the only file that imports CuPy; everything else takes its array module from its inputs
with :func:`array_namespace`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["device"]


class device:
    """``ember.device("cpu")``, ``device("cuda:1")``, ``device("cuda", 1)``; prints as torch's."""

    __slots__ = ("type", "index")
    type: str  # "cpu", "cuda", "meta", "mps" or "xpu"
    index: int | None

    def __new__(cls, type: Any, index: int | None = None) -> device:  # noqa: A002 - torch's name
        if isinstance(type, device):
            return type
        if isinstance(type, int) and not isinstance(type, bool):
            type, index = "cuda", type
        if not isinstance(type, str):
            raise TypeError(f"device() received an invalid combination of arguments - got ({type!r})")
        kind, _, idx = type.partition(":")
        if idx:
            if index is not None:
                raise RuntimeError(f"type (string) must not include an index because index was passed explicitly: {type}")  # noqa: E501
            if not idx.isdigit():
                raise RuntimeError(f"Invalid device string: '{type}'")
            index = int(idx)
        if kind not in ("cpu", "cuda", "meta", "mps", "xpu"):
            raise RuntimeError(
                "Expected one of cpu, cuda, ipu, xpu, mkldnn, opengl, opencl, ideep, hip, ve, fpga,"
                f" maia, xla, lazy, vulkan, mps, meta, hpu, mtia, privateuseone device type at "
                f"start of device string: {type}"
            )
        if index is not None and index < 0:
            raise RuntimeError("Device index must not be negative")
        self = object.__new__(cls)
        object.__setattr__(self, "type", kind)
        object.__setattr__(self, "index", index)
        return self

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("device objects are immutable")

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __reduce__(self) -> tuple[Any, ...]:
        return (device, (self.type, self.index) if self.index is not None else (self.type,))

    # `with ember.device("cuda"):` sets the default device of factories, as in torch.
    def __enter__(self) -> device:
        _default_device.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        _default_device.pop()


CPU = device("cpu")
_default_device: list[device] = []
_cupy: Any = None


def cupy() -> Any:
    """The CuPy module, imported on first use; RuntimeError naming the cause when it is missing."""
    global _cupy
    if _cupy is None:
        try:
            import cupy as cp  # type: ignore[import-not-found]  # noqa: PLC0415 - ember[cuda]

            cp.cuda.runtime.getDeviceCount()
        except ImportError as e:
            raise AssertionError(
                "Torch not compiled with CUDA enabled: ember runs on CUDA through CuPy, which is not "
                "installed (pip install cupy-cuda12x or cupy-cuda13x)"
            ) from e
        except Exception as e:  # CUDA driver errors come in many types
            raise RuntimeError(f"ember: CuPy is installed but no CUDA device is usable: {e}") from e
        _cupy = cp
    return _cupy


def cuda_available() -> bool:
    """True when CuPy imports and sees at least one GPU."""
    try:
        return cupy().cuda.runtime.getDeviceCount() > 0
    except (AssertionError, RuntimeError):
        return False


def array_namespace(*arrays: Any) -> Any:
    """The array module (numpy or cupy) that owns ``arrays``."""
    for a in arrays:
        if a is not None and type(a) is not np.ndarray and hasattr(a, "__cuda_array_interface__"):
            return _cupy
    return np


def device_of(array: Any) -> device:
    """The device an array lives on."""
    if type(array) is np.ndarray or isinstance(array, np.ndarray | np.generic):
        return CPU
    return device("cuda", array.device.id)


def to_device(array: Any, dev: device) -> Any:
    """Copy ``array`` to ``dev`` (no copy when it is already there)."""
    if dev.type == "cpu":
        if isinstance(array, np.ndarray):
            return array
        return array.get()
    if dev.type != "cuda":
        raise RuntimeError(f"ember has no backend for device type '{dev.type}'")
    cp = cupy()
    idx = dev.index if dev.index is not None else cp.cuda.runtime.getDevice()
    if not isinstance(array, np.ndarray) and array.device.id == idx:
        return array
    with cp.cuda.Device(idx):
        return cp.asarray(array)


def default_device() -> device:
    """The device factories use when none is given (``with ember.device(...)`` changes it)."""
    return _default_device[-1] if _default_device else CPU


def xp_for(dev: device | None) -> Any:
    """The array module for a device."""
    if dev is None or dev.type == "cpu":
        return np
    return cupy()

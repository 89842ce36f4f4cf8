"""``ember.cuda.amp``: the deprecated CUDA-only spellings of ``ember.amp`` (they warn as torch's)."""

from __future__ import annotations

import warnings
from typing import Any, Callable

from ember import _dtype as D
from ember.amp import autocast_mode as _autocast_mode
from ember.amp import grad_scaler as _grad_scaler

__all__ = ["autocast", "GradScaler", "custom_fwd", "custom_bwd"]


def _deprecated(old: str, new: str) -> None:
    warnings.warn(f"`torch.cuda.amp.{old}(args...)` is deprecated. Please use `{new}` instead.",
                  FutureWarning, stacklevel=3)  # fmt: skip


class autocast(_autocast_mode.autocast):
    r"""Deprecated: ``ember.cuda.amp.autocast(args...)`` is ``ember.amp.autocast("cuda", args...)``."""

    def __init__(self, enabled: bool = True, dtype: D.dtype = D.float16,
                 cache_enabled: bool = True) -> None:  # fmt: skip
        _deprecated("autocast", "torch.amp.autocast('cuda', args...)")
        super().__init__("cuda", enabled=enabled, dtype=dtype, cache_enabled=cache_enabled)


class GradScaler(_grad_scaler.GradScaler):
    r"""Deprecated: ``ember.cuda.amp.GradScaler(args...)`` is ``ember.amp.GradScaler("cuda", args...)``."""

    def __init__(self, init_scale: float = 2.0**16, growth_factor: float = 2.0,
                 backoff_factor: float = 0.5, growth_interval: int = 2000,
                 enabled: bool = True) -> None:  # fmt: skip
        _deprecated("GradScaler", "torch.amp.GradScaler('cuda', args...)")
        super().__init__("cuda", init_scale, growth_factor, backoff_factor, growth_interval, enabled)


def custom_fwd(fwd: Callable | None = None, *, cast_inputs: Any = None) -> Callable:
    r"""Deprecated: use ``ember.amp.custom_fwd(device_type="cuda")``."""
    _deprecated("custom_fwd", "torch.amp.custom_fwd(args..., device_type='cuda')")
    return _autocast_mode.custom_fwd(fwd, device_type="cuda", cast_inputs=cast_inputs)


def custom_bwd(bwd: Callable | None = None) -> Callable:
    r"""Deprecated: use ``ember.amp.custom_bwd(device_type="cuda")``."""
    _deprecated("custom_bwd", "torch.amp.custom_bwd(args..., device_type='cuda')")
    return _autocast_mode.custom_bwd(bwd, device_type="cuda")

"""``ember.backends.cudnn``: cuDNN flags, kept as plain settable module attributes."""

from __future__ import annotations

import contextlib
from typing import Iterator

__all__ = ["version", "is_available", "is_acceptable", "set_flags", "flags"]

# torch's defaults; ember reads none of them (convolutions pick their own algorithm).
enabled: bool = True
benchmark: bool = False
benchmark_limit: int | None = None
deterministic: bool = False
allow_tf32: bool = True


def is_available() -> bool:
    r"""Whether ember calls cuDNN: it does not through this module, so ``False``."""
    return False


def version() -> int | None:
    r"""cuDNN's version when ember uses it, else ``None`` (as torch without cuDNN)."""
    return None


def is_acceptable(tensor: object) -> bool:
    r"""Whether cuDNN would be used for ``tensor``: never."""
    return False


def set_flags(_enabled: bool | None = None, _benchmark: bool | None = None,
              _benchmark_limit: int | None = None, _deterministic: bool | None = None,
              _allow_tf32: bool | None = None) -> tuple:  # fmt: skip
    r"""Set the flags that are given; returns the previous values."""
    global enabled, benchmark, benchmark_limit, deterministic, allow_tf32
    orig = (enabled, benchmark, benchmark_limit, deterministic, allow_tf32)
    if _enabled is not None:
        enabled = _enabled
    if _benchmark is not None:
        benchmark = _benchmark
    if _deterministic is not None:
        deterministic = _deterministic
    if _allow_tf32 is not None:
        allow_tf32 = _allow_tf32
    return orig


@contextlib.contextmanager
def flags(enabled: bool = False, benchmark: bool = False, benchmark_limit: int = 10,
          deterministic: bool = False, allow_tf32: bool = True) -> Iterator[None]:  # fmt: skip
    r"""Set the cuDNN flags for the body of a ``with`` block, then restore them."""
    orig = set_flags(enabled, benchmark, benchmark_limit, deterministic, allow_tf32)
    try:
        yield
    finally:
        set_flags(*orig)

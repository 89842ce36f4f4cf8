"""``ember.nn.attention``: the SDPA backend selector, accepted and ignored.

ember has one ``scaled_dot_product_attention`` (the math one), so ``sdpa_kernel`` only checks
its argument and runs the block.
"""

from __future__ import annotations

import contextlib
from collections.abc import Generator
from enum import IntEnum
from typing import Any

__all__ = ["SDPBackend", "sdpa_kernel", "WARN_FOR_UNFUSED_KERNELS"]

WARN_FOR_UNFUSED_KERNELS = False


class SDPBackend(IntEnum):
    """The fused-attention kernels torch can pick (ember always computes the math one)."""

    ERROR = -1
    MATH = 0
    FLASH_ATTENTION = 1
    EFFICIENT_ATTENTION = 2
    CUDNN_ATTENTION = 3
    OVERRIDEABLE = 4


@contextlib.contextmanager
def sdpa_kernel(backends: Any, set_priority: bool = False) -> Generator[None, None, None]:
    """Accepted for compatibility: run the block (ember has only the math kernel)."""
    items = backends if isinstance(backends, list) else [backends]
    for b in items:
        if not isinstance(b, SDPBackend):
            raise AssertionError("Backend must be an instance of SDPBackend or a list of "
                                 f"SDPBackend instances, got {type(b).__name__}")
    yield

"""Allocator tuning for glibc: keep freed array memory in the heap instead of returning it.

A training step allocates and frees the same few hundred arrays every iteration. glibc serves
blocks above ``M_MMAP_THRESHOLD`` (128 KiB to start) with fresh ``mmap`` calls and gives freed
heap tops back with ``madvise``/``brk``, so each step pays page faults and zeroing for memory it
just released (a GPT step spent a quarter of its time there). Raising the two thresholds lets
the heap keep that memory; peak use is unchanged, only its return to the OS is delayed.

PyTorch gets the same effect from its own CPU caching of allocations. Set the environment
variable ``EMBER_MALLOC_TUNING=0`` to leave the allocator alone.
"""

from __future__ import annotations

import os
import sys

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3


def tune() -> bool:
    """Raise glibc's trim and mmap thresholds; True when it was done (Linux with glibc only)."""
    if sys.platform != "linux" or os.environ.get("EMBER_MALLOC_TUNING", "1") == "0":
        return False
    try:
        import ctypes  # noqa: PLC0415 - only needed here

        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):  # musl or another libc: nothing to tune
        return False
    return bool(mallopt(_M_TRIM_THRESHOLD, 256 << 20)) and bool(mallopt(_M_MMAP_THRESHOLD, 32 << 20))

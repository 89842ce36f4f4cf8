"""``ember.backends.mps``: Apple's Metal backend, which ember does not have."""

from __future__ import annotations

__all__ = ["is_built", "is_available", "is_macos13_or_newer", "is_macos_or_newer"]


def is_built() -> bool:
    r"""Whether ember was built with MPS support: never."""
    return False


def is_available() -> bool:
    r"""Whether an MPS device can be used: never."""
    return False


def is_macos_or_newer(major: int, minor: int) -> bool:
    r"""Always ``False`` (torch answers for MPS-enabled builds only)."""
    return False


def is_macos13_or_newer(minor: int = 0) -> bool:
    r"""Always ``False``."""
    return False

"""``ember.backends.mkl``: not used by ember (NumPy brings its own BLAS and threads)."""

from __future__ import annotations

__all__ = ["is_available"]


def is_available() -> bool:
    r"""Whether ember can use mkl: no."""
    return False

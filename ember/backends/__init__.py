"""``ember.backends``: the flags torch exposes for its native backends.

ember runs on NumPy (CPU) and CuPy (CUDA); most of these flags have nothing to switch and are kept
as plain settable values so that programs that set them run unchanged.
"""

from __future__ import annotations

from . import cpu, cuda, cudnn, mkl, mkldnn, mps, openmp, opt_einsum

__all__ = ["cpu", "cuda", "cudnn", "mkl", "mkldnn", "mps", "openmp", "opt_einsum"]

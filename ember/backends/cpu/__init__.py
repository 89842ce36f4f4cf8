"""``ember.backends.cpu``: what the CPU offers (NumPy picks its SIMD kernels itself)."""

from __future__ import annotations

__all__ = ["get_cpu_capability"]


def get_cpu_capability() -> str:
    r"""The SIMD level in use, as torch names it (NumPy's best baseline: ``"DEFAULT"`` if unknown)."""
    try:
        import numpy as np  # noqa: PLC0415

        found = np._core._multiarray_umath.__cpu_features__  # type: ignore[attr-defined]  # private
    except (ImportError, AttributeError):
        return "DEFAULT"
    for name, cap in (("AVX512F", "AVX512"), ("AVX2", "AVX2"), ("ASIMD", "NEON")):
        if found.get(name):
            return cap
    return "DEFAULT"

"""Utilities: hooks, data loading, safetensors."""

from __future__ import annotations

from . import hooks

__all__ = ["hooks", "data"]


def __getattr__(name: str) -> object:
    # data loading is imported on first use, to keep `import ember` fast
    if name in ("data", "safetensors", "checkpoint"):
        import importlib  # noqa: PLC0415

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

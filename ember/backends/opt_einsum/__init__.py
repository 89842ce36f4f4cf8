"""``ember.backends.opt_einsum``: ember's ``einsum`` is NumPy's, which optimises paths itself."""

from __future__ import annotations

from typing import Any

__all__ = ["is_available", "get_opt_einsum", "enabled", "strategy"]

# torch: ``enabled`` defaults to whether the opt_einsum package imported; ember never uses it.
enabled: bool = False
strategy: str | None = None


def is_available() -> bool:
    r"""Whether the ``opt_einsum`` package is used: never by ember."""
    return False


def get_opt_einsum() -> Any:
    r"""The ``opt_einsum`` module when used, else ``None``."""
    return None

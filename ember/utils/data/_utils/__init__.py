"""Helpers behind ``DataLoader``: collation, fetching and the worker processes."""

from __future__ import annotations

from . import collate, fetch, worker

__all__ = ["collate", "fetch", "worker"]

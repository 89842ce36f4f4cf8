"""Placeholder: Parameter and Buffer."""

from __future__ import annotations

__all__: list[str] = []

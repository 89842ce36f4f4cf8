"""Shared helpers for the nn.Module differential tests: run one program on torch and on ember."""

from __future__ import annotations

import torch

import ember
import ember.nn as nn


class _LocalReLU(nn.Module):
    # Stand-in until ember.nn.ReLU lands; prints as torch's ReLU().
    def forward(self, x):
        return x.clamp(min=0)

    def _get_name(self):
        return "ReLU"


def relu(lib):
    """A ReLU module of either library."""
    if lib is torch:
        return torch.nn.ReLU()
    return nn.ReLU() if hasattr(nn, "ReLU") else _LocalReLU()


def outcome(fn, lib):
    """``("ok", value)`` or ``(exception type name, message)``: what we compare across libraries."""
    try:
        return "ok", fn(lib)
    except Exception as e:  # noqa: BLE001 - the exception itself is what we compare
        return type(e).__name__, str(e).replace("ember.nn.modules", "torch.nn.modules")


def same(fn):
    """Assert ``fn(torch)`` and ``fn(ember)`` give the same outcome (value or error)."""
    ours, ref = outcome(fn, ember), outcome(fn, torch)
    assert ours == ref, f"\nember: {ours}\ntorch: {ref}"
    return ours

"""Shared fixtures: a seeded NumPy generator, torch set up as the reference, GPU skipping."""

from __future__ import annotations

import numpy as np
import pytest

import ember


@pytest.fixture
def rng() -> np.random.Generator:
    """A fresh seeded generator per test: make the numbers with NumPy, copy them into both."""
    return np.random.default_rng(0)


@pytest.fixture(autouse=True)
def _seed() -> None:
    ember.manual_seed(0)


def _gpu_available() -> bool:
    try:
        return ember.cuda.is_available()
    except Exception:
        return False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if _gpu_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA GPU with CuPy; none is present here")
    for item in items:
        if item.get_closest_marker("gpu") is not None:
            item.add_marker(skip)

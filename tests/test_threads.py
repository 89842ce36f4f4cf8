"""Intra-op threads: get/set_num_threads as torch's, and parallel kernels equal to serial ones."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
import torch

import ember
from ember import _threads


@pytest.fixture
def threads():  # noqa: ANN201
    """Restore the thread count a test changes."""
    n = ember.get_num_threads()
    yield
    ember.set_num_threads(n)


def _default_in_subprocess(env: dict[str, str], lib: str) -> int:
    e = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    out = subprocess.run([sys.executable, "-c", f"import {lib}; print({lib}.get_num_threads())"],
                         env={**e, **env}, capture_output=True, text=True, check=True)  # fmt: skip
    return int(out.stdout.split()[-1])


@pytest.mark.parametrize("env", [{}, {"OMP_NUM_THREADS": "1"}, {"OMP_NUM_THREADS": "64"},
                                 {"OMP_NUM_THREADS": "junk"}, {"MKL_NUM_THREADS": "1"}])
def test_default_matches_torch(env: dict[str, str]) -> None:
    assert _default_in_subprocess(env, "ember") == _default_in_subprocess(env, "torch")


def test_set_and_get(threads: None) -> None:
    ember.set_num_threads(3)
    assert ember.get_num_threads() == 3
    ember.set_num_threads(1)
    assert ember.get_num_threads() == 1


@pytest.mark.parametrize("n", [0, -2])
def test_set_rejects_non_positive(n: int) -> None:
    for lib in (torch, ember):
        with pytest.raises(RuntimeError, match="set_num_threads expects a positive integer"):
            lib.set_num_threads(n)


def test_set_rejects_non_int() -> None:
    for lib in (torch, ember):
        with pytest.raises(RuntimeError, match="expects an int, but got float"):
            lib.set_num_threads(1.5)


def test_parallel_for_covers_the_range_once(threads: None) -> None:
    ember.set_num_threads(3)
    hits = np.zeros(1000, int)

    def part(lo: int, hi: int) -> None:
        hits[lo:hi] += 1

    _threads.parallel_for(part, 1000, 100)
    assert (hits == 1).all()
    _threads.parallel_for(part, 1000, 400)  # two parts of at least 400
    assert (hits == 2).all()


def test_parallel_for_raises_a_parts_error(threads: None) -> None:
    ember.set_num_threads(2)
    done = []

    def part(lo: int, hi: int) -> None:
        if lo > 0:
            raise ValueError("second part")
        done.append(lo)

    with pytest.raises(ValueError, match="second part"):
        _threads.parallel_for(part, 10, 1)
    assert done == [0]  # the first part ran, inline


def _gpt_like_step(n: int) -> list[np.ndarray]:
    """GELU, layer norm and attention, forward and backward, on ``n`` threads."""
    ember.set_num_threads(n)
    ember.manual_seed(0)
    rng = np.random.default_rng(0)
    x = ember.tensor(rng.standard_normal((8, 64, 1024), dtype=np.float32), requires_grad=True)
    h = ember.nn.functional.gelu(x)  # 512K elements: two parts
    h = ember.nn.functional.layer_norm(h, (1024,))
    q, k, v = (t.reshape(8, 64, 4, 32).transpose(1, 2) for t in h[..., :384].split(128, dim=-1))
    y = ember.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)
    (y * y).sum().backward()
    return [t.detach().numpy().copy() for t in (h, y, x.grad)]


def test_parallel_kernels_equal_serial_bits(threads: None) -> None:
    serial, parallel = _gpt_like_step(1), _gpt_like_step(2)
    for a, b in zip(serial, parallel):
        assert a.tobytes() == b.tobytes()

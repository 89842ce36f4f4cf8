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
    x = ember.tensor(rng.standard_normal((8, 64, 2048), dtype=np.float32), requires_grad=True)
    h = ember.nn.functional.gelu(x)  # 1M elements: two parts
    h = ember.nn.functional.layer_norm(h, (2048,))
    q, k, v = (t.reshape(8, 64, 4, 32).transpose(1, 2) for t in h[..., :384].split(128, dim=-1))
    y = ember.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)
    (y * y).sum().backward()
    return [t.detach().numpy().copy() for t in (h, y, x.grad)]


def test_parallel_kernels_equal_serial_bits(threads: None) -> None:
    serial, parallel = _gpt_like_step(1), _gpt_like_step(2)
    for a, b in zip(serial, parallel):
        assert a.tobytes() == b.tobytes()


@pytest.mark.parametrize("name", ["AdamW", "SGD", "RMSprop"])
def test_optimizer_chunks_shared_among_threads(name: str, threads: None) -> None:
    """A parameter big enough to be updated by two threads: bit-identical to one thread, and
    torch's trajectory."""
    rng = np.random.default_rng(0)
    shapes = [(1200, 1000), (10,)]  # 1.2M elements: two parts; and a small one
    init = [rng.standard_normal(s, dtype=np.float32) for s in shapes]
    grads = [[rng.standard_normal(s, dtype=np.float32) for s in shapes] for _ in range(3)]
    kwargs = {"lr": 0.01, "momentum": 0.9} if name == "SGD" else {"lr": 0.01}

    def run(lib, n=None):  # noqa: ANN001, ANN202
        if n is not None:
            lib.set_num_threads(n)
        ps = [lib.tensor(a.copy(), requires_grad=True) for a in init]
        opt = getattr(lib.optim, name)(ps, **kwargs)
        for gs in grads:
            for p, g in zip(ps, gs):
                p.grad = lib.tensor(g)
            opt.step()
        return [p.detach().numpy().copy() for p in ps]

    serial, split = run(ember, 1), run(ember, 2)
    for a, b, ref in zip(serial, split, run(torch)):
        assert a.tobytes() == b.tobytes()
        np.testing.assert_allclose(b, ref, rtol=1e-5, atol=1e-6)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="finds OpenBLAS through /proc")
def test_openblas_threads_can_be_released() -> None:
    """NumPy's OpenBLAS is found, so a split can stop its spinning threads first."""
    if not any("openblas" in str(v).lower() for v in np.show_config(mode="dicts")["Build Dependencies"]["blas"].values()):  # noqa: E501
        pytest.skip("NumPy is not built with OpenBLAS")
    blas = _threads._openblas()
    assert blas.shutdown is not None and blas.get_threads is not None
    _threads._release_blas()
    a = np.ones((256, 256), np.float32)
    assert (a @ a == 256).all()  # OpenBLAS starts its threads again
    n = blas.get_threads()
    with _threads.serial_blas():
        assert blas.get_threads() == 1
        assert (a @ a == 256).all()
    assert blas.get_threads() == n


def test_wide_kernel_conv_blocks_shared_among_threads(threads: None) -> None:
    """The seed model's second convolution (5x5, 20 -> 20 channels, batch 64) runs its GEMM
    blocks on two threads: bit-identical to one thread, and torch's values and gradients."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 20, 24, 24), dtype=np.float32)
    w = rng.standard_normal((20, 20, 5, 5), dtype=np.float32) * 0.05
    g = rng.standard_normal((64, 20, 20, 20), dtype=np.float32)

    def run(lib, n=None):  # noqa: ANN001, ANN202
        if n is not None:
            lib.set_num_threads(n)
        xt, wt = lib.tensor(x, requires_grad=True), lib.tensor(w, requires_grad=True)
        y = lib.nn.functional.conv2d(xt, wt)
        y.backward(lib.tensor(g))
        return [t.numpy().copy() for t in (y.detach(), xt.grad, wt.grad)]

    serial, split = run(ember, 1), run(ember, 2)
    for a, b, ref in zip(serial, split, run(torch)):
        assert a.tobytes() == b.tobytes()
        np.testing.assert_allclose(b, ref, rtol=1e-4, atol=2e-5 * np.abs(ref).max())

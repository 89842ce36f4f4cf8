"""Seed-model convolutions, forward + backward: ember vs torch on the CPU.

Runs ``Conv2d(1, 20, 5)`` then ``Conv2d(20, 20, 5)`` on a batch of 64 1x28x28 images (the MNIST
seed model's two convolutions, with the ReLU and 2x2 max-pool between them) and prints the
median time per step for each library and the ratio ember/torch.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import ember  # noqa: E402


def step(lib, nn_f, x, w1, b1, w2, b2):  # noqa: ANN001, ANN201
    for p in (w1, b1, w2, b2):
        p.grad = None
    h = nn_f.max_pool2d(nn_f.relu(nn_f.conv2d(x, w1, b1)), 2)
    y = nn_f.conv2d(h, w2, b2)
    y.sum().backward()


def _inputs(lib, arrays):  # noqa: ANN001, ANN202
    x, *ps = (lib.tensor(a) for a in arrays)
    for p in ps:
        p.requires_grad_(True)
    return x, ps


def main(reps: int = 40) -> None:
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s, dtype=np.float32) for s in
              [(64, 1, 28, 28), (20, 1, 5, 5), (20,), (20, 20, 5, 5), (20,)]]
    runs = {"torch": (torch, torch.nn.functional), "ember": (ember, ember.nn.functional)}
    inputs = {k: _inputs(lib, arrays) for k, (lib, _) in runs.items()}
    times: dict[str, list[float]] = {k: [] for k in runs}
    for i in range(reps + 5):  # alternate the libraries so that machine noise hits both alike
        for k, (lib, nn_f) in runs.items():
            x, ps = inputs[k]
            t0 = time.perf_counter()
            step(lib, nn_f, x, *ps)
            if i >= 5:
                times[k].append(time.perf_counter() - t0)
    t_torch, t_ember = (float(np.median(times[k])) for k in ("torch", "ember"))
    print(f"torch {torch.__version__} ({torch.get_num_threads()} threads): {t_torch * 1e3:.2f} ms")
    print(f"ember: {t_ember * 1e3:.2f} ms")
    print(f"ratio ember/torch: {t_ember / t_torch:.2f}")


if __name__ == "__main__":
    main()

"""One ``AdamW.step()`` over a 10M-parameter model: ember vs torch, median milliseconds and ratio.

Run: ``python benchmarks/optim_step.py [--repeat N]``. Target: ember/torch <= 1.0.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import ember  # noqa: E402

# a few big parameters totalling 10M floats, plus a handful of small ones (biases, norms)
SHAPES = [(2048, 2048), (2048, 1536), (1536, 1024), (1024, 1024),
          (1024,), (1536,), (2048,), (512,)]  # fmt: skip


def _median_ms(step, repeat: int) -> float:
    step()  # the first step allocates the state
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        step()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s, dtype=np.float32) * 0.02 for s in SHAPES]
    grads = [rng.standard_normal(s, dtype=np.float32) * 0.01 for s in SHAPES]
    n = sum(a.size for a in arrays)

    ours = [ember.tensor(a, requires_grad=True) for a in arrays]
    for p, g in zip(ours, grads):
        p.grad = ember.tensor(g)
    ref = [torch.tensor(a, requires_grad=True) for a in arrays]
    for p, g in zip(ref, grads):
        p.grad = torch.tensor(g)
    opt_ours = ember.optim.AdamW(ours, lr=1e-3)
    opt_ref = torch.optim.AdamW(ref, lr=1e-3)

    t_ref = _median_ms(opt_ref.step, args.repeat)
    t_ours = _median_ms(opt_ours.step, args.repeat)
    print(f"AdamW.step() over {n / 1e6:.1f}M parameters (torch {torch.__version__}, "
          f"{torch.get_num_threads()} torch threads)")  # fmt: skip
    print(f"  torch  {t_ref:8.2f} ms")
    print(f"  ember  {t_ours:8.2f} ms")
    print(f"  ratio  {t_ours / t_ref:8.2f}  (ember / torch, target <= 1.0)")


if __name__ == "__main__":
    main()

"""GPU training-step times, ember (CuPy) vs torch (CUDA) on the same GPU, in one run."""

from __future__ import annotations

import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import benchmarks.workloads as W  # noqa: E402


def _time(lib, step, sync, seconds=2.0, repeats=5):
    step()
    sync()
    t0 = time.perf_counter()
    step()
    sync()
    number = max(1, int(seconds / repeats / max(time.perf_counter() - t0, 1e-6)))
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(number):
            step()
        sync()
        samples.append((time.perf_counter() - t0) / number * 1e3)
    return statistics.median(samples)


def main() -> None:
    import torch

    import ember

    W.DEVICE = "cuda"
    syncs = {"torch": torch.cuda.synchronize, "ember": ember.cuda.synchronize}
    for name in ("seed_model", "gpt", "mlp_784"):
        res = {}
        for lib_name, lib in (("torch", torch), ("ember", ember)):
            try:
                res[lib_name] = _time(lib, W.WORKLOADS[name](lib), syncs[lib_name])
            except Exception as e:  # report and go on: one failure should not hide the rest
                res[lib_name] = float("nan")
                print(f"{name} [{lib_name}] failed: {type(e).__name__}: {e}")
        print(f"GPU {name:<12} ember {res['ember']:8.3f} ms  torch {res['torch']:8.3f} ms  "
              f"ratio {res['ember'] / res['torch']:.2f}", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()

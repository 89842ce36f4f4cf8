"""Per-call overhead of ``nn.Module.__call__``: a 3-layer MLP at batch 1, no hooks, ember vs torch.

Run: ``.venv/bin/python benchmarks/module_call.py`` (``--quick`` for a short run). Prints the
median microseconds per call of each library and the ratio ember/torch (lower is better; the
target is <= 1.0).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import timeit
from typing import Any, Callable

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def mlp(lib: Any, sizes: tuple[int, ...] = (32, 64, 64, 10)) -> Any:
    """Linear-ReLU-Linear-ReLU-Linear with the same weights in either library."""
    nn = lib.nn
    relu = nn.ReLU if hasattr(nn, "ReLU") else None
    layers: list[Any] = []
    rng = np.random.default_rng(0)
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        lin = nn.Linear(a, b)
        with lib.no_grad():
            lin.weight.copy_(lib.tensor(rng.standard_normal((b, a)).astype(np.float32) / np.sqrt(a)))  # noqa: E501
            lin.bias.copy_(lib.tensor(np.zeros(b, np.float32)))
        layers.append(lin)
        if i < len(sizes) - 2 and relu is not None:
            layers.append(relu())
    return nn.Sequential(*layers)


def workloads(lib: Any) -> dict[str, Callable[[], Any]]:
    net = mlp(lib)
    x = lib.tensor(np.random.default_rng(1).standard_normal((1, 32)).astype(np.float32))
    ident = lib.nn.Identity()
    lin = lib.nn.Linear(32, 64)

    def no_grad_call() -> Any:
        with lib.no_grad():
            return net(x)

    return {
        "Identity()(x)  [pure __call__ cost]": lambda: ident(x),
        "Linear(32, 64)(x)": lambda: lin(x),
        "3-layer MLP(x), grad recorded": lambda: net(x),
        "3-layer MLP(x) under no_grad": no_grad_call,
    }


def per_call_us(ours: Callable[[], Any], ref: Callable[[], Any], repeat: int,
                number: int) -> tuple[float, float]:  # fmt: skip
    """Median microseconds per call of each; repeats alternate so machine noise hits both."""
    ours()
    ref()
    t_ours, t_ref = timeit.Timer(ours), timeit.Timer(ref)
    a, b = [], []
    for _ in range(repeat):
        a.append(t_ours.timeit(number) / number * 1e6)
        b.append(t_ref.timeit(number) / number * 1e6)
    return statistics.median(a), statistics.median(b)


def main() -> None:
    import torch

    import ember

    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    repeat, number = (5, 500) if args.quick else (9, 3000)
    torch.set_num_threads(1)
    ours, ref = workloads(ember), workloads(torch)
    print(f"{'workload':<40}{'ember us':>10}{'torch us':>10}{'ember/torch':>13}")
    for name in ours:
        e, t = per_call_us(ours[name], ref[name], repeat, number)
        print(f"{name:<40}{e:>10.2f}{t:>10.2f}{e / t:>13.2f}")


if __name__ == "__main__":
    main()

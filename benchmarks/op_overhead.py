"""Op overhead: a chain of 200 small (8x8) ops, forward + backward, ember vs torch."""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks._harness import compare, report  # noqa: E402


def make(lib):
    import numpy as np

    a = np.random.default_rng(0).standard_normal((8, 8)).astype(np.float32)
    x = lib.tensor(a, requires_grad=True)
    w = lib.tensor(a * 0.1, requires_grad=True)

    def step():
        y = x
        for i in range(50):  # 4 ops per iteration: 200 ops
            y = y * w
            y = y + x
            y = y.tanh() if i % 2 else y.sigmoid()
            y = y - 0.5
        y.sum().backward()
        x.grad = None
        w.grad = None

    return step


def main() -> dict:
    res = compare("op overhead: 200 ops fwd+bwd (8x8)", make)
    print(report(res))
    return res


if __name__ == "__main__":
    main()

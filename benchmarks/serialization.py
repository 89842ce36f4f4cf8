"""Save and load a 100 MB state dict: ember vs torch, same data, same disk, one run.

Prints the median of 5 runs for ``save``, ``load`` (weights_only=True) and ``load(mmap=True)``,
for each library and the ratio ember/torch. Files go to a temporary directory. ember's ``save``
also fsyncs the file before renaming it into place, which torch does not do.

    python benchmarks/serialization.py
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections import OrderedDict

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import ember  # noqa: E402


def state_dict(lib, arrays):  # noqa: ANN001, ANN201
    return OrderedDict((k, lib.from_numpy(a.copy())) for k, a in arrays.items())


def median_ms(fn, repeat: int = 5) -> float:  # noqa: ANN001
    fn()  # warm up (page cache, imports)
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(samples)


def main() -> None:
    rng = np.random.default_rng(0)
    # 24 layers of 1024x1024 float32 (4 MB each) plus biases: about 100 MB
    arrays = {f"layers.{i}.weight": rng.standard_normal((1024, 1024), dtype=np.float32) for i in range(24)}  # noqa: E501
    arrays.update({f"layers.{i}.bias": rng.standard_normal(1024, dtype=np.float32) for i in range(24)})  # noqa: E501
    arrays["embed.weight"] = rng.standard_normal((1024, 160), dtype=np.float32)
    mb = sum(a.nbytes for a in arrays.values()) / 2**20
    with tempfile.TemporaryDirectory() as tmp:
        rows = []
        for lib in (ember, torch):
            sd, path = state_dict(lib, arrays), os.path.join(tmp, f"{lib.__name__}.pt")
            rows.append((lib.__name__, {
                "save": median_ms(lambda: lib.save(sd, path)),
                "load": median_ms(lambda: lib.load(path, weights_only=True)),
                "load(mmap=True)": median_ms(lambda: lib.load(path, weights_only=True, mmap=True)),
            }))  # fmt: skip
    print(f"state dict: {len(arrays)} tensors, {mb:.1f} MiB")
    (_, ours), (_, ref) = rows
    for op in ours:
        print(f"{op:<16} ember {ours[op]:8.1f} ms   torch {ref[op]:8.1f} ms   ratio {ours[op] / ref[op]:5.2f}")  # noqa: E501


if __name__ == "__main__":
    main()

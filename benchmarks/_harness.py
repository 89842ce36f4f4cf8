"""Shared timing helpers: run one workload on torch and on ember in the same process."""

from __future__ import annotations

import gc
import statistics
import time
from typing import Any, Callable


def libs() -> dict[str, Any]:
    """The two implementations, keyed by name."""
    import torch

    import ember

    torch.set_num_threads(max(1, torch.get_num_threads()))
    return {"ember": ember, "torch": torch}


def time_it(fn: Callable[[], Any], repeat: int = 7, number: int | None = None, budget: float = 1.0) -> dict[str, float]:  # noqa: E501
    """Median and spread of ms per call; ``number`` calls per repeat, auto-sized to ``budget``."""
    fn()  # warm up
    if number is None:
        t0 = time.perf_counter()
        fn()
        one = max(time.perf_counter() - t0, 1e-6)
        number = max(1, int(budget / repeat / one))
    samples = []
    gc.collect()
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - t0) / number * 1e3)
    return {"median_ms": statistics.median(samples), "min_ms": min(samples),
            "max_ms": max(samples), "number": number}  # fmt: skip


def compare(name: str, make: Callable[[Any], Callable[[], Any]], **kw: Any) -> dict[str, Any]:
    """Time ``make(lib)()`` for torch and ember; interleave repeats so noise hits both alike."""
    out: dict[str, Any] = {"workload": name}
    for lib_name, lib in libs().items():
        out[lib_name] = time_it(make(lib), **kw)
    out["ratio"] = out["ember"]["median_ms"] / out["torch"]["median_ms"]
    return out


def report(res: dict[str, Any]) -> str:
    e, t = res["ember"], res["torch"]
    return (f"{res['workload']:<40} ember {e['median_ms']:9.3f} ms   torch {t['median_ms']:9.3f} ms"
            f"   ratio {res['ratio']:.2f}")  # fmt: skip

"""``make bench``: every workload on ember and on torch, as a Markdown table and JSON.

Each (workload, library) pair runs in a fresh process, so peak memory (resident set growth while
the workload runs) is measured per pair; the two libraries alternate so machine noise hits both.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _rss_kb() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def child(workload: str, lib_name: str, seconds: float, repeats: int) -> dict:
    """Run one workload in this process and return its timings and memory."""
    import resource

    sys.path.insert(0, str(ROOT))
    lib = __import__(lib_name)
    if lib_name == "torch":
        import torch.nn.functional  # noqa: F401
    from benchmarks.workloads import WORKLOADS

    step = WORKLOADS[workload](lib)
    step()  # warm up (lazy imports, allocator)
    base = _rss_kb()
    t0 = time.perf_counter()
    step()
    one = max(time.perf_counter() - t0, 1e-6)
    number = max(1, int(seconds / repeats / one))
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(number):
            step()
        samples.append((time.perf_counter() - t0) / number * 1e3)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base
    return {"median_ms": statistics.median(samples), "min_ms": min(samples), "max_ms": max(samples),
            "iters": number * repeats, "peak_mem_mb": max(peak, 0) / 1024}  # fmt: skip


def import_time(lib_name: str, runs: int = 5) -> float:
    """Median seconds for ``import lib`` in a fresh interpreter, from compiled bytecode.

    An installed package has its ``.pyc`` files (pip compiles on install; torch's are there). A
    source checkout under ``PYTHONDONTWRITEBYTECODE=1`` never gets them and would time the
    compiler instead, so ember's are written first (``__pycache__`` is git-ignored).
    """
    if lib_name == "ember":
        import compileall  # noqa: PLC0415

        compileall.compile_dir(str(ROOT / "ember"), quiet=1)
    times = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", f"import time; t=time.perf_counter(); import {lib_name}; print(time.perf_counter()-t)"], capture_output=True, text=True, check=True, cwd=ROOT)  # noqa: E501
        times.append(float(out.stdout.strip()))
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", nargs="*", help="workload names to run")
    ap.add_argument("--seconds", type=float, default=3.0, help="time budget per run")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--out", default=str(ROOT / "bench_results"))
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], args.child[1], args.seconds, args.repeats)))
        return
    sys.path.insert(0, str(ROOT))
    from benchmarks.workloads import WORKLOADS

    names = args.only or list(WORKLOADS)
    rows = []
    for name in names:
        res = {}
        for lib_name in ("torch", "ember"):
            cmd = [sys.executable, __file__, "--child", name, lib_name, "--seconds", str(args.seconds), "--repeats", str(args.repeats)]  # noqa: E501
            out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
            if out.returncode != 0:
                res[lib_name] = {"error": out.stderr.strip().splitlines()[-1] if out.stderr.strip() else "failed"}  # noqa: E501
            else:
                res[lib_name] = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append((name, res))
        print(_row(name, res), flush=True)
    imp = {lib: import_time(lib) for lib in ("torch", "ember")}
    table = _table(rows, imp)
    out = Path(args.out)
    out.mkdir(exist_ok=True)
    (out / "bench.md").write_text(table)
    (out / "bench.json").write_text(json.dumps({"rows": dict(rows), "import_s": imp}, indent=2))
    print()
    print(table)


def _row(name: str, res: dict) -> str:
    e, t = res.get("ember", {}), res.get("torch", {})
    if "median_ms" not in e or "median_ms" not in t:
        return f"{name}: ember {e.get('error', '')} torch {t.get('error', '')}"
    return f"{name}: ember {e['median_ms']:.3f} ms, torch {t['median_ms']:.3f} ms, ratio {e['median_ms'] / t['median_ms']:.2f}"  # noqa: E501


def _table(rows: list, imp: dict) -> str:
    lines = [
        "| workload | ember ms | torch ms | ember/torch | ember spread ms | torch spread ms | ember peak MB | torch peak MB |",  # noqa: E501
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, res in rows:
        e, t = res.get("ember", {}), res.get("torch", {})
        if "median_ms" not in e or "median_ms" not in t:
            lines.append(f"| {name} | {e.get('error', '-')} | {t.get('error', '-')} | - | - | - | - | - |")  # noqa: E501
            continue
        lines.append(
            f"| {name} | {e['median_ms']:.3f} | {t['median_ms']:.3f} | {e['median_ms'] / t['median_ms']:.2f} | "  # noqa: E501
            f"{e['min_ms']:.2f}-{e['max_ms']:.2f} | {t['min_ms']:.2f}-{t['max_ms']:.2f} | "
            f"{e['peak_mem_mb']:.1f} | {t['peak_mem_mb']:.1f} |"
        )
    lines.append(f"| import (s) | {imp['ember']:.3f} | {imp['torch']:.3f} | {imp['ember'] / imp['torch']:.2f} | | | | |")  # noqa: E501
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()

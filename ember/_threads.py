"""Intra-op threads: a tiny ``parallel_for`` for large element-wise kernels.

NumPy's ufuncs release the GIL while they loop, so two Python threads running the same chain of
passes over different halves of an array really do run in parallel. The split only pays off for
large pieces: handing work to another thread costs tens of microseconds, so kernels split only
work of at least ``GRAIN`` elements per thread. GEMMs are not split here: OpenBLAS has its own
threads.

Every kernel splits along independent rows or elements, each part computed exactly as the serial
loop would compute it, so results are bit-identical whatever the number of threads.
"""

from __future__ import annotations

import os
import threading
from typing import Any, Callable

__all__ = ["get_num_threads", "parallel_for", "set_num_threads"]

# perf: the least work (elements) worth handing to another thread. Each hand-off costs 25-100 us
# on a 2-vCPU VM, and the GIL is taken between NumPy calls: a float32 GELU ran as fast on two
# threads as on one at 256K elements, 1.2x faster at 1M and 4M.
GRAIN = 1 << 18

_num_threads: int | None = None  # None: not yet read from the environment
_pool: Any = None  # a ThreadPoolExecutor, made on first use
_pool_size = 0  # its number of workers
_lock = threading.Lock()
_local = threading.local()  # .busy: this thread is running a part of a parallel_for


def _available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def _default_num_threads() -> int:
    """torch's default: ``OMP_NUM_THREADS`` (or ``MKL_NUM_THREADS``), at most the CPUs we may run
    on; the CPU count when neither is a positive integer."""
    cpus = _available_cpus()
    for var in ("MKL_NUM_THREADS", "OMP_NUM_THREADS"):
        value = os.environ.get(var, "")
        if value.strip().isdigit() and int(value) > 0:
            return min(int(value), cpus)
    return cpus


def get_num_threads() -> int:
    """The number of threads ember's element-wise kernels use (torch's intra-op threads)."""
    global _num_threads
    if _num_threads is None:
        _num_threads = _default_num_threads()
    return _num_threads


def set_num_threads(n: int) -> None:
    """Set the number of threads ember's element-wise kernels use (BLAS keeps its own setting)."""
    global _num_threads
    if isinstance(n, bool) or not isinstance(n, int):
        raise RuntimeError(f"set_num_threads expects an int, but got {type(n).__name__}")
    if n <= 0:
        raise RuntimeError("set_num_threads expects a positive integer")
    _num_threads = n


def _get_pool(workers: int) -> Any:
    """A pool with at least ``workers`` threads (made, or remade larger, on demand)."""
    global _pool, _pool_size
    with _lock:
        if _pool is None or _pool_size < workers:
            from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415

            if _pool is not None:
                _pool.shutdown(wait=False)  # its idle workers exit
            _pool = ThreadPoolExecutor(workers, thread_name_prefix="ember-intraop")
            _pool_size = workers
        return _pool


def _forget_pool() -> None:
    """In a forked child the parent's worker threads do not exist: start afresh."""
    global _pool, _pool_size, _lock
    _pool, _pool_size, _lock = None, 0, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def parallel_for(fn: Callable[[int, int], None], n_items: int, min_grain: int = 1) -> None:
    """Call ``fn(lo, hi)`` over contiguous parts of ``range(n_items)``, one part per thread.

    Each part holds at least ``min_grain`` items; with one thread, too few items, or when called
    from inside another ``parallel_for``, it is one inline call ``fn(0, n_items)``. The first part
    runs on the calling thread; ``fn`` must only write what its own part owns. An exception in any
    part is raised here, once every part has finished.
    """
    parts = min(get_num_threads(), n_items // max(min_grain, 1))
    if parts <= 1 or getattr(_local, "busy", False):
        fn(0, n_items)
        return
    bounds = [n_items * i // parts for i in range(parts + 1)]
    pool = _get_pool(get_num_threads() - 1)
    futures = [pool.submit(_run_part, fn, bounds[i], bounds[i + 1]) for i in range(1, parts)]
    error: BaseException | None = None
    try:
        _run_part(fn, bounds[0], bounds[1])
    except BaseException as e:  # noqa: BLE001 -- raised below, after the other parts finish
        error = e
    for f in futures:
        e = f.exception()
        if error is None:
            error = e
    if error is not None:
        raise error


def _run_part(fn: Callable[[int, int], None], lo: int, hi: int) -> None:
    _local.busy = True
    try:
        fn(lo, hi)
    finally:
        _local.busy = False

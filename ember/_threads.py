"""Intra-op threads: a tiny ``parallel_for`` for large element-wise kernels.

NumPy's ufuncs release the GIL while they loop, so two Python threads running the same chain of
passes over different halves of an array really do run in parallel. Work goes to a few
persistent worker threads, each woken through a lock of its own (a futex: no queue, no future),
so a hand-off costs about 10-30 us; kernels split only work of at least ``GRAIN`` elements per
thread. GEMMs are not split here: OpenBLAS has its own threads.

OpenBLAS's idle threads spin for about 0.1 s after each GEMM before they sleep, and on a machine
with as many cores as threads that spin takes the core our second thread needs: a split kernel
right after a GEMM ran *slower* than the serial one. So before the first split, :func:`_quiet_blas`
shortens that spin to 2^14 cycles (about 6 us) - unless the user set ``OPENBLAS_THREAD_TIMEOUT``
themselves. GEMM times stayed the same.

Every kernel splits along independent rows or elements, each part computed exactly as the serial
loop would compute it, so results are bit-identical whatever the number of threads.
"""

from __future__ import annotations

import _thread
import os
import threading
from typing import Callable

__all__ = ["get_num_threads", "parallel_for", "set_num_threads"]

# perf: the least work (elements) worth handing to another thread. Both threads take the GIL
# between NumPy calls, and each hand-off of the GIL costs microseconds on a VM: only calls of
# 100K elements or more keep it rare. A float32 GELU over 262K elements ran in 357 us on two
# threads vs 563 us on one with 128K-element calls, and gained nothing with 32K-element calls.
GRAIN = 1 << 17

_BLAS_SPIN = "14"  # OPENBLAS_THREAD_TIMEOUT: idle BLAS threads spin 2^14 cycles, then sleep

_num_threads: int | None = None  # None: not yet read from the environment
_workers: list[_Worker] = []  # started on first use
_dispatch = _thread.allocate_lock()  # held while a parallel_for uses the workers
_local = threading.local()  # .busy: this thread is running a part of a parallel_for
_blas_quieted = False


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


class _Worker:
    """A daemon thread that runs one part of a ``parallel_for`` at a time.

    ``submit`` releases ``_go``, which the thread waits on; the thread releases ``_done`` when the
    part has run. Both are raw locks used as binary semaphores.
    """

    def __init__(self, index: int) -> None:
        self._go, self._done = _thread.allocate_lock(), _thread.allocate_lock()
        self._go.acquire()
        self._done.acquire()
        self._job: tuple[Callable[[int, int], None], int, int] | None = None
        self._error: BaseException | None = None
        threading.Thread(target=self._loop, name=f"ember-intraop-{index}", daemon=True).start()

    def _loop(self) -> None:
        _local.busy = True  # a part that calls parallel_for runs its loop inline
        while True:
            self._go.acquire()
            fn, lo, hi = self._job  # type: ignore[misc]
            self._job = None
            try:
                fn(lo, hi)
            except BaseException as e:  # noqa: BLE001 -- handed to the caller by join()
                self._error = e
            self._done.release()

    def submit(self, fn: Callable[[int, int], None], lo: int, hi: int) -> None:
        self._job = (fn, lo, hi)
        self._go.release()

    def join(self) -> BaseException | None:
        """Wait for the part to finish; its exception, if it raised one."""
        self._done.acquire()
        error, self._error = self._error, None
        return error


def _quiet_blas() -> None:
    """Make OpenBLAS's idle threads sleep soon after a GEMM instead of spinning for ~0.1 s.

    OpenBLAS reads ``OPENBLAS_THREAD_TIMEOUT`` when it starts its threads, so set it, have the
    library re-read its environment and stop its threads: the next GEMM starts them again with
    the short spin. Nothing happens for another BLAS, or when the user chose a timeout.
    """
    global _blas_quieted
    _blas_quieted = True
    if "OPENBLAS_THREAD_TIMEOUT" in os.environ:
        return
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "openblas" in line and ".so" in line}
        import ctypes  # noqa: PLC0415

        for path in paths:
            lib = ctypes.CDLL(path)
            if hasattr(lib, "openblas_read_env") and hasattr(lib, "blas_thread_shutdown_"):
                os.environ["OPENBLAS_THREAD_TIMEOUT"] = _BLAS_SPIN
                try:
                    lib.openblas_read_env()
                finally:
                    del os.environ["OPENBLAS_THREAD_TIMEOUT"]
                lib.blas_thread_shutdown_()
    except (OSError, ImportError):  # not Linux, or no ctypes: leave BLAS as it is
        pass


def parallel_for(fn: Callable[[int, int], None], n_items: int, min_grain: int = 1) -> None:
    """Call ``fn(lo, hi)`` over contiguous parts of ``range(n_items)``, one part per thread.

    Each part holds at least ``min_grain`` items; with one thread, too few items, when called
    from inside another ``parallel_for`` or while another thread's ``parallel_for`` holds the
    workers, it is one inline call ``fn(0, n_items)``. The first part runs on the calling thread;
    ``fn`` must only write what its own part owns. An exception in any part is raised here, once
    every part has finished.
    """
    parts = min(get_num_threads(), n_items // max(min_grain, 1))
    if parts <= 1 or getattr(_local, "busy", False) or not _dispatch.acquire(False):
        fn(0, n_items)
        return
    error: BaseException | None = None
    try:
        if not _blas_quieted:
            _quiet_blas()
        while len(_workers) < parts - 1:
            _workers.append(_Worker(len(_workers)))
        bounds = [n_items * i // parts for i in range(parts + 1)]
        for i in range(1, parts):
            _workers[i - 1].submit(fn, bounds[i], bounds[i + 1])
        _local.busy = True
        try:
            fn(bounds[0], bounds[1])
        except BaseException as e:  # noqa: BLE001 -- raised below, after the other parts finish
            error = e
        finally:
            _local.busy = False
        for w in _workers[: parts - 1]:
            e = w.join()
            if error is None:
                error = e
    finally:
        _dispatch.release()
    if error is not None:
        raise error


def _forget_workers() -> None:
    """In a forked child the parent's worker threads do not exist: start afresh."""
    global _dispatch, _blas_quieted
    _workers.clear()
    _dispatch = _thread.allocate_lock()
    _blas_quieted = False  # OpenBLAS's fork handler restarted its threads


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_workers)

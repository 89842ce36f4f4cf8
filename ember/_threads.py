"""Intra-op threads: a tiny ``parallel_for`` for large element-wise kernels.

NumPy's ufuncs release the GIL while they loop, so two Python threads running the same chain of
passes over different halves of an array really do run in parallel. Work goes to a few
persistent worker threads, each woken through a lock of its own (a futex: no queue, no future),
so a hand-off costs about 10-30 us; kernels split only work of at least ``GRAIN`` elements per
thread. GEMMs are not split here: OpenBLAS has its own threads.

OpenBLAS's idle threads spin for about 0.1 s after each GEMM before they sleep, and on a machine
with as many cores as threads that spin takes the core our second thread needs: a split kernel
right after a GEMM ran *slower* than the serial one. So each split first stops those threads
(:func:`_release_blas`); the next GEMM starts them again. (Shortening their spin for good, with
``OPENBLAS_THREAD_TIMEOUT``, made every GEMM after a pause pay a wake-up: no faster overall.)

Every kernel splits along independent rows or elements, each part computed exactly as the serial
loop would compute it, so results are bit-identical whatever the number of threads.
"""

from __future__ import annotations

import _thread
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["get_num_threads", "parallel_for", "serial_blas", "set_num_threads"]

# perf: the least work (elements) worth a thread's part. A split costs ~50-100 us to wake the
# worker (longer when its core had gone idle), ~70 us to stop and later restart OpenBLAS's
# threads, and GIL hand-offs between the two threads' NumPy calls. In a GPT step, GELU over
# 262K elements and attention split over the batch gained nothing; AdamW over 10M parameters
# (parts of millions of elements) went from 20.5 to 12 ms.
GRAIN = 1 << 19

_BLAS_SPIN = "14"  # OPENBLAS_THREAD_TIMEOUT: idle BLAS threads spin 2^14 cycles, then sleep

_num_threads: int | None = None  # None: not yet read from the environment
_workers: list[_Worker] = []  # started on first use
_dispatch = _thread.allocate_lock()  # held while a parallel_for uses the workers
_local = threading.local()  # .busy: this thread is running a part of a parallel_for
_blas: _OpenBlas | None = None  # looked up on first use


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


class _OpenBlas:
    """The few OpenBLAS entry points we use, when NumPy's BLAS is OpenBLAS (found through the
    loaded libraries; NumPy's own wheels prefix the names with ``scipy_`` and suffix ``64_``)."""

    def __init__(self) -> None:
        self.shutdown = self.set_threads = self.get_threads = None
        try:
            with open("/proc/self/maps") as f:
                paths = sorted({ln.split()[-1] for ln in f if "openblas" in ln and ".so" in ln})
            import ctypes  # noqa: PLC0415

            for path in paths:
                lib = ctypes.CDLL(path)
                self.shutdown = getattr(lib, "blas_thread_shutdown_", None)
                for prefix, suffix in (("scipy_", "64_"), ("", "")):
                    get = getattr(lib, f"{prefix}openblas_get_num_threads{suffix}", None)
                    if get is not None:
                        self.get_threads = get
                        self.set_threads = getattr(lib, f"{prefix}openblas_set_num_threads{suffix}")
                        break
                if self.shutdown is not None:
                    return
        except (OSError, ImportError, AttributeError):  # not Linux, no ctypes, another build
            self.shutdown = self.set_threads = self.get_threads = None


def _openblas() -> _OpenBlas:
    global _blas
    if _blas is None:
        _blas = _OpenBlas()
    return _blas


def _release_blas() -> None:
    """Stop OpenBLAS's idle threads, so that they leave the cores to ours.

    After each GEMM they spin for about 0.1 s before they sleep; a split kernel run meanwhile
    shares the second core with that spin and ran slower than the serial one. Stopping them
    costs ~40 us, and the next GEMM ~30 us to start them again.
    """
    shutdown = _openblas().shutdown
    if shutdown is not None:
        shutdown()


@contextmanager
def serial_blas() -> Iterator[None]:
    """OpenBLAS runs each call on the calling thread only, inside the block.

    For GEMMs that ember's own threads run side by side: small ones, which OpenBLAS would
    otherwise split again between its threads (a sync per call) and ours.
    """
    blas = _openblas()
    if blas.set_threads is None or blas.get_threads is None:
        yield
        return
    n = blas.get_threads()
    blas.set_threads(1)
    try:
        yield
    finally:
        blas.set_threads(n)


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
        _release_blas()
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
    global _dispatch
    _workers.clear()
    _dispatch = _thread.allocate_lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_workers)

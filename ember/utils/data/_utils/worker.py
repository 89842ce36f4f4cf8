"""The loop a ``DataLoader`` worker process runs, and what it knows about itself (``get_worker_info``).

A worker receives ``(task_id, indices)`` on its own index queue, fetches and collates that batch
with its copy of the dataset, and puts ``(task_id, batch)`` on the shared result queue. The main
process puts the batches back in task order, so workers return exactly what in-process loading
returns.
"""

from __future__ import annotations

import os
import queue
import random
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.reduction import ForkingPickler
from typing import Any

import numpy as np

from ember._tensor import Tensor, _wrap
from .fetch import create_fetcher

__all__ = ["WorkerInfo", "get_worker_info"]

# how often (seconds) a waiting worker checks that it should stop, or that its parent died
MP_STATUS_CHECK_INTERVAL = 0.2


@dataclass(frozen=True)
class WorkerInfo:
    r"""What a worker process knows about itself: see :func:`get_worker_info`.

    Attributes:
        id (int): this worker's index, in ``[0, num_workers)``.
        num_workers (int): how many workers the ``DataLoader`` runs.
        seed (int): the seed this worker's random generators were given (``base_seed + id``).
        dataset: this worker's copy of the dataset.
    """

    id: int
    num_workers: int
    seed: int
    dataset: Any

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={getattr(self, k)}" for k in ("id", "num_workers", "seed", "dataset"))  # noqa: E501
        return f"WorkerInfo({fields})"


_worker_info: WorkerInfo | None = None


def get_worker_info() -> WorkerInfo | None:
    r"""In a ``DataLoader`` worker process, its :class:`WorkerInfo`; in the main process, ``None``.

    Use it in an ``IterableDataset.__iter__`` or a ``worker_init_fn`` to give each worker its
    share of the data.

    Examples::

        >>> get_worker_info() is None
        True
    """
    return _worker_info


class ExceptionWrapper:
    """An exception raised in a worker, carried to the main process with its traceback as text."""

    def __init__(self, where: str) -> None:
        exc_type, exc, _ = sys.exc_info()
        self.exc_type = exc_type
        self.exc_msg = "".join(traceback.format_exception(exc_type, exc, exc.__traceback__))  # type: ignore[union-attr]  # noqa: E501
        self.where = where

    def reraise(self) -> None:
        """Raise the same exception type in this process, its message holding the worker's traceback."""  # noqa: E501
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"  # type: ignore[union-attr]  # noqa: E501
        if self.exc_type is KeyError:
            msg = _KeyErrorMessage(msg)
        try:
            exception = self.exc_type(msg)  # type: ignore[misc]
        except Exception:
            raise RuntimeError(msg) from None
        raise exception


class _KeyErrorMessage(str):
    """torch: KeyError's repr would escape the newlines of the traceback; this keeps them."""

    __slots__ = ()

    def __repr__(self) -> str:
        return str(self)


@dataclass(frozen=True)
class _IterableDatasetStopIteration:
    """Sent by a worker whose copy of an iterable dataset is exhausted."""

    worker_id: int


class _ResumeIteration:
    """Sent to persistent workers at the start of a new epoch; they echo it back."""


def _rebuild_tensor(array: Any, requires_grad: bool) -> Tensor:
    return _wrap(array, requires_grad)


def _reduce_tensor(t: Tensor) -> tuple[Callable, tuple]:
    # perf: batches cross the process boundary as their bare array (no autograd history, as torch)
    return _rebuild_tensor, (t._array, t.requires_grad)


ForkingPickler.register(Tensor, _reduce_tensor)


def _seed_worker(base_seed: int, worker_id: int) -> int:
    """torch: each worker seeds Python's, the framework's and NumPy's generators from base + id."""
    from ember import manual_seed  # noqa: PLC0415

    seed = base_seed + worker_id
    random.seed(seed)
    manual_seed(seed)
    np.random.seed(np.random.SeedSequence([worker_id, base_seed]).generate_state(4))  # noqa: NPY002
    return seed


def _worker_loop(dataset: Any, is_iterable: bool, index_queue: Any, data_queue: Any,
                 auto_collation: bool, collate_fn: Callable, drop_last: bool, base_seed: int,
                 init_fn: Callable | None, worker_id: int, num_workers: int,
                 done_event: Any) -> None:  # fmt: skip
    """Serve batches until the main process sends ``None``, sets ``done_event`` or goes away."""
    global _worker_info
    where = f"in DataLoader worker process {worker_id}"
    try:
        seed = _seed_worker(base_seed, worker_id)
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)
        init_error = None
        try:
            if init_fn is not None:
                init_fn(worker_id)
            fetcher = create_fetcher(is_iterable, dataset, auto_collation, collate_fn, drop_last)
        except Exception:
            init_error = ExceptionWrapper(where)
        iteration_end = False
        parent = os.getppid()
        while True:
            try:
                task = index_queue.get(timeout=MP_STATUS_CHECK_INTERVAL)
            except queue.Empty:
                # the main process died, or shut down from a finalizer (where a queued None may
                # never be sent, its queue's feeder thread already stopped)
                if os.getppid() != parent or done_event.is_set():
                    break
                continue
            if task is None or done_event.is_set():
                break
            if isinstance(task, _ResumeIteration):
                data_queue.put((task, None))
                iteration_end = False
                fetcher = create_fetcher(is_iterable, dataset, auto_collation, collate_fn, drop_last)  # noqa: E501
                continue
            if iteration_end:
                continue  # torch: an exhausted stream ignores further requests until resumed
            task_id, index = task
            data: Any
            if init_error is not None:
                data, init_error = init_error, None
            else:
                try:
                    data = fetcher.fetch(index)
                except StopIteration:
                    if not is_iterable:
                        data = ExceptionWrapper(where)
                    else:
                        data, iteration_end = _IterableDatasetStopIteration(worker_id), True
                except Exception:
                    data = ExceptionWrapper(where)
            data_queue.put((task_id, data))
            del data, task  # free the batch before blocking on the next request
    except KeyboardInterrupt:
        pass  # the main process handles Ctrl-C and shuts the workers down

"""``DataLoader``: batches from a dataset, in the main process or in worker processes.

One loader = a dataset + an index sampler (a ``BatchSampler`` unless batching is off) + a
``collate_fn``. Iterating it makes a ``_SingleProcessDataLoaderIter`` (``num_workers=0``) or a
``_MultiProcessingDataLoaderIter``, which hands index lists to workers round-robin and returns
their batches in the order the sampler produced them.
"""

from __future__ import annotations

import itertools
import math
import multiprocessing
import os
import queue
import warnings
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Generic, TypeVar

from ember import _random
from ._utils.collate import default_collate, default_convert
from ._utils.fetch import create_fetcher
from ._utils.worker import (ExceptionWrapper, _IterableDatasetStopIteration, _ResumeIteration,
                            _worker_loop, get_worker_info)  # fmt: skip
from .dataset import Dataset, IterableDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = ["DataLoader", "get_worker_info", "default_collate", "default_convert"]

_T_co = TypeVar("_T_co", covariant=True)

# how long (seconds) the main process waits on workers between checks that they are alive
MP_STATUS_CHECK_INTERVAL = 5.0


class _InfiniteConstantSampler(Sampler):
    """The index sampler of an iterable dataset: ``None`` forever (the stream decides the end)."""

    def __iter__(self) -> Iterator[None]:
        while True:
            yield None


class DataLoader(Generic[_T_co]):
    r"""Iterates over a dataset in (optionally shuffled) batches.

    Args:
        dataset (Dataset): the dataset to load from (map-style or iterable).
        batch_size (int, optional): samples per batch; ``None`` turns batching off. Default: ``1``.
        shuffle (bool, optional): reshuffle the data every epoch. Default: ``False``.
        sampler (Sampler or Iterable, optional): the order of the indices; excludes ``shuffle``.
        batch_sampler (Sampler or Iterable, optional): yields whole lists of indices; excludes
            ``batch_size``, ``shuffle``, ``sampler`` and ``drop_last``.
        num_workers (int, optional): worker processes; ``0`` loads in the main process.
        collate_fn (Callable, optional): merges a list of samples into a batch.
            Default: :func:`default_collate` (:func:`default_convert` without batching).
        pin_memory (bool, optional): accepted; page-locking needs an accelerator.
        drop_last (bool, optional): drop the last, short, batch. Default: ``False``.
        timeout (float, optional): seconds to wait for a worker's batch; ``0`` waits forever.
        worker_init_fn (Callable, optional): called as ``fn(worker_id)`` in each worker after
            seeding and before loading.
        multiprocessing_context (str or context, optional): the start method of the workers.
        generator (Generator, optional): the source of the shuffle and of the workers' base seed.
        prefetch_factor (int, optional): batches each worker loads ahead. Default: ``2`` with
            workers.
        persistent_workers (bool, optional): keep the workers (and their dataset copies) alive
            between epochs. Default: ``False``.
        pin_memory_device (str, optional): deprecated, accepted.
        in_order (bool, optional): accepted; batches always come back in order.

    Examples::

        >>> import ember
        >>> from ember.utils.data import TensorDataset
        >>> loader = DataLoader(TensorDataset(ember.arange(5)), batch_size=2)
        >>> len(loader), [batch for (batch,) in loader]
        (3, [tensor([0, 1]), tensor([2, 3]), tensor([4])])
    """

    dataset: Dataset[_T_co]
    batch_size: int | None
    num_workers: int
    pin_memory: bool
    drop_last: bool
    timeout: float
    sampler: Sampler | Iterable
    pin_memory_device: str
    prefetch_factor: int | None
    __initialized = False

    def __init__(self, dataset: Dataset[_T_co], batch_size: int | None = 1,
                 shuffle: bool | None = None, sampler: Sampler | Iterable | None = None,
                 batch_sampler: Sampler[list] | Iterable[list] | None = None, num_workers: int = 0,
                 collate_fn: Callable[[list], Any] | None = None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0,
                 worker_init_fn: Callable[[int], None] | None = None,
                 multiprocessing_context: Any = None, generator: _random.Generator | None = None,
                 *, prefetch_factor: int | None = None, persistent_workers: bool = False,
                 pin_memory_device: str = "", in_order: bool = True) -> None:  # fmt: skip
        prefetch_factor = _check_worker_options(num_workers, timeout, prefetch_factor, persistent_workers)  # noqa: E501
        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.in_order = in_order
        self._is_iterable = isinstance(dataset, IterableDataset)
        if self._is_iterable:
            _check_iterable_options(shuffle, sampler, batch_sampler)
        else:
            shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "batch_sampler option is mutually exclusive with batch_size, shuffle, "
                    "sampler, and drop_last"
                )
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError(
                "batch_size=None option disables auto-batching and is mutually exclusive with "
                "drop_last"
            )
        if sampler is None:
            if self._is_iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)  # type: ignore[arg-type]
            else:
                sampler = SequentialSampler(dataset)  # type: ignore[arg-type]
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers
        self.__initialized = True
        self._IterableDataset_len_called: int | None = None
        self._iterator: _BaseDataLoaderIter | None = None
        self.check_worker_number_rationality()

    @property
    def multiprocessing_context(self) -> Any:
        return self.__multiprocessing_context

    @multiprocessing_context.setter
    def multiprocessing_context(self, multiprocessing_context: Any) -> None:
        if multiprocessing_context is not None:
            multiprocessing_context = _resolve_context(multiprocessing_context, self.num_workers)
        self.__multiprocessing_context = multiprocessing_context

    def __setattr__(self, attr: str, val: Any) -> None:
        if self.__initialized and attr in ("batch_size", "batch_sampler", "sampler", "drop_last",
                                           "dataset", "persistent_workers"):  # fmt: skip
            raise ValueError(
                f"{attr} attribute should not be set after {type(self).__name__} is initialized"
            )
        super().__setattr__(attr, val)

    def _get_iterator(self) -> _BaseDataLoaderIter:
        if self.num_workers == 0:
            return _SingleProcessDataLoaderIter(self)
        self.check_worker_number_rationality()
        return _MultiProcessingDataLoaderIter(self)

    def __iter__(self) -> _BaseDataLoaderIter:
        if self.persistent_workers and self.num_workers > 0:
            if self._iterator is None:
                self._iterator = self._get_iterator()
            else:
                self._iterator._reset(self)
            return self._iterator
        return self._get_iterator()

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None

    @property
    def _index_sampler(self) -> Any:
        return self.batch_sampler if self._auto_collation else self.sampler

    def __len__(self) -> int:
        if not self._is_iterable:
            return len(self._index_sampler)
        # torch: an iterable dataset's length is an estimate from len(dataset)
        length = self._IterableDataset_len_called = len(self.dataset)  # type: ignore[arg-type]
        if self.batch_size is not None:
            length = length // self.batch_size if self.drop_last else math.ceil(length / self.batch_size)  # noqa: E501
        return length

    def check_worker_number_rationality(self) -> None:
        """Warn, as torch does, when more workers are asked for than there are CPUs to run them."""
        if not self.num_workers:
            return
        cpuset = hasattr(os, "sched_getaffinity")
        suggest = len(os.sched_getaffinity(0)) if cpuset else os.cpu_count()
        if suggest is not None and self.num_workers <= suggest:
            return
        if suggest is None:
            detail = "DataLoader is not able to compute a suggested max number of worker in current system."  # noqa: E501
        else:
            detail = (
                f"Our suggested max number of worker in current system is {suggest}"
                f"{'' if cpuset else ' (`cpuset` is not taken into account)'}, which is smaller "
                "than what this DataLoader is going to create."
            )
        warnings.warn(
            f"This DataLoader will create {self.num_workers} worker processes in total. {detail} "
            "Please be aware that excessive worker creation might get DataLoader running slow or "
            "even freeze, lower the worker number to avoid potential slowness/freeze if necessary.",  # noqa: E501
            stacklevel=2,
        )


def _check_worker_options(num_workers: int, timeout: float, prefetch_factor: int | None,
                          persistent_workers: bool) -> int | None:  # fmt: skip
    """Validate the worker options as torch does; returns the effective ``prefetch_factor``."""
    if num_workers < 0:
        raise ValueError(
            "num_workers option should be non-negative; use num_workers=0 to disable "
            "multiprocessing."
        )
    if timeout < 0:
        raise ValueError("timeout option should be non-negative")
    if num_workers == 0 and prefetch_factor is not None:
        raise ValueError(
            "prefetch_factor option could only be specified in multiprocessing.let num_workers "
            "> 0 to enable multiprocessing, otherwise set prefetch_factor to None."
        )
    if num_workers > 0 and prefetch_factor is None:
        prefetch_factor = 2
    elif prefetch_factor is not None and prefetch_factor < 0:
        raise ValueError("prefetch_factor option should be non-negative")
    if persistent_workers and num_workers == 0:
        raise ValueError("persistent_workers option needs num_workers > 0")
    return prefetch_factor


def _check_iterable_options(shuffle: Any, sampler: Any, batch_sampler: Any) -> None:
    """An iterable dataset orders its own samples: no shuffle, sampler or batch_sampler."""
    if shuffle not in {False, None}:
        raise ValueError(
            f"DataLoader with IterableDataset: expected unspecified shuffle option, but got shuffle={shuffle}"  # noqa: E501
        )
    if sampler is not None:
        raise ValueError(
            f"DataLoader with IterableDataset: expected unspecified sampler option, but got sampler={sampler}"  # noqa: E501
        )
    if batch_sampler is not None:
        raise ValueError(
            "DataLoader with IterableDataset: expected unspecified batch_sampler option, but got "
            f"batch_sampler={batch_sampler}"
        )


def _resolve_context(context: Any, num_workers: int) -> Any:
    """A multiprocessing context from a start-method name or a context object."""
    if num_workers <= 0:
        raise ValueError(
            "multiprocessing_context can only be used with multi-process loading (num_workers > "
            f"0), but got num_workers={num_workers}"
        )
    if isinstance(context, str):
        methods = multiprocessing.get_all_start_methods()
        if context not in methods:
            raise ValueError(
                f"multiprocessing_context option should specify a valid start method in {methods!r}, but got multiprocessing_context={context!r}"  # noqa: E501
            )
        context = multiprocessing.get_context(context)
    if not isinstance(context, multiprocessing.context.BaseContext):
        raise TypeError(
            "multiprocessing_context option should be a valid context object or a string "
            f"specifying the start method, but got multiprocessing_context={context}"
        )
    return context


class _BaseDataLoaderIter:
    """What both iterators share: the sampler iterator, the base seed, the length warning."""

    def __init__(self, loader: DataLoader) -> None:
        self._dataset = loader.dataset
        self._is_iterable = loader._is_iterable
        self._IterableDataset_len_called = loader._IterableDataset_len_called
        self._auto_collation = loader._auto_collation
        self._drop_last = loader.drop_last
        self._index_sampler = loader._index_sampler
        self._num_workers = loader.num_workers
        self._pin_memory = loader.pin_memory and _warn_pin_memory(loader)
        self._timeout = loader.timeout
        self._collate_fn = loader.collate_fn
        self._sampler_iter = iter(self._index_sampler)
        self._base_seed = int(_random._gen(loader.generator).integers(0, 1 << 63))
        self._persistent_workers = loader.persistent_workers
        self._num_yielded = 0

    def __iter__(self) -> _BaseDataLoaderIter:
        return self

    def _reset(self, loader: DataLoader, first_iter: bool = False) -> None:
        self._sampler_iter = iter(self._index_sampler)
        self._num_yielded = 0
        self._IterableDataset_len_called = loader._IterableDataset_len_called

    def _next_index(self) -> Any:
        return next(self._sampler_iter)  # StopIteration ends the epoch

    def _next_data(self) -> Any:
        raise NotImplementedError

    def __next__(self) -> Any:
        data = self._next_data()
        self._num_yielded += 1
        reported = self._IterableDataset_len_called
        if self._is_iterable and reported is not None and self._num_yielded > reported:
            msg = (
                f"Length of IterableDataset {self._dataset} was reported to be {reported}"
                f"(when accessing len(dataloader)), but {self._num_yielded} samples have been "
                "fetched. "
            )
            if self._num_workers > 0:
                msg += (
                    "For multiprocessing data-loading, this could be caused by not properly "
                    "configuring the IterableDataset replica at each worker. Please see "
                    "https://pytorch.org/docs/stable/data.html#torch.utils.data.IterableDataset for examples."  # noqa: E501
                )
            warnings.warn(msg, stacklevel=2)
        return data

    def __len__(self) -> int:
        return len(self._index_sampler)

    def __getstate__(self) -> Any:
        raise NotImplementedError("{} cannot be pickled", type(self).__name__)


def _warn_pin_memory(loader: DataLoader) -> bool:
    """torch: pinning needs an accelerator; without one it warns and loads unpinned."""
    from ember import cuda  # noqa: PLC0415

    if loader.pin_memory_device:
        warnings.warn(
            "pin_memory_device is deprecated, the current accelerator will be used as the "
            f"device,ignore pin_memory_device='{loader.pin_memory_device}'.",
            stacklevel=4,
        )
    if cuda.is_available():
        return True
    warnings.warn(
        "'pin_memory' argument is set as true but no accelerator is found, then device pinned "
        "memory won't be used.",
        stacklevel=4,
    )
    return False


class _SingleProcessDataLoaderIter(_BaseDataLoaderIter):
    """Loads each batch in the main process, when it is asked for."""

    def __init__(self, loader: DataLoader) -> None:
        super().__init__(loader)
        if self._timeout != 0:
            raise AssertionError("_SingleProcessDataLoaderIter requires timeout == 0")
        self._fetcher = create_fetcher(self._is_iterable, self._dataset, self._auto_collation,
                                       self._collate_fn, self._drop_last)  # fmt: skip

    def _next_data(self) -> Any:
        index = self._next_index()
        return self._fetcher.fetch(index)  # StopIteration from an exhausted stream ends it too


class _MultiProcessingDataLoaderIter(_BaseDataLoaderIter):
    """Hands index lists to worker processes round-robin and returns their batches in order.

    Task ``i`` goes to the next worker still serving; up to ``prefetch_factor * num_workers``
    tasks are in flight. Batches that arrive early wait in ``_task_info`` until their turn.
    """

    def __init__(self, loader: DataLoader) -> None:
        super().__init__(loader)
        self._prefetch_factor = loader.prefetch_factor
        ctx = loader.multiprocessing_context or multiprocessing.get_context()
        self._worker_result_queue = ctx.Queue()
        self._workers_done_event = ctx.Event()
        self._index_queues: list[Any] = []
        self._workers: list[Any] = []
        self._shutdown = False
        for worker_id in range(self._num_workers):
            index_queue = ctx.Queue()
            index_queue.cancel_join_thread()  # never block interpreter exit on unsent indices
            args = (self._dataset, self._is_iterable, index_queue, self._worker_result_queue,
                    self._auto_collation, self._collate_fn, self._drop_last, self._base_seed,
                    loader.worker_init_fn, worker_id, self._num_workers,
                    self._workers_done_event)  # fmt: skip
            w = ctx.Process(target=_worker_loop, args=args, daemon=True)
            w.start()
            self._index_queues.append(index_queue)
            self._workers.append(w)
        self._reset(loader, first_iter=True)

    def _reset(self, loader: DataLoader, first_iter: bool = False) -> None:
        super()._reset(loader, first_iter)
        self._send_idx = 0  # id of the next task to send
        self._rcvd_idx = 0  # id of the next task to return
        self._task_info: dict[int, tuple] = {}  # id -> (worker,) in flight, (worker, data) arrived
        self._workers_status = [True] * self._num_workers
        self._worker_queue_idx_cycle = itertools.cycle(range(self._num_workers))
        if not first_iter:
            # persistent workers: restart every worker's fetcher and drop last epoch's leftovers
            for q in self._index_queues:
                q.put(_ResumeIteration())
            pending = self._num_workers
            while pending:
                task_id, _ = self._get_data()
                pending -= isinstance(task_id, _ResumeIteration)
        for _ in range(self._prefetch_factor * self._num_workers):  # type: ignore[operator]
            self._try_put_index()

    def _try_put_index(self) -> None:
        try:
            index = self._next_index()
        except StopIteration:
            return
        for _ in range(self._num_workers):
            worker = next(self._worker_queue_idx_cycle)
            if self._workers_status[worker]:
                break
        else:
            return  # every worker's stream has ended
        self._index_queues[worker].put((self._send_idx, index))
        self._task_info[self._send_idx] = (worker,)
        self._send_idx += 1

    def _get_data(self) -> tuple[Any, Any]:
        """The next ``(task_id, data)`` from any worker, watching for timeouts and dead workers."""
        if self._timeout > 0:
            try:
                return self._worker_result_queue.get(timeout=self._timeout)
            except queue.Empty:
                raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds") from None
        while True:
            try:
                return self._worker_result_queue.get(timeout=MP_STATUS_CHECK_INTERVAL)
            except queue.Empty:
                dead = [w.pid for w, up in zip(self._workers, self._workers_status) if up and not w.is_alive()]  # noqa: E501
                if dead:
                    self._shutdown_workers()
                    pids = ", ".join(str(p) for p in dead)
                    raise RuntimeError(f"DataLoader worker (pid(s) {pids}) exited unexpectedly") from None  # noqa: E501

    def _next_data(self) -> Any:
        while True:
            # skip tasks that a finished worker will never answer
            while self._rcvd_idx < self._send_idx:
                info = self._task_info[self._rcvd_idx]
                if len(info) == 2 or self._workers_status[info[0]]:
                    break
                del self._task_info[self._rcvd_idx]
                self._rcvd_idx += 1
            else:
                if not self._persistent_workers:
                    self._shutdown_workers()
                raise StopIteration
            if len(self._task_info[self._rcvd_idx]) == 2:  # it arrived earlier
                data = self._task_info.pop(self._rcvd_idx)[1]
                self._rcvd_idx += 1
                return self._process_data(data)
            task_id, data = self._get_data()
            if isinstance(data, _IterableDatasetStopIteration):
                self._mark_worker_as_unavailable(data.worker_id)
                self._try_put_index()
            elif task_id != self._rcvd_idx:
                self._task_info[task_id] += (data,)
            else:
                del self._task_info[task_id]
                self._rcvd_idx += 1
                return self._process_data(data)

    def _process_data(self, data: Any) -> Any:
        self._try_put_index()
        if isinstance(data, ExceptionWrapper):
            data.reraise()
        return data

    def _mark_worker_as_unavailable(self, worker_id: int) -> None:
        self._workers_status[worker_id] = False
        if not self._persistent_workers:
            self._index_queues[worker_id].put(None)  # let it exit now

    def _shutdown_workers(self) -> None:
        if self._shutdown:
            return
        self._shutdown = True
        self._workers_done_event.set()
        for q in self._index_queues:
            q.put(None)
        for w in self._workers:
            w.join(timeout=MP_STATUS_CHECK_INTERVAL)
            if w.is_alive():
                w.terminate()
        for q in (*self._index_queues, self._worker_result_queue):
            q.cancel_join_thread()
            q.close()

    def __del__(self) -> None:
        if getattr(self, "_workers", None):
            self._shutdown_workers()


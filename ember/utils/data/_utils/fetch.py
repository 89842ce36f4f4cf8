"""Fetchers: turn one entry of the index sampler into one collated batch, in the main process or a worker."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ember._device import array_namespace
from ember._tensor import Tensor, _wrap

from ..dataset import TensorDataset
from .collate import default_collate


class _MapDatasetFetcher:
    """For map-style datasets: look the indices up, then collate."""

    def __init__(self, dataset: Any, auto_collation: bool, collate_fn: Callable, drop_last: bool) -> None:  # noqa: E501
        self.dataset = dataset
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last
        self._whole_batch_ok = _plain_tensor_dataset(dataset) and collate_fn is default_collate
        self._length = len(dataset) if self._whole_batch_ok else 0

    def fetch(self, possibly_batched_index: Any) -> Any:
        if not self.auto_collation:
            return self.collate_fn(self.dataset[possibly_batched_index])
        if self._whole_batch_ok and _valid_indices(possibly_batched_index, self._length):
            # perf: a TensorDataset batch that default_collate would stack is each tensor
            # indexed by the whole batch at once: the same values, dtypes and fresh memory
            return [_take(t, possibly_batched_index) for t in self.dataset.tensors]
        getitems = getattr(self.dataset, "__getitems__", None)
        if getitems:
            data = getitems(possibly_batched_index)
        else:
            data = [self.dataset[i] for i in possibly_batched_index]
        return self.collate_fn(data)


def _plain_tensor_dataset(dataset: Any) -> bool:
    """A TensorDataset (or subclass) that fetches samples as TensorDataset does, without autograd."""
    return (
        isinstance(dataset, TensorDataset)
        and type(dataset).__getitem__ is TensorDataset.__getitem__
        and getattr(dataset, "__getitems__", None) is None
        and not any(t.requires_grad for t in dataset.tensors)
    )


def _valid_indices(index: Any, n: int) -> bool:
    """Plain in-range ints (anything else takes the per-sample path, and its errors)."""
    return type(index) is list and all(type(i) is int and -n <= i < n for i in index)


def _take(t: Tensor, index: list[int]) -> Tensor:
    arr = t._array
    return _wrap(arr[array_namespace(arr).asarray(index)])


class _IterableDatasetFetcher:
    """For iterable datasets: pull as many samples as the batch holds from the stream."""

    def __init__(self, dataset: Any, auto_collation: bool, collate_fn: Callable, drop_last: bool) -> None:  # noqa: E501
        self.dataset_iter = iter(dataset)
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last
        self.ended = False

    def fetch(self, possibly_batched_index: Any) -> Any:
        if self.ended:
            raise StopIteration
        if not self.auto_collation:
            return self.collate_fn(next(self.dataset_iter))
        data = []
        for _ in possibly_batched_index:
            try:
                data.append(next(self.dataset_iter))
            except StopIteration:
                self.ended = True
                break
        if not data or (self.drop_last and len(data) < len(possibly_batched_index)):
            raise StopIteration
        return self.collate_fn(data)


def create_fetcher(is_iterable: bool, dataset: Any, auto_collation: bool, collate_fn: Callable,
                   drop_last: bool) -> _MapDatasetFetcher | _IterableDatasetFetcher:  # fmt: skip
    cls = _IterableDatasetFetcher if is_iterable else _MapDatasetFetcher
    return cls(dataset, auto_collation, collate_fn, drop_last)

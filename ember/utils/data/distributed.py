"""``DistributedSampler``: each of ``num_replicas`` processes loads its own share of the data."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any, TypeVar

from ember import _random
from .dataset import Dataset
from .sampler import Sampler

__all__ = ["DistributedSampler"]

_T_co = TypeVar("_T_co", covariant=True)


class DistributedSampler(Sampler[_T_co]):
    r"""Yields the indices that replica ``rank`` of ``num_replicas`` should load.

    ember runs in one process, so ``num_replicas`` defaults to 1 and ``rank`` to 0; explicit values
    split the indices as torch does (padded, or trimmed with ``drop_last``, to divide evenly; then
    every ``num_replicas``-th index from ``rank``). Call :meth:`set_epoch` each epoch to reshuffle.

    Args:
        dataset (Dataset): the dataset to sample from.
        num_replicas (int, optional): processes taking part. Default: ``1``.
        rank (int, optional): this process's rank. Default: ``0``.
        shuffle (bool, optional): shuffle the indices (seeded by ``seed + epoch``). Default: ``True``.
        seed (int, optional): the shuffle's seed, the same on every replica. Default: ``0``.
        drop_last (bool, optional): trim the tail instead of padding it. Default: ``False``.

    Examples::

        >>> list(DistributedSampler(range(5), num_replicas=2, rank=1, shuffle=False))
        [1, 3, 0]
    """

    def __init__(self, dataset: Dataset, num_replicas: int | None = None, rank: int | None = None,
                 shuffle: bool = True, seed: int = 0, drop_last: bool = False) -> None:  # fmt: skip
        num_replicas = 1 if num_replicas is None else num_replicas
        rank = 0 if rank is None else rank
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]")  # noqa: E501
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        n = len(dataset)  # type: ignore[arg-type]
        if drop_last and n % num_replicas != 0:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas
        self.shuffle = shuffle
        self.seed = seed

    def __iter__(self) -> Iterator[Any]:
        n = len(self.dataset)  # type: ignore[arg-type]
        if self.shuffle:
            g = _random.Generator().manual_seed(self.seed + self.epoch)
            indices = g._rng.permutation(n).tolist()
        else:
            indices = list(range(n))
        if not self.drop_last:
            padding = self.total_size - len(indices)
            if padding <= len(indices):
                indices += indices[:padding]
            else:
                indices += (indices * math.ceil(padding / len(indices)))[:padding]
        else:
            indices = indices[: self.total_size]
        return iter(indices[self.rank : self.total_size : self.num_replicas])

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        r"""Set the epoch, which seeds the shuffle: call it before each epoch's iterator."""
        self.epoch = epoch

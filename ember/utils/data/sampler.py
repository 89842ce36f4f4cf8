"""Samplers: the strategies that decide which dataset indices a ``DataLoader`` draws, and in what order."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence, Sized
from typing import Any, Generic, TypeVar

from ember import _random
from ember._tensor import Tensor

__all__ = ["BatchSampler", "RandomSampler", "Sampler", "SequentialSampler", "SubsetRandomSampler",
           "WeightedRandomSampler"]  # fmt: skip

_T_co = TypeVar("_T_co", covariant=True)


def _fresh_generator() -> _random.Generator:
    """torch: a sampler without a generator seeds a new one from the default generator."""
    seed = int(_random.default_generator._rng.integers(0, 1 << 63))
    return _random.Generator().manual_seed(seed)


def _check_positive_int(name: str, value: Any) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{name} should be a positive integer value, but got {name}={value}")


class Sampler(Generic[_T_co]):
    r"""Base class for all samplers.

    A subclass provides ``__iter__``, yielding dataset indices (or lists of indices, for a batch
    sampler), and usually ``__len__``.
    """

    def __iter__(self) -> Iterator[_T_co]:
        raise NotImplementedError


class SequentialSampler(Sampler[int]):
    r"""Yields ``0, 1, ..., len(data_source) - 1``, always in that order.

    Args:
        data_source (Sized): the dataset to sample from.

    Examples::

        >>> list(SequentialSampler(range(4)))
        [0, 1, 2, 3]
    """

    data_source: Sized

    def __init__(self, data_source: Sized) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler[int]):
    r"""Yields indices in random order: a fresh permutation each epoch, or draws with replacement.

    Args:
        data_source (Sized): the dataset to sample from.
        replacement (bool): draw with replacement. Default: ``False``.
        num_samples (int, optional): how many indices to yield. Default: ``len(data_source)``.
        generator (Generator, optional): the source of randomness.
    """

    data_source: Sized
    replacement: bool

    def __init__(self, data_source: Sized, replacement: bool = False,
                 num_samples: int | None = None, generator: _random.Generator | None = None) -> None:  # fmt: skip
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(self.replacement, bool):
            raise TypeError(
                f"replacement should be a boolean value, but got replacement={self.replacement}"
            )
        if not isinstance(self.num_samples, int) or self.num_samples <= 0:
            raise ValueError(
                f"num_samples should be a positive integer value, but got num_samples={self.num_samples}"  # noqa: E501
            )

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        n = len(self.data_source)
        rng = (self.generator or _fresh_generator())._rng
        if self.replacement:
            yield from rng.integers(0, n, size=self.num_samples).tolist()
            return
        # a whole permutation per pass over the data, then part of one more
        for _ in range(self.num_samples // n):
            yield from rng.permutation(n).tolist()
        yield from rng.permutation(n).tolist()[: self.num_samples % n]

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler[int]):
    r"""Yields the given indices in a random order (without replacement).

    Args:
        indices (sequence): the indices to draw from.
        generator (Generator, optional): the source of randomness.
    """

    indices: Sequence[int]

    def __init__(self, indices: Sequence[int], generator: _random.Generator | None = None) -> None:
        self.indices = indices
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        for i in _random._gen(self.generator).permutation(len(self.indices)).tolist():
            yield self.indices[i]

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler[int]):
    r"""Yields indices in ``[0, len(weights))`` drawn with probabilities proportional to ``weights``.

    Args:
        weights (sequence): non-negative weights, not necessarily summing to one.
        num_samples (int): how many indices to draw.
        replacement (bool): draw with replacement. Default: ``True``.
        generator (Generator, optional): the source of randomness.
    """

    weights: Tensor
    num_samples: int
    replacement: bool

    def __init__(self, weights: Sequence[float], num_samples: int, replacement: bool = True,
                 generator: _random.Generator | None = None) -> None:  # fmt: skip
        from ember import _factory, float64  # noqa: PLC0415

        _check_positive_int("num_samples", num_samples)
        if not isinstance(replacement, bool):
            raise ValueError(
                f"replacement should be a boolean value, but got replacement={replacement}"
            )
        weights_tensor = _factory.as_tensor(weights, dtype=float64)
        if weights_tensor.ndim != 1:
            raise ValueError(
                "weights should be a 1d sequence but given "
                f"weights have shape {tuple(weights_tensor.shape)}"
            )
        self.weights = weights_tensor
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        from ember import multinomial  # noqa: PLC0415

        drawn = multinomial(self.weights, self.num_samples, self.replacement, generator=self.generator)  # noqa: E501
        yield from iter(drawn.tolist())

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler[list[int]]):
    r"""Groups the indices of another sampler into lists of ``batch_size``.

    Args:
        sampler (Sampler or Iterable): the sampler whose indices are grouped.
        batch_size (int): indices per batch.
        drop_last (bool): drop the last batch when it is short.

    Examples::

        >>> list(BatchSampler(SequentialSampler(range(7)), batch_size=3, drop_last=False))
        [[0, 1, 2], [3, 4, 5], [6]]
        >>> list(BatchSampler(SequentialSampler(range(7)), batch_size=3, drop_last=True))
        [[0, 1, 2], [3, 4, 5]]
    """

    def __init__(self, sampler: Sampler[int] | Iterable[int], batch_size: int,
                 drop_last: bool) -> None:  # fmt: skip
        _check_positive_int("batch_size", batch_size)
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self) -> Iterator[list[int]]:
        it = iter(self.sampler)
        batch = list(itertools.islice(it, self.batch_size))
        while batch and (len(batch) == self.batch_size or not self.drop_last):
            yield batch
            batch = list(itertools.islice(it, self.batch_size))

    def __len__(self) -> int:
        n = len(self.sampler)  # type: ignore[arg-type]
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

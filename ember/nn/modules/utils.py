"""Small helpers for layers: ``_pair``/``_triple`` argument expansion and state-dict prefix stripping."""

from __future__ import annotations

import collections.abc
from itertools import repeat
from typing import Any, Callable

__all__ = ["consume_prefix_in_state_dict_if_present"]


def _ntuple(n: int, name: str = "parse") -> Callable[[Any], tuple[Any, ...]]:
    """A function that turns ``x`` into an ``n``-tuple (iterables pass through as tuples)."""

    def parse(x: Any) -> tuple[Any, ...]:
        if isinstance(x, collections.abc.Iterable):
            return tuple(x)
        return tuple(repeat(x, n))

    parse.__name__ = name
    return parse


_single = _ntuple(1, "_single")
_pair = _ntuple(2, "_pair")
_triple = _ntuple(3, "_triple")
_quadruple = _ntuple(4, "_quadruple")


def _reverse_repeat_tuple(t: Any, n: int) -> tuple[Any, ...]:
    """Reverse ``t`` and repeat each element ``n`` times (conv padding for ``F.pad``)."""
    return tuple(x for x in reversed(t) for _ in range(n))


def _list_with_default(out_size: Any, defaults: list[int]) -> list[int]:
    """Fill the ``None`` entries of an adaptive-pool output size from ``defaults``."""
    if isinstance(out_size, int | float):
        return out_size  # type: ignore[return-value]
    if len(defaults) <= len(out_size):
        raise ValueError(f"Input dimension should be at least {len(out_size) + 1}")
    return [v if v is not None else d for v, d in zip(out_size, defaults[-len(out_size):])]


def consume_prefix_in_state_dict_if_present(state_dict: dict[str, Any], prefix: str) -> None:
    r"""Strip ``prefix`` from the keys of ``state_dict`` (and of its ``_metadata``), in place.

    Use it to load a checkpoint saved from a ``DataParallel``/``DistributedDataParallel``
    wrapper (prefix ``"module."``) or from ``torch.compile`` (``"_orig_mod."``).

    Args:
        state_dict (OrderedDict): a state dict to modify in place.
        prefix (str): the prefix to remove.
    """
    keys = list(state_dict.keys())
    for key in keys:
        if key.startswith(prefix):
            state_dict[key[len(prefix):]] = state_dict.pop(key)
    metadata = getattr(state_dict, "_metadata", None)
    if metadata is None:
        return
    for key in list(metadata.keys()):
        # torch: the root module's metadata key is "" and a prefix "module." matches "module"
        if len(key) == 0:
            continue
        if key == prefix.replace(".", "") or key.startswith(prefix):
            metadata[key[len(prefix):]] = metadata.pop(key)

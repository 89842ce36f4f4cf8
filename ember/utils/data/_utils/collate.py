"""Collation: merge a list of samples into a batch (``default_collate``) or convert one (``default_convert``).

The rules are torch's: tensors are stacked, NumPy arrays and Python numbers become tensors (ints
as int64, floats as float64), strings stay a list, and mappings, namedtuples and sequences are
collated field by field.
"""

from __future__ import annotations

import collections.abc
import copy
import re
from collections.abc import Callable
from typing import Any

import numpy as np

from ember._device import array_namespace
from ember._tensor import Tensor, _wrap

__all__ = ["collate", "default_collate", "default_convert", "default_collate_fn_map",
           "collate_tensor_fn", "collate_numpy_array_fn", "collate_numpy_scalar_fn",
           "collate_float_fn", "collate_int_fn", "collate_str_fn"]  # fmt: skip

# NumPy dtypes that cannot become tensors: bytes, str, unicode and object arrays
np_str_obj_array_pattern = re.compile(r"[SaUO]")

default_collate_err_msg_format = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"
)

CollateMap = dict[type | tuple[type, ...], Callable]


def _as_tensor(data: Any) -> Tensor:
    from ember import _factory  # noqa: PLC0415

    return _factory.as_tensor(data)


def _rebuild_like(elem: Any, values: dict | list, kind: type) -> Any:
    """A container of ``elem``'s type holding ``values``; torch falls back to a plain dict/list."""
    try:
        if isinstance(elem, collections.abc.MutableMapping | collections.abc.MutableSequence):
            clone: Any = copy.copy(elem)
            if isinstance(values, dict):
                clone.update(values)
            else:
                for i, v in enumerate(values):
                    clone[i] = v
            return clone
        return type(elem)(values)
    except TypeError:
        return kind(values)


def default_convert(data: Any) -> Any:
    r"""Convert NumPy arrays and scalars in ``data`` (recursively) to tensors; leave the rest.

    The ``collate_fn`` of a ``DataLoader`` that does no batching (``batch_size=None``).

    Examples::

        >>> import numpy as np
        >>> default_convert(np.array([0, 1]))
        tensor([0, 1])
        >>> default_convert((np.array([0, 1]), "a"))
        [tensor([0, 1]), 'a']
    """
    elem_type = type(data)
    if isinstance(data, Tensor):
        return data
    if elem_type.__module__ == "numpy" and elem_type.__name__ not in ("str_", "string_"):
        if elem_type.__name__ == "ndarray" and np_str_obj_array_pattern.search(data.dtype.str):
            return data
        return _as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        return _rebuild_like(data, {k: default_convert(data[k]) for k in data}, dict)
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # namedtuple
        return elem_type(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]  # torch: tuples become lists
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, str | bytes):
        return _rebuild_like(data, [default_convert(d) for d in data], list)
    return data


def collate(batch: Any, *, collate_fn_map: CollateMap | None = None) -> Any:
    r"""Collate ``batch`` using ``collate_fn_map`` for its leaves and recursing into containers.

    ``collate_fn_map`` maps an element type (or a tuple of types) to a function
    ``fn(batch, *, collate_fn_map)``; the exact type is looked up first, then each key in order
    with ``isinstance``.
    """
    elem = batch[0]
    elem_type = type(elem)
    if collate_fn_map is not None:
        if elem_type in collate_fn_map:
            return collate_fn_map[elem_type](batch, collate_fn_map=collate_fn_map)
        for collate_type, fn in collate_fn_map.items():
            if isinstance(elem, collate_type):
                return fn(batch, collate_fn_map=collate_fn_map)
    if isinstance(elem, collections.abc.Mapping):
        values = {k: collate([d[k] for d in batch], collate_fn_map=collate_fn_map) for k in elem}
        return _rebuild_like(elem, values, dict)
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return elem_type(*(collate(s, collate_fn_map=collate_fn_map) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(e) != size for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        columns = [collate(s, collate_fn_map=collate_fn_map) for s in zip(*batch)]
        if isinstance(elem, tuple):
            return columns  # torch: a batch of tuples becomes a list
        return _rebuild_like(elem, columns, list)
    raise TypeError(default_collate_err_msg_format.format(elem_type))


def collate_tensor_fn(batch: list[Tensor], *, collate_fn_map: CollateMap | None = None) -> Tensor:
    from ember import stack  # noqa: PLC0415

    first = batch[0]._array
    if _plain_and_alike(batch, first):
        # perf: data carry no autograd history, so stack the arrays in one call rather than
        # recording an unsqueeze per sample and a cat
        return _wrap(array_namespace(first).stack([t._array for t in batch]))
    return stack(batch, 0)  # mixed dtypes or shapes, or autograd: the general op (and its errors)


def _plain_and_alike(batch: list[Tensor], first: Any) -> bool:
    """No tensor needs grad and all arrays share type, dtype and shape."""
    kind, dtype, shape = type(first), first.dtype, first.shape
    return not any(
        t.requires_grad or type(t._array) is not kind or t._array.dtype != dtype
        or t._array.shape != shape for t in batch
    )  # fmt: skip


def collate_numpy_array_fn(batch: list[np.ndarray], *, collate_fn_map: CollateMap | None = None) -> Any:  # noqa: E501
    if np_str_obj_array_pattern.search(batch[0].dtype.str) is not None:
        raise TypeError(default_collate_err_msg_format.format(batch[0].dtype))
    return collate([_as_tensor(b) for b in batch], collate_fn_map=collate_fn_map)


def collate_numpy_scalar_fn(batch: list[Any], *, collate_fn_map: CollateMap | None = None) -> Tensor:  # noqa: E501
    return _as_tensor(np.asarray(batch))


def collate_float_fn(batch: list[float], *, collate_fn_map: CollateMap | None = None) -> Tensor:
    from ember import float64, tensor  # noqa: PLC0415

    return tensor(batch, dtype=float64)


def collate_int_fn(batch: list[int], *, collate_fn_map: CollateMap | None = None) -> Tensor:
    from ember import tensor  # noqa: PLC0415

    return tensor(batch)


def collate_str_fn(batch: list[Any], *, collate_fn_map: CollateMap | None = None) -> list[Any]:
    return batch


default_collate_fn_map: CollateMap = {
    Tensor: collate_tensor_fn,
    np.ndarray: collate_numpy_array_fn,
    (np.bool_, np.number, np.object_): collate_numpy_scalar_fn,
    float: collate_float_fn,
    int: collate_int_fn,
    str: collate_str_fn,
    bytes: collate_str_fn,
}


def default_collate(batch: list[Any]) -> Any:
    r"""Merge a list of samples into a batch with one more, leading, dimension.

    Tensors are stacked; NumPy arrays and numbers become tensors (Python ints as int64, floats as
    float64); strings and bytes are left as they come (a list, or a tuple when they were fields
    of tuples); mappings, namedtuples and sequences are collated field by field (a batch of
    tuples gives a list).

    Examples::

        >>> default_collate([0, 1, 2])
        tensor([0, 1, 2])
        >>> default_collate([(1.5, "a"), (2.5, "b")])
        [tensor([1.5000, 2.5000], dtype=torch.float64), ('a', 'b')]
        >>> default_collate([{"x": 0}, {"x": 1}])
        {'x': tensor([0, 1])}
    """
    return collate(batch, collate_fn_map=default_collate_fn_map)

"""default_collate / default_convert against torch: the same structure, types, dtypes and values."""

from __future__ import annotations

import collections

import numpy as np
import pytest
import torch
from torch.utils.data import default_collate as torch_collate
from torch.utils.data import default_convert as torch_convert

import ember
from ember.utils.data import default_collate, default_convert

Point = collections.namedtuple("Point", ["x", "y"])


def describe(obj):
    """A comparable description of a (possibly nested) collate result from either library."""
    if isinstance(obj, ember.Tensor | torch.Tensor):
        return ("tensor", str(obj.dtype).replace("ember.", "torch."), tuple(obj.shape), obj.tolist())
    if isinstance(obj, np.ndarray):
        return ("ndarray", obj.dtype.str, obj.tolist())
    if isinstance(obj, dict):
        return (type(obj).__name__, [(k, describe(v)) for k, v in obj.items()])
    if isinstance(obj, list | tuple):
        return (type(obj).__name__, [describe(v) for v in obj])
    return (type(obj).__name__, obj)


def both(values):
    """The same sample list twice: once with ember tensors, once with torch tensors."""
    def convert(v, lib):
        if isinstance(v, ember.Tensor):
            return lib.tensor(v.numpy().copy()) if lib is torch else v
        if isinstance(v, Point):
            return Point(*(convert(x, lib) for x in v))
        if isinstance(v, dict):
            return type(v)((k, convert(x, lib)) for k, x in v.items())
        if isinstance(v, list | tuple):
            return type(v)(convert(x, lib) for x in v)
        return v
    return [convert(v, ember) for v in values], [convert(v, torch) for v in values]


def rand_tensors(rng, n, shape, dtype=np.float32):
    return [ember.tensor(rng.standard_normal(shape).astype(dtype)) for _ in range(n)]


CASES = {
    "ints": lambda rng: [0, 1, 2, 3],
    "floats": lambda rng: [0.5, 1.25, -2.0],
    "bools": lambda rng: [True, False, True],
    "strings": lambda rng: ["a", "bb", "c"],
    "bytes": lambda rng: [b"x", b"y"],
    "np_float32_scalars": lambda rng: [np.float32(1.5), np.float32(2.5)],
    "np_int8_scalars": lambda rng: [np.int8(1), np.int8(-3)],
    "np_float64_scalars": lambda rng: [np.float64(1.0), np.float64(2.0)],
    "np_bool_scalars": lambda rng: [np.bool_(True), np.bool_(False)],
    "np_arrays": lambda rng: [rng.standard_normal((2, 3)).astype(np.float32) for _ in range(4)],
    "np_int_arrays": lambda rng: [rng.integers(0, 9, (3,)) for _ in range(2)],
    "tensors": lambda rng: rand_tensors(rng, 3, (2, 4)),
    "int_tensors": lambda rng: [ember.tensor([1, 2], dtype=ember.int32), ember.tensor([3, 4], dtype=ember.int32)],  # noqa: E501
    "scalar_tensors": lambda rng: [ember.tensor(1.5), ember.tensor(2.5)],
    "tuples": lambda rng: [(t, i, s) for t, i, s in zip(rand_tensors(rng, 3, (2,)), [1, 2, 3], "abc")],  # noqa: E501
    "lists": lambda rng: [[1, 2.5], [3, 4.5]],
    "dicts": lambda rng: [{"img": t, "label": i} for t, i in zip(rand_tensors(rng, 2, (3,)), [7, 8])],  # noqa: E501
    "ordered_dicts": lambda rng: [collections.OrderedDict(a=1, b=2.0), collections.OrderedDict(a=3, b=4.0)],  # noqa: E501
    "namedtuples": lambda rng: [Point(1, 2.0), Point(3, 4.0)],
    "nested": lambda rng: [{"a": (1, [2.0, "s"]), "b": {"c": np.int64(5)}} for _ in range(3)],
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_default_collate_matches_torch(case, rng):
    ours, ref = both(CASES[case](rng))
    assert describe(default_collate(ours)) == describe(torch_collate(ref))


@pytest.mark.parametrize("case", sorted(CASES))
def test_default_convert_matches_torch(case, rng):
    ours, ref = both(CASES[case](rng))
    assert describe(default_convert(ours)) == describe(torch_convert(ref))
    assert describe(default_convert(ours[0])) == describe(torch_convert(ref[0]))


def test_collate_returns_ember_tensors_and_keeps_namedtuple_type():
    out = default_collate([Point(1, 2.0), Point(3, 4.0)])
    assert type(out) is Point
    assert isinstance(out.x, ember.Tensor)
    assert out.x.dtype == ember.int64
    assert out.y.dtype == ember.float64


def test_collate_of_tensors_stacks_without_sharing():
    a, b = ember.zeros(2), ember.ones(2)
    out = default_collate([a, b])
    out[0, 0] = 5.0
    assert a[0].item() == 0.0


@pytest.mark.parametrize(
    "batch",
    [
        pytest.param([[1, 2], [3]], id="unequal_lists"),
        pytest.param([object(), object()], id="objects"),
        pytest.param([np.array(["a"]), np.array(["b"])], id="string_arrays"),
        pytest.param([None, None], id="none"),
    ],
)
def test_collate_errors_match_torch(batch):
    with pytest.raises(Exception) as ref:  # noqa: PT011
        torch_collate(batch)
    with pytest.raises(type(ref.value)) as ours:
        default_collate(batch)
    assert str(ours.value) == str(ref.value)


def test_convert_leaves_string_arrays_alone():
    arr = np.array(["a", "b"])
    assert default_convert(arr) is arr

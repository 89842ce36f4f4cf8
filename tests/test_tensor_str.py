"""Tensor printing compared with torch's ``repr``, byte for byte."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ember._tensor_str import format_tensor, get_printoptions, printoptions, set_printoptions

pytestmark = pytest.mark.filterwarnings("error")


@pytest.fixture(autouse=True)
def _default_printoptions():
    yield
    set_printoptions(profile="default")
    torch.set_printoptions(profile="default")
    torch.set_default_dtype(torch.float32)


def _values(rng, kind, shape, dtype):
    """An array of ``shape`` whose values have the character ``kind``."""
    x = rng.standard_normal(shape)
    if kind == "tiny":
        x = x * 1e-8
    elif kind == "huge":
        x = x * 1e8
    elif kind == "mixed":
        x = x * 10.0 ** rng.uniform(-6, 6, shape)
    elif kind == "ints":
        x = rng.integers(-50, 50, shape).astype(np.float64)
    elif kind == "negative":
        x = -np.abs(x) * 100
    elif kind == "nonfinite":
        special = np.array([np.nan, np.inf, -np.inf, -0.0, 0.0, 1.0])
        x = np.where(rng.random(shape) < 0.4, rng.choice(special, shape), x)
    elif kind == "zeros":
        x = np.where(rng.random(shape) < 0.5, -0.0, 0.0)
    with np.errstate(over="ignore"):  # huge values become inf in float16, which is wanted
        return np.asarray(x, dtype=dtype)


def _int_values(rng, shape, dtype):
    if dtype == np.bool_:
        return np.asarray(rng.random(shape) < 0.5)
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, shape, dtype=dtype, endpoint=True)


FLOATS = [np.float32, np.float64, np.float16]
INTS = [np.int64, np.int32, np.int16, np.int8, np.uint8, np.bool_]
KINDS = ["normal", "tiny", "huge", "mixed", "ints", "negative", "nonfinite", "zeros"]
SHAPES = [(), (7,), (3, 4), (2, 3, 4), (1100,), (12, 10, 12)]
EMPTY = [(0,), (0, 3), (2, 0, 3), (3, 0)]


def _cases():
    rng = np.random.default_rng(0)
    cases = []
    for dtype in FLOATS:
        for kind in KINDS:
            for shape in SHAPES:
                name = f"{np.dtype(dtype).name}-{kind}-{shape}"
                cases.append(pytest.param(_values(rng, kind, shape, dtype), id=name))
    for dtype in INTS:
        for shape in [*SHAPES, (1, 30), (2, 2, 2, 2)]:
            name = f"{np.dtype(dtype).name}-{shape}"
            cases.append(pytest.param(_int_values(rng, shape, dtype), id=name))
    for dtype in [*FLOATS, *INTS, np.complex64, np.uint16]:
        for shape in EMPTY:
            name = f"{np.dtype(dtype).name}-empty-{shape}"
            cases.append(pytest.param(np.zeros(shape, dtype), id=name))
    for dtype in [np.complex64, np.complex128]:
        for kind in ["normal", "mixed", "ints", "nonfinite"]:
            for shape in [(), (5,), (3, 3), (1100,)]:
                z = np.empty(shape, dtype)
                z.real, z.imag = (_values(rng, kind, shape, np.float64) for _ in range(2))
                cases.append(pytest.param(z, id=f"{np.dtype(dtype).name}-{kind}-{shape}"))
    return cases


CASES = _cases()


def _torch_repr(a):
    return repr(torch.from_numpy(a.copy()))


@pytest.mark.parametrize("a", CASES)
def test_repr_matches_torch(a):
    assert format_tensor(a, []) == _torch_repr(a)


@pytest.mark.parametrize(
    "a",
    [
        np.array([1.0, 2.0], np.float32),
        np.array(2.5, np.float32),
        np.array([-0.0, 0.5], np.float32),
        np.array([[1e-5, 1e3], [1.0, -2.0]], np.float32),
        np.linspace(-1, 1, 30, dtype=np.float64),  # dtype=... pushes requires_grad to a new line
        np.linspace(0, 3e4, 20, dtype=np.float16),
        np.arange(1, 25, dtype=np.float32).reshape(2, 3, 4),
        np.zeros((0, 3), np.float64),
        np.zeros((0,), np.float32),
    ],
    ids=lambda a: f"{a.dtype}-{a.shape}",
)
def test_suffixes_match_torch(a):
    leaf = torch.tensor(a, requires_grad=True)
    assert format_tensor(a, ["requires_grad=True"]) == repr(leaf)
    with np.errstate(over="ignore"):
        doubled = a * a.dtype.type(2)
    assert format_tensor(doubled, ["grad_fn=<MulBackward0>"]) == repr(leaf * 2)


def test_device_suffix_comes_before_dtype():
    # torch's order: device, size, dtype, then grad_fn / requires_grad (no CUDA here to compare)
    out = format_tensor(np.zeros((0, 2)), ["device='cuda:0'", "requires_grad=True"])
    want = (
        "tensor([], device='cuda:0', size=(0, 2), dtype=torch.float64,\n       requires_grad=True)"
    )
    assert out == want


OPTIONS = [
    {"precision": 2},
    {"precision": 0},
    {"sci_mode": False},
    {"sci_mode": True},
    {"threshold": 5},
    {"linewidth": 40},
    {"edgeitems": 1, "threshold": 10},
    {"edgeitems": 0},
    {"profile": "short"},
    {"profile": "full"},
    {"profile": "short", "precision": 6, "linewidth": 120},
]


def _option_arrays():
    rng = np.random.default_rng(1)
    return [
        rng.standard_normal(12).astype(np.float32),
        _values(rng, "mixed", (4, 5), np.float64),
        _values(rng, "ints", (30,), np.float32),
        _values(rng, "nonfinite", (3, 4, 5), np.float32),
        rng.integers(-1000, 1000, (6, 7)),
        (rng.standard_normal((3, 4)) + 1j * rng.standard_normal((3, 4))).astype(np.complex64),
        rng.standard_normal(1500).astype(np.float32),
        np.array(3.25, np.float64),
    ]


@pytest.mark.parametrize(
    "options", OPTIONS, ids=lambda o: "-".join(f"{k}={v}" for k, v in o.items())
)
@pytest.mark.parametrize("index", range(8))
def test_printoptions_match_torch(options, index):
    a = _option_arrays()[index]
    set_printoptions(**options)
    torch.set_printoptions(**options)
    assert get_printoptions() == torch._tensor_str.get_printoptions()
    assert format_tensor(a, []) == _torch_repr(a)
    if a.dtype.kind == "f":
        want = repr(torch.tensor(a, requires_grad=True))
        assert format_tensor(a, ["requires_grad=True"]) == want


def test_set_printoptions_resets_sci_mode_like_torch():
    set_printoptions(sci_mode=False)
    set_printoptions(precision=3)
    assert get_printoptions()["sci_mode"] is None


def test_printoptions_context_restores():
    a = np.array([1.25, 2.5, 3, 4, 5, 6, 7, 8], np.float32)
    with printoptions(precision=1, threshold=3):
        out = format_tensor(a, [])
    with torch._tensor_str.printoptions(precision=1, threshold=3):
        assert out == _torch_repr(a) == "tensor([1.2, 2.5, 3.0,  ..., 6.0, 7.0, 8.0])"
    assert get_printoptions() == {
        "precision": 4,
        "threshold": 1000,
        "edgeitems": 3,
        "linewidth": 80,
        "sci_mode": None,
    }


@pytest.mark.parametrize(
    "a",
    [np.arange(4.0), np.arange(4, dtype=np.float32), np.zeros((0, 2)), np.ones(3, np.complex128)],
    ids=lambda a: str(a.dtype),
)
def test_default_dtype_float64(a):
    torch.set_default_dtype(torch.float64)
    assert format_tensor(a, [], default_dtype="float64") == _torch_repr(a)


@pytest.mark.parametrize("shape", [(), (5,), (3, 4), (0,), (0, 2)])
@pytest.mark.parametrize("suffixes", [[], ["requires_grad=True"]])
def test_bfloat16_held_as_float32(shape, suffixes):
    ref = torch.from_numpy(np.random.default_rng(2).standard_normal(shape)).to(torch.bfloat16)
    ref.requires_grad_(bool(suffixes))
    a = ref.detach().float().numpy()
    assert format_tensor(a, suffixes, dtype_name="bfloat16") == repr(ref)


def test_indent_moves_continuation_lines():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    assert format_tensor(a, [], indent=10) == "tensor([[0., 1., 2.],\n           [3., 4., 5.]])"


def test_unsupported_dtype_raises():
    with pytest.raises(TypeError, match="can't print an array of type <U1"):
        format_tensor(np.array(["a"]), [])


@settings(max_examples=60, deadline=None)
@given(
    hnp.arrays(
        dtype=st.sampled_from([np.float32, np.float64, np.float16, np.int32, np.bool_]),
        shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=6),
    )
)
def test_property_matches_torch(a):
    assert format_tensor(a, []) == _torch_repr(a)

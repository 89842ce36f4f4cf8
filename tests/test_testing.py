"""``ember.testing`` against ``torch.testing``: pass/fail, exception type and exact message."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import ember
from ember.testing import assert_close, make_tensor

NAN, INF = math.nan, math.inf


def _t(lib, values, dtype=None):
    # via NumPy: ember.tensor(list_of_floats, dtype=float64) rounds through float32 (a bug noted
    # in the report), torch.tensor does not
    return lib.tensor(values if dtype is None else np.array(values, dtype=dtype))


def _both(build, **kw):
    """Run assert_close on ``build(lib)`` pairs in both libraries; same outcome and message."""
    out = []
    for lib, fn in ((torch, torch.testing.assert_close), (ember, assert_close)):
        a, e = build(lib)
        try:
            fn(a, e, **kw)
            out.append(None)
        except Exception as exc:  # noqa: BLE001 - the type is part of what is compared
            out.append((type(exc).__name__, str(exc).replace("ember._tensor.Tensor", "torch.Tensor")))  # noqa: E501
    assert out[1] == out[0]
    return out[0]


CASES = {
    "close_float32": lambda L: (_t(L, [1.0, 2, 3]), _t(L, [1.0, 2.000001, 3])),
    "one_off": lambda L: (_t(L, [1.0, 2, 3]), _t(L, [1.0, 2.5, 3])),
    "2d": lambda L: (_t(L, [[1.0, 2], [3, 4]]), _t(L, [[1.0, 2], [3, 5]])),
    "3d_all": lambda L: (L.zeros(2, 2, 3), L.ones(2, 2, 3)),
    "int": lambda L: (_t(L, [1, 2, 3]), _t(L, [1, 3, 3])),
    "bool": lambda L: (_t(L, [True, False]), _t(L, [True, True])),
    "uint8": lambda L: (_t(L, [1, 9], "uint8"), _t(L, [3, 2], "uint8")),
    "shape": lambda L: (_t(L, [1.0, 2]), _t(L, [1.0, 2, 3])),
    "dtype": lambda L: (_t(L, [1.0, 2]), _t(L, [1.0, 2], "float64")),
    "int_float": lambda L: (_t(L, [1, 2]), _t(L, [1.0, 2])),
    "nan": lambda L: (_t(L, [1.0, NAN]), _t(L, [1.0, NAN])),
    "nan_vs_num": lambda L: (_t(L, [1.0]), _t(L, [NAN])),
    "inf": lambda L: (_t(L, [INF, -INF]), _t(L, [INF, -INF])),
    "inf_sign": lambda L: (_t(L, [INF, 1.0]), _t(L, [-INF, 1.0])),
    "zero_expected": lambda L: (_t(L, [0.0, 2]), _t(L, [1.0, 2])),
    "tiny": lambda L: (_t(L, [0.0, 2]), _t(L, [1e-9, 2])),
    "float64": lambda L: (_t(L, [1.0, 2], "float64"), _t(L, [1.0, 2.0000001], "float64")),
    "float16": lambda L: (_t(L, [1.0, 2], "float16"), _t(L, [1.0, 2.01], "float16")),
    "scalar_tensor": lambda L: (L.tensor(1.0), L.tensor(2.0)),
    "py_float": lambda L: (1.0, 2.0),
    "py_int": lambda L: (1, 2),
    "py_int_float": lambda L: (1, 1.0),
    "py_nan": lambda L: (NAN, NAN),
    "numpy": lambda L: (np.array([1.0, 2]), np.array([1.0, 3])),
    "tensor_list": lambda L: (_t(L, [1.0, 2]), [1.0, 2]),
    "tensor_float": lambda L: (_t(L, [1.0]), 1.0),
    "strings": lambda L: ("a", "a"),
    "seq": lambda L: ([_t(L, [1.0]), _t(L, [2.0])], [_t(L, [1.0]), _t(L, [3.0])]),
    "seq_len": lambda L: ([1, 2], [1, 2, 3]),
    "nested": lambda L: ([[L.tensor(1.0)]], [[L.tensor(2.0)]]),
    "dict": lambda L: ({"a": _t(L, [1.0])}, {"a": _t(L, [2.0])}),
    "dict_keys": lambda L: ({"a": 1}, {"b": 1}),
    "empty": lambda L: (L.zeros(0), L.zeros(0)),
    "py_bool": lambda L: (True, False),
    "np_bool": lambda L: (np.bool_(True), True),
    "none": lambda L: (None, None),
    "none_int": lambda L: (None, 1),
    "complex": lambda L: (1 + 2j, 1 + 3j),
    "np_scalar": lambda L: (np.float64(1.0), np.float64(2.0)),
    "tuple_list": lambda L: ((1, 2), [1, 2]),
    "np_bool_array": lambda L: (np.array([True]), np.array([False])),
    "reshape": lambda L: (_t(L, [1.0, 2]), _t(L, [1.0, 2]).reshape(2, 1)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_assert_close_defaults(name):
    _both(CASES[name])


@pytest.mark.parametrize("kw", [dict(equal_nan=True), dict(check_dtype=False),
                                dict(rtol=0, atol=0), dict(rtol=0.5, atol=0.0),
                                dict(rtol=1e-3), dict(atol=1e-3), dict(msg="custom"),
                                dict(msg=lambda m: m + "!!")])
@pytest.mark.parametrize("name", ["one_off", "nan", "dtype", "int", "py_float", "int_float"])
def test_assert_close_options(kw, name):
    _both(CASES[name], **kw)


def test_check_dtype_false_uses_looser_tolerance():
    _both(lambda L: (_t(L, [1.0, 2]), _t(L, [1.0, 2.000001], "float64")), check_dtype=False)
    _both(lambda L: (_t(L, [1.0, 2]), _t(L, [1.0, 2.001], "float64")), check_dtype=False)


def test_make_tensor_ranges():
    x = make_tensor(2000, dtype=ember.float32, device="cpu")
    assert x.dtype == ember.float32 and x.shape == (2000,)
    assert float(x.min()) >= -9 and float(x.max()) < 9
    i = make_tensor((2000,), dtype=ember.int64, device="cpu")
    assert int(i.min()) == -9 and int(i.max()) == 9
    u = make_tensor(2000, dtype=ember.uint8, device="cpu")
    assert int(u.min()) == 0 and int(u.max()) == 9
    f = make_tensor(2000, dtype=ember.float64, device="cpu", low=2, high=3)
    assert float(f.min()) >= 2 and float(f.max()) < 3
    assert set(make_tensor(2000, dtype=ember.int64, device="cpu", low=2, high=4).tolist()) == {2, 3}
    b = make_tensor(2, 3, dtype=ember.bool, device="cpu")
    assert b.dtype == ember.bool and b.shape == (2, 3)
    assert make_tensor([], dtype=ember.float32, device="cpu").shape == ()
    assert int((make_tensor(2000, dtype=ember.int64, device="cpu", exclude_zero=True) == 0).sum()) == 0  # noqa: E501
    n = make_tensor(3, 4, dtype=ember.float32, device="cpu", noncontiguous=True)
    assert n.shape == (3, 4) and not n.is_contiguous()
    g = make_tensor(2, dtype=ember.float32, device="cpu", requires_grad=True)
    assert g.requires_grad and g.is_leaf


@pytest.mark.parametrize("kw", [dict(dtype="float32", low=5, high=1),
                                dict(dtype="float32", low=NAN),
                                dict(dtype="int64", requires_grad=True)])
def test_make_tensor_errors(kw):
    msgs = []
    for lib, fn in ((torch, torch.testing.make_tensor), (ember, make_tensor)):
        k = dict(kw, dtype=getattr(lib, kw["dtype"]))
        with pytest.raises(ValueError) as ei:
            fn(3, device="cpu", **k)
        msgs.append(str(ei.value))
    assert msgs[1] == msgs[0]


def test_make_tensor_seeded():
    ember.manual_seed(3)
    a = make_tensor(4, dtype=ember.float32, device="cpu")
    ember.manual_seed(3)
    assert_close(make_tensor(4, dtype=ember.float32, device="cpu"), a, rtol=0, atol=0)


def test_lazy_submodule():
    assert ember.testing.assert_close is assert_close

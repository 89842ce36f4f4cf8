"""Tensor methods and torch functions beyond the op table: aliases, in-place forms, NaN handling,
view semantics, integer ops and torch's errors, each against torch."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import ember
from ember._ops import reduction


def _same(e, t, rtol=1e-5, atol=1e-6):
    if isinstance(t, tuple):
        assert len(e) == len(t)
        for a, b in zip(e, t):
            _same(a, b, rtol, atol)
        return
    if not isinstance(t, torch.Tensor):
        assert e == t
        return
    assert tuple(e.shape) == tuple(t.shape)
    assert repr(e.dtype) == repr(t.dtype)
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=rtol, atol=atol)


def _both(fn, *arrays):
    return fn(ember, *[ember.tensor(a) for a in arrays]), fn(torch, *[torch.tensor(a) for a in arrays])  # noqa: E501


CASES = {
    "arcsin": (lambda lib, x: x.arcsin(), (-0.9, 0.9)),
    "arctanh": (lambda lib, x: lib.arctanh(x), (-0.9, 0.9)),
    "arccosh": (lambda lib, x: lib.arccosh(x), (1.1, 3.0)),
    "arctan2": (lambda lib, x: lib.arctan2(x, x + 3), (-2.0, 2.0)),
    "fix": (lambda lib, x: lib.fix(x * 3), (-2.0, 2.0)),
    "positive": (lambda lib, x: lib.positive(x), (-2.0, 2.0)),
    "isposinf": (lambda lib, x: lib.isposinf(lib.where(x > 0.5, float("inf"), -x) * x.sign()), (-2.0, 2.0)),
    "isneginf": (lambda lib, x: (lib.where(x > 0.5, float("inf"), -x) * x.sign()).isneginf(), (-2.0, 2.0)),
    "isreal": (lambda lib, x: lib.isreal(x), (-2.0, 2.0)),
    "frexp": (lambda lib, x: tuple(lib.frexp(x * 100)), (-2.0, 2.0)),
    "lgamma_wide": (lambda lib, x: lib.lgamma(x * 30), (-2.0, 2.0)),
    "digamma_wide": (lambda lib, x: x.mul(20).digamma(), (-2.0, 2.0)),
    "polygamma3": (lambda lib, x: lib.polygamma(3, x), (0.1, 30.0)),
    "logit_nan": (lambda lib, x: lib.logit(x), (-0.5, 1.5)),
    "logcumsumexp_wide": (lambda lib, x: (x * 500).logcumsumexp(0), (-2.0, 2.0)),
    "cummin_idx": (lambda lib, x: tuple(x.round().cummin(0)), (-2.0, 2.0)),
    "nanmedian_idx": (lambda lib, x: tuple(x.nanmedian(0, keepdim=True)), (-2.0, 2.0)),
    "quantile_modes": (lambda lib, x: tuple(x.quantile(0.37, 1, interpolation=m)
                                            for m in ("lower", "higher", "nearest")), (-2.0, 2.0)),
    "quantile_all_keep": (lambda lib, x: x.quantile(x.new_tensor([0.0, 1.0]), keepdim=True), (-2.0, 2.0)),  # noqa: E501
    "trace_int": (lambda lib, x: (x * 5).int().trace(), (-2.0, 2.0)),
    "rot90_k2": (lambda lib, x: x.rot90(2), (-2.0, 2.0)),
    "diff_append": (lambda lib, x: lib.diff(x, 1, 0, append=x[:1]), (-2.0, 2.0)),
    "diff_bool": (lambda lib, x: (x > 0).diff(), (-2.0, 2.0)),
    "vsplit": (lambda lib, x: lib.vsplit(x, [1]), (-2.0, 2.0)),
    "dsplit": (lambda lib, x: x.reshape(2, 3, 2).dsplit(2), (-2.0, 2.0)),
    "conj": (lambda lib, x: (x.conj(), x.resolve_conj(), x.resolve_neg(), x.real, x.conj_physical()), (-2.0, 2.0)),  # noqa: E501
    "inverse": (lambda lib, x: (x[:3, :3] + 4 * lib.eye(3)).inverse(), (-1.0, 1.0)),
    "det": (lambda lib, x: (x[:3, :3].det(), tuple(x[:3, :3].slogdet()), x[:3, :3].logdet()), (-1.0, 1.0)),  # noqa: E501
    "pinverse": (lambda lib, x: x.pinverse(), (-1.0, 1.0)),
    "matrix_power": (lambda lib, x: x[:3, :3].matrix_power(3), (-1.0, 1.0)),
}  # fmt: skip


@pytest.mark.parametrize("name", CASES)
def test_matches_torch(name, rng):
    fn, (lo, hi) = CASES[name]
    x = rng.uniform(lo, hi, (4, 3)).astype(np.float64)
    _same(*_both(fn, x), rtol=1e-6, atol=1e-9)


def test_gamma_float32_and_poles():
    x = np.array([-3.5, -2.0, -1.0, 0.0, 1e-4, 0.5, 1.0, 2.0, 3.3, 171.0], np.float32)
    for f in (lambda lib, t: lib.lgamma(t), lambda lib, t: lib.digamma(t),
              lambda lib, t: lib.polygamma(1, t)[[0, 3, 4, 5, 6, 7, 8, 9]]):  # fmt: skip
        _same(*_both(f, x), rtol=2e-5)


def test_nan_handling_matches_torch():
    x = np.array([[1.0, np.nan, 3.0, 0.5], [np.nan] * 4, [2.0, 1.0, 4.0, 3.0]])
    for f in (lambda lib, t: t.quantile(0.25, 1), lambda lib, t: t.nanquantile(0.25, 1),
              lambda lib, t: t.nanquantile(0.5), lambda lib, t: t.quantile(0.5),
              lambda lib, t: t.nanmedian(), lambda lib, t: t.nanmedian(1).values,
              lambda lib, t: t[0].nanmedian(0).indices):  # fmt: skip
        _same(*_both(f, x))


def test_integer_ops():
    a, b = np.array([12, -18, 0, 7]), np.array([8, 12, 5, 0])
    for f in (lambda lib, x, y: lib.gcd(x, y), lambda lib, x, y: x.lcm(y),
              lambda lib, x, y: x.bitwise_left_shift(2), lambda lib, x, y: lib.bitwise_right_shift(x, 1),  # noqa: E501
              lambda lib, x, y: lib.ldexp(x, y)):  # fmt: skip
        _same(*_both(f, a, b))
    with pytest.raises(NotImplementedError, match="gcd_cpu"):
        ember.gcd(ember.ones(2), ember.ones(2))


def test_unfold_is_a_view():
    x = ember.arange(8.0)
    w = x.unfold(0, 3, 2)
    assert w.shape == (3, 3) and w.grad_fn is None
    x[2] = 100.0
    assert w[0, 2].item() == 100.0 and w[1, 0].item() == 100.0
    assert w._version == x._version
    assert ember.tensor(5.0).unfold(0, 1, 1).shape == (1,)


def test_inplace_variants_match_torch(rng):
    x = rng.uniform(0.2, 0.8, (3, 4))
    names = ["acosh_", "asinh_", "atanh_", "arcsin_", "arctan_", "deg2rad_", "rad2deg_", "erfc_",
             "lgamma_", "digamma_", "sinc_", "logit_", "fix_", "absolute_"]  # fmt: skip
    for n in names:
        e, t = ember.tensor(x + (1.5 if n == "acosh_" else 0)), torch.tensor(x + (1.5 if n == "acosh_" else 0))  # noqa: E501
        assert getattr(e, n)() is e
        getattr(t, n)()
        _same(e, t)
    for n, arg in [("greater_", 0.5), ("less_", 0.5), ("not_equal_", 0.5), ("greater_equal_", 0.5),
                   ("less_equal_", 0.5), ("copysign_", -1.0), ("float_power_", 2.0),
                   ("polygamma_", 1), ("renorm_", None), ("cumsum_", 1), ("cumprod_", 0),
                   ("logical_xor_", None), ("ldexp_", None)]:  # fmt: skip
        e, t = ember.tensor(x), torch.tensor(x)
        args = {"renorm_": (2, 0, 0.5), "logical_xor_": (e > 0.5,), "ldexp_": (ember.tensor([1, 2, 0, 3]),)}.get(n, (arg,))  # noqa: E501
        targs = {"renorm_": (2, 0, 0.5), "logical_xor_": (t > 0.5,), "ldexp_": (torch.tensor([1, 2, 0, 3]),)}.get(n, (arg,))  # noqa: E501
        getattr(e, n)(*args)
        getattr(t, n)(*targs)
        _same(e, t)
    i, j = np.array([[6, 3], [12, 5]]), np.array([[4, 9], [8, 5]])
    for n in ("bitwise_and_", "bitwise_or_", "bitwise_xor_", "gcd_", "lcm_"):
        e, t = ember.tensor(i), torch.tensor(i)
        getattr(e, n)(ember.tensor(j))
        getattr(t, n)(torch.tensor(j))
        _same(e, t)
    e, t = ember.tensor(i), torch.tensor(i)
    e.bitwise_not_()
    t.bitwise_not_()
    _same(e, t)


def test_inplace_linalg_and_grad(rng):
    c, a, b = rng.standard_normal((3, 2)), rng.standard_normal((4, 3, 5)), rng.standard_normal((4, 5, 2))  # noqa: E501
    v1, v2, m = rng.standard_normal(3), rng.standard_normal(2), rng.standard_normal((2, 5))
    outs = []
    for lib in (ember, torch):
        leaf = lib.tensor(c, requires_grad=True)
        y = leaf * 1.0
        y.addbmm_(lib.tensor(a), lib.tensor(b), beta=0.5)
        y.addr_(lib.tensor(v1), lib.tensor(v2), alpha=2)
        y.addmm_(lib.tensor(c), lib.tensor(m[:, :2]))
        z = lib.tensor(a)[:, :, :2].clone().baddbmm_(lib.tensor(a), lib.tensor(b))
        y.sum().backward()
        outs.append((y, z, leaf.grad))
    _same(outs[0], outs[1])


def test_masked_scatter_and_fill_diagonal(rng):
    x, s = rng.standard_normal((3, 4)), rng.standard_normal(12)
    _same(*_both(lambda lib, a, b: a.masked_scatter(lib.tensor([True, False, True, True]), b), x, s))  # noqa: E501
    for shape, wrap in [((3, 3), False), ((7, 3), True), ((7, 3), False), ((2, 2, 2), False)]:
        e, t = ember.zeros(shape), torch.zeros(shape)
        e.fill_diagonal_(2.5, wrap)
        t.fill_diagonal_(2.5, wrap)
        _same(e, t)
    e, t = ember.zeros(3, 4), torch.zeros(3, 4)
    e.masked_scatter_(e.new_tensor([[1, 0, 0, 1]]).bool(), ember.tensor(s).float())
    t.masked_scatter_(t.new_tensor([[1, 0, 0, 1]]).bool(), torch.tensor(s).float())
    _same(e, t)


def test_small_methods():
    x = ember.arange(6.0).reshape(2, 3)
    assert x.is_same_size(ember.zeros(2, 3)) and not x.is_same_size(ember.zeros(3, 2))
    assert ember.tensor([2.0]).is_nonzero() and not ember.is_nonzero(ember.tensor(0))
    assert not x.is_inference() and not x.is_conj() and not x.is_neg()
    assert x.conj() is x and x.real is x and ember.positive(x) is x
    assert x.new(2, 3).shape == (2, 3) and x.new().shape == (0,)
    assert x.new([1, 2]).dtype is x.dtype and x.new(ember.Size([4])).shape == (4,)
    assert x.ravel().shape == (6,) and x.reshape_as(ember.zeros(3, 2)).shape == (3, 2)
    assert [p.shape for p in x.split_with_sizes([1, 2], 1)] == [(2, 1), (2, 2)]
    assert x.sum_to_size(1, 3).tolist() == [[3.0, 5.0, 7.0]]
    ember.manual_seed(0)
    p = ember.tensor([[0.0, 1.0, 0.0], [0.2, 0.0, 0.8]])
    assert p.multinomial(1).flatten().tolist()[0] == 1
    assert set(ember.full((100,), 0.5).bernoulli().unique().tolist()) <= {0.0, 1.0}
    assert ember.ones(3).bernoulli(0.0).sum().item() == 0


ERRORS = [
    ("is_nonzero", lambda lib: lib.ones(2).is_nonzero()),
    ("is_nonzero0", lambda lib: lib.ones(0).is_nonzero()),
    ("imag", lambda lib: lib.ones(2).imag),
    ("select", lambda lib: lib.ones(2, 3).select(1, 3)),
    ("select0d", lambda lib: lib.tensor(1.0).select(0, 0)),
    ("unfold", lambda lib: lib.ones(4).unfold(0, 5, 1)),
    ("unfold_step", lambda lib: lib.ones(4).unfold(0, 2, 0)),
    ("rot90", lambda lib: lib.ones(2, 2).rot90(1, [0, 0])),
    ("rot90_1d", lambda lib: lib.ones(2).rot90()),
    ("hsplit", lambda lib: lib.ones(2, 5).hsplit(2)),
    ("dsplit", lambda lib: lib.ones(2, 5).dsplit(1)),
    ("diff", lambda lib: lib.tensor(1.0).diff()),
    ("quantile_q", lambda lib: lib.ones(3).quantile(1.5)),
    ("quantile_qt", lambda lib: lib.ones(3).quantile(lib.tensor([0.5, 2.0]))),
    ("quantile_int", lambda lib: lib.ones(3, dtype=lib.int64).quantile(0.5)),
    ("quantile_mode", lambda lib: lib.ones(3).quantile(0.5, interpolation="cubic")),
    ("quantile_dtype", lambda lib: lib.ones(3).quantile(lib.tensor([0.5], dtype=lib.float64))),
    ("trace", lambda lib: lib.ones(3).trace()),
    ("renorm_p", lambda lib: lib.ones(2, 2).renorm(0, 0, 1)),
    ("renorm_1d", lambda lib: lib.ones(2).renorm(2, 0, 1)),
    ("sum_to_size", lambda lib: lib.ones(2, 3).sum_to_size(3, 3)),
    ("addr", lambda lib: lib.addr(lib.ones(2, 2), lib.ones(2, 1), lib.ones(2))),
    ("masked_scatter_dtype", lambda lib: lib.ones(3).masked_scatter(lib.ones(3).bool(), lib.ones(3).double())),  # noqa: E501
    ("masked_scatter_mask", lambda lib: lib.ones(3).masked_scatter(lib.ones(3).long(), lib.ones(3))),  # noqa: E501
    ("masked_scatter", lambda lib: lib.ones(3).masked_scatter(lib.ones(3).bool(), lib.ones(2))),
    ("fill_diagonal", lambda lib: lib.ones(2, 3, 3).fill_diagonal_(0)),
    ("frexp", lambda lib: lib.frexp(lib.ones(2, dtype=lib.int64))),
    ("positive", lambda lib: lib.positive(lib.ones(2, dtype=lib.bool))),
    ("polygamma", lambda lib: lib.polygamma(-1, lib.ones(2))),
]  # fmt: skip


@pytest.mark.parametrize("name", [n for n, _ in ERRORS])
def test_errors_match_torch(name):
    fn = dict(ERRORS)[name]
    with pytest.raises(Exception) as te:
        fn(torch)
    with pytest.raises(type(te.value)) as ee:
        fn(ember)
    assert str(ee.value).split("\n")[0] == str(te.value).split("\n")[0]


def test_new_reductions_are_exported():
    # torch.quantile, torch.trace, ... reachable as ember.X and as methods
    x = ember.arange(6.0).reshape(2, 3)
    x.sum()  # loads the reduction module: the methods become its functions
    for n in ("quantile", "nanquantile", "nanmedian", "cummin", "logcumsumexp", "renorm", "trace",
              "addbmm", "cov", "corrcoef", "cdist"):
        assert n in reduction.__all__ and getattr(ember, n) is getattr(reduction, n)
        if hasattr(torch.Tensor, n):
            assert getattr(ember.Tensor, n) is getattr(reduction, n)
    assert reduction.trace(x).item() == 4.0


def test_more_methods_match_torch(rng):
    x = rng.standard_normal((3, 4))
    spd = x[:, :3].T @ x[:, :3] + 3 * np.eye(3)
    cases = [
        lambda lib, a: a.nextafter(a.new_tensor(0.0)) - a,
        lambda lib, a: lib.nextafter(a, a.new_tensor(5.0)) - a,
        lambda lib, a: tuple(a.svd()[1:2]) + (a.svd().U.abs(), a.svd().V.abs()),
        lambda lib, a: a.narrow_copy(1, 1, 2),
        lambda lib, a: a.unsafe_chunk(2, 1) + a.unsafe_split(1) + a.unsafe_split_with_sizes([1, 2]),
        lambda lib, a: (a.hardshrink(0.6), a.prelu(a.new_tensor([0.25]))),
        lambda lib, a: a[0].vdot(a[1]),
        lambda lib, a: a.cov(fweights=lib.tensor([1, 2, 1, 3])),
        lambda lib, a: lib.tensor([1.0, 2.0, 4.0]).cov(),
        lambda lib, a: a.t().contiguous().t().dim_order() == (1, 0),
        lambda lib, a: a.new_empty_strided((2, 3), (3, 1)).shape,
    ]  # fmt: skip
    for f in cases:
        _same(*_both(f, x))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.qr and torch.cholesky are deprecated
        _same(*_both(lambda lib, a: (a.qr().R.abs(), a.t().qr(some=False).Q.shape == (4, 4)), x))
        _same(*_both(lambda lib, a: lib.tensor(spd).cholesky(upper=True), x))
    for lib in (ember, torch):
        y = lib.tensor(x) * 1
        assert y.output_nr == 0
    e, t = ember.tensor(x), torch.tensor(x)
    e.apply_(lambda v: v * 2 + 1)
    t.apply_(lambda v: v * 2 + 1)
    e.map_(ember.tensor(x[0]), lambda a, b: a - b)
    t.map_(torch.tensor(x[0]), lambda a, b: a - b)
    _same(e, t)
    e.put_(ember.tensor([1, 2]), ember.tensor([9.0, 8.0]))
    t.put_(torch.tensor([1, 2]), torch.tensor([9.0, 8.0], dtype=torch.float64))
    _same(e, t)


SCATTER_ERRORS = [
    ("select_scatter", lambda lib: lib.select_scatter(lib.ones(3, 4), lib.ones(4), 1, 0)),
    ("slice_scatter", lambda lib: lib.slice_scatter(lib.ones(3, 4), lib.ones(3, 3), 1, 0, 2)),
    ("diagonal_scatter", lambda lib: lib.diagonal_scatter(lib.ones(3, 4), lib.ones(4))),
    ("put", lambda lib: lib.ones(3).put(lib.tensor([3]), lib.ones(1))),
    ("cov", lambda lib: lib.ones(2, 2, 2).cov()),
]  # fmt: skip


@pytest.mark.parametrize("name", [n for n, _ in SCATTER_ERRORS])
def test_scatter_errors_match_torch(name):
    fn = dict(SCATTER_ERRORS)[name]
    with pytest.raises(Exception) as te:
        fn(torch)
    with pytest.raises(type(te.value)) as ee:
        fn(ember)
    assert str(ee.value).split("\n")[0] == str(te.value).split("\n")[0]


def test_search_and_spellings(rng):
    s = np.sort(rng.integers(0, 20, (2, 3, 6)), -1).astype(np.float64)
    v = rng.integers(-2, 22, (2, 3, 4)).astype(np.float64)
    for f in (lambda lib, a, b: lib.searchsorted(a, b), lambda lib, a, b: lib.searchsorted(a, b, right=True),  # noqa: E501
              lambda lib, a, b: lib.searchsorted(a[0, 0], b, side="right", out_int32=True),
              lambda lib, a, b: lib.searchsorted(a, b.clone().fill_(float("inf"))),
              lambda lib, a, b: lib.bucketize(b, a[1, 2]), lambda lib, a, b: lib.bucketize(b, a[0, 0], right=True),  # noqa: E501
              lambda lib, a, b: lib.isin(b, a), lambda lib, a, b: lib.isin(b, a[0], invert=True),
              lambda lib, a, b: (lib.multiply(a, 2), lib.subtract(a, 1), lib.divide(a, 4)),
              lambda lib, a, b: lib.broadcast_shapes((2, 1), (3,), 1),
              lambda lib, a, b: (lib.exp_(a.clone()), lib.zero_(a.clone()), lib.is_signed(a))):  # fmt: skip
        _same(*_both(f, s, v))
    for bad in (lambda lib: lib.broadcast_shapes((2, 3), (4,)),
                lambda lib: lib.searchsorted(lib.ones(2, 3), lib.ones(3, 3)),
                lambda lib: lib.bucketize(lib.ones(2), lib.ones(2, 2))):  # fmt: skip
        with pytest.raises(RuntimeError) as te:
            bad(torch)
        with pytest.raises(RuntimeError) as ee:
            bad(ember)
        assert str(ee.value) == str(te.value)


def test_cdist_and_mvlgamma(rng):
    a, b = rng.standard_normal((2, 4, 3)), rng.standard_normal((2, 5, 3))
    for p in (2.0, 1.0, 3.0, float("inf")):
        outs = []
        for lib, f in ((ember, reduction.cdist), (torch, torch.cdist)):
            x, y = lib.tensor(a, requires_grad=True), lib.tensor(b, requires_grad=True)
            d = f(x, y, p)
            d.sum().backward()
            outs.append((d, x.grad, y.grad))
        _same(*outs)
    x = rng.uniform(2.0, 5.0, (3, 4))
    outs = []
    for lib in (ember, torch):
        t = lib.tensor(x, requires_grad=True)
        r = t.mvlgamma(3)
        r.sum().backward()
        outs.append((r, t.grad, lib.mvlgamma(t.detach(), 1)))
    _same(*outs)
    _same(*_both(lambda lib, t: lib.mvlgamma(t, 3), np.array([1.0, 1.5, 2.5])))  # poles: inf
    for lib in (ember, torch):
        with pytest.raises(RuntimeError, match="p has to be greater than or equal to 1"):
            lib.mvlgamma(lib.ones(2), 0)


def test_sigmoid_keeps_its_left_tail_in_float32():
    x = np.array([-80.0, -40.0, -20.0, -1.0, 0.0, 5.0, 40.0], dtype=np.float32)
    ours = ember.sigmoid(ember.tensor(x)).numpy()
    ref = torch.sigmoid(torch.tensor(x)).numpy()
    np.testing.assert_allclose(ours, ref, rtol=1e-6, atol=0)
    assert ours.dtype == np.float32 and ours[1] > 0


def test_xlogy_is_nan_where_other_is_nan_even_at_zero():
    x, y = [0.0, 0.0, 2.0], [float("nan"), 0.0, 3.0]
    ours = ember.xlogy(ember.tensor(x), ember.tensor(y)).numpy()
    np.testing.assert_array_equal(ours, torch.xlogy(torch.tensor(x), torch.tensor(y)).numpy())

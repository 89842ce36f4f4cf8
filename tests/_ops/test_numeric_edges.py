"""Numeric edges against torch: erf and erfinv over wide ranges, erfc's far tail, lgamma's zeros
and poles, sigmoid's underflow, xlogy's log(0), and reentrant checkpoint under ``autograd.grad``."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.utils.checkpoint as tck

import ember
import ember.utils.checkpoint as eck

F32, F64 = (ember.float32, torch.float32), (ember.float64, torch.float64)


def _both(fn, x, dtypes):
    e = getattr(ember, fn)(ember.tensor(x, dtype=dtypes[0])).numpy()
    t = getattr(torch, fn)(torch.tensor(x, dtype=dtypes[1])).numpy()
    return e, t


# --- erfc: computed directly, so the tail does not round to 0 past x ~ 6 ----------------------

ERFC_X = np.concatenate([np.linspace(-30, 30, 3001), [0.46875, 4.0, 5.5, 6.0, 9.0, 10.0, 26.5,
                                                      27.0, 27.2, 40.0, 1e10, 1e300]])


def test_erfc_float64_tail_relative():
    e, t = _both("erfc", ERFC_X, F64)
    normal = t > np.finfo(np.float64).tiny
    np.testing.assert_allclose(e[normal], t[normal], rtol=2e-15)
    # torch's subnormal tail (x past ~26.5): within a couple of the smallest subnormals
    np.testing.assert_allclose(e[~normal], t[~normal], rtol=0, atol=3e-323)
    assert ember.erfc(ember.tensor(10.0, dtype=ember.float64)).item() == pytest.approx(
        2.088487583762545e-45, rel=1e-15)


def test_erfc_float32_tail_and_subnormals():
    x = np.concatenate([ERFC_X[np.abs(ERFC_X) < 1e30], np.linspace(9.0, 10.5, 301)])
    x = x.astype(np.float32)
    e, t = _both("erfc", x, F32)
    normal = t > np.finfo(np.float32).tiny
    np.testing.assert_allclose(e[normal], t[normal], rtol=3e-7)
    # subnormal float32 results (9.2 < x < 10.05): one smallest subnormal apart at most
    assert np.any((t > 0) & ~normal)
    np.testing.assert_allclose(e[~normal], t[~normal], rtol=0, atol=1.5e-45)
    assert ember.erfc(ember.tensor(9.0)).item() == pytest.approx(4.137031e-37, rel=1e-6)


def test_erfc_non_finite_and_aliases():
    x = np.array([np.inf, -np.inf, np.nan, 0.0, -0.0])
    e, t = _both("erfc", x, F64)
    np.testing.assert_array_equal(e, t)
    v = np.array([7.5, -2.0, 12.0])
    ref = torch.erfc(torch.tensor(v)).numpy()
    np.testing.assert_allclose(ember.special.erfc(ember.tensor(v)).numpy(), ref, rtol=2e-15)
    np.testing.assert_allclose(ember.tensor(v).erfc().numpy(), ref, rtol=2e-15)


def test_erfc_gradient_far_out():
    x = np.array([-3.0, 0.2, 3.0, 6.0, 9.0, 20.0])
    e = ember.tensor(x, requires_grad=True)
    t = torch.tensor(x, requires_grad=True)
    (ge,) = ember.autograd.grad(ember.erfc(e).sum(), e)
    (gt,) = torch.autograd.grad(torch.erfc(t).sum(), t)
    np.testing.assert_allclose(ge.numpy(), gt.numpy(), rtol=1e-14, atol=0)


# --- erf: vectorised (Cody near 0, 1 - erfc beyond), against torch from subnormals to huge -----

def _erf_x(rng, dtype):
    mag = 10.0 ** rng.uniform(-320, 4, 60000)  # tiny |x|, where 1 - erfc would lose everything
    x = np.concatenate([mag, -mag, np.linspace(-7, 7, 20001), [0.46875, 0.5, 4.0, 6.0, 1e300]])
    x = np.concatenate([x, np.nextafter(0.46875, [0.0, 1.0]), [5e-324, -5e-324, 0.0, -0.0]])
    return x.astype(dtype)  # float32: the extremes become 0 and inf; over 2 * CHUNK: chunked


@pytest.mark.parametrize(("dts", "rtol"), [(F64, 2e-15), (F32, 3e-7)])
def test_erf_wide_range_against_torch(rng, dts, rtol):
    with np.errstate(over="ignore"):
        x = _erf_x(rng, np.float64 if dts is F64 else np.float32)
    e, t = _both("erf", x, dts)
    normal = np.abs(t) > np.finfo(x.dtype).tiny
    np.testing.assert_allclose(e[normal], t[normal], rtol=rtol, atol=0)
    np.testing.assert_allclose(e[~normal], t[~normal], rtol=0, atol=2 * np.finfo(x.dtype).smallest_subnormal)  # noqa: E501
    np.testing.assert_array_equal(np.signbit(e), np.signbit(t))  # erf(-0.0) is -0.0


def test_erf_non_finite_and_scalars():
    x = np.array([np.inf, -np.inf, np.nan, 30.0, -30.0])
    for dts in (F64, F32):
        e, t = _both("erf", x, dts)
        np.testing.assert_array_equal(e, t)
    from ember._ops.special import erf_array

    assert isinstance(erf_array(np.float64(0.3)), np.float64)  # GELU's float64 path on 0-d
    assert erf_array(np.float64(0.3)) == pytest.approx(0.3286267594591112, rel=1e-15)


def test_erfinv_against_torch(rng):
    y = np.concatenate([rng.uniform(-1, 1, 150000), 1 - 10.0 ** -rng.uniform(1, 15, 200),
                        10.0 ** -rng.uniform(1, 300, 200), [-1.0, 1.0, 0.0, -0.0, 1.5, np.nan]])
    e, t = _both("erfinv", y, F64)
    np.testing.assert_allclose(e, t, rtol=2e-15, atol=0)  # to 1 - 1e-15: the tail keeps its digits
    np.testing.assert_array_equal(np.signbit(e), np.signbit(t))
    e, t = _both("erfinv", y.astype(np.float32), F32)
    np.testing.assert_allclose(e, t, rtol=3e-7, atol=0)


# --- lgamma: exact zeros at 1 and 2, poles, accuracy, vectorised -------------------------------

def test_lgamma_exact_zeros():
    for dt in (F32, F64):
        e, t = _both("lgamma", np.array([1.0, 2.0]), dt)
        np.testing.assert_array_equal(e, t)
        assert np.all(e == 0)


def test_lgamma_float64_against_torch(rng):
    x = np.concatenate([np.linspace(-30, 30, 6001), rng.uniform(-1, 10, 5000),
                        10 ** rng.uniform(-300, 300, 2000), -(10 ** rng.uniform(-300, 14, 1000)),
                        1 + 2.0 ** -np.arange(20, 53), 2 - 2.0 ** -np.arange(20, 53),
                        [1e306, 1.7e308, 5e-324, -0.5, -2.5]])  # fmt: skip
    e, t = _both("lgamma", x, F64)
    # torch agrees to float64 rounding away from lgamma's zeros; near them (1, 2 and one in
    # each negative unit interval) compare absolutely
    np.testing.assert_allclose(e, t, rtol=1e-14, atol=2e-15)
    far = (np.abs(t) > 1e-2) & (x > 0)
    np.testing.assert_allclose(e[far], t[far], rtol=2e-15)


def test_lgamma_poles_and_non_finite():
    x = np.array([0.0, -0.0, -1.0, -2.0, -50.0, -1e20, np.inf, -np.inf, np.nan])
    for dt in (F32, F64):
        e, t = _both("lgamma", x, dt)
        np.testing.assert_array_equal(e, t)
    for x in ([], [np.nan, 20.0], [np.nan, 3.0], np.nan, 1.0, 20.0, -2.5):  # NaN beside one branch
        e, t = _both("lgamma", x, F64)
        assert e.shape == t.shape
        np.testing.assert_allclose(e, t, rtol=1e-14)


def test_lgamma_float32_and_gradient(rng):
    x = rng.uniform(-20, 40, 3000).astype(np.float32)
    e, t = _both("lgamma", x, F32)
    np.testing.assert_allclose(e, t, rtol=2e-6, atol=2e-6)
    v = np.array([0.3, 1.0, 2.0, 4.5, 30.0, -1.5])
    a = ember.tensor(v, requires_grad=True)
    b = torch.tensor(v, requires_grad=True)
    (ga,) = ember.autograd.grad(ember.lgamma(a).sum(), a)
    (gb,) = torch.autograd.grad(torch.lgamma(b).sum(), b)
    np.testing.assert_allclose(ga.numpy(), gb.numpy(), rtol=1e-13)


# --- sigmoid: exactly 0 where exp(-x) overflows, as torch --------------------------------------

SIG_X = np.array([-np.inf, -1e30, -745.0, -710.0, -104.0, -100.0, -88.8, -88.7, -88.0, -20.0,
                  0.0, 30.0, np.inf, np.nan])


@pytest.mark.parametrize("dt", ["float16", "float32", "float64"])
def test_sigmoid_left_tail_underflows_to_zero(dt):
    x = SIG_X if dt != "float16" else SIG_X[(np.abs(SIG_X) < 6e4) | ~np.isfinite(SIG_X)]
    e = ember.sigmoid(ember.tensor(x, dtype=getattr(ember, dt))).numpy()
    t = torch.sigmoid(torch.tensor(x, dtype=getattr(torch, dt))).numpy()
    np.testing.assert_allclose(e, t, rtol=2e-7, atol=0)
    assert e[0] == 0  # -inf
    for v in x:  # 0-d tensors take another path
        e0 = ember.sigmoid(ember.tensor(v, dtype=getattr(ember, dt))).item()
        t0 = torch.sigmoid(torch.tensor(v, dtype=getattr(torch, dt))).item()
        assert e0 == pytest.approx(t0, rel=2e-7, abs=0, nan_ok=True)


def test_sigmoid_float16_computed_in_float32():
    x = np.array([-17.0, -15.0, -12.0, -5.0, 0.5])
    e = ember.sigmoid(ember.tensor(x, dtype=ember.float16)).numpy()
    t = torch.sigmoid(torch.tensor(x, dtype=torch.float16)).numpy()
    np.testing.assert_array_equal(e, t)


# --- xlogy / xlog1py: quiet at the log's pole, torch's gradients ------------------------------

@pytest.mark.parametrize("name", ["xlogy", "xlog1py"])
def test_xlogy_pole_is_quiet(name):
    pole = 0.0 if name == "xlogy" else -1.0
    for mod_e, mod_t in ((ember.special, torch.special), (ember, torch)):
        if not hasattr(mod_t, name):
            continue
        # the test config turns NumPy's divide-by-zero RuntimeWarning into an error
        e = getattr(mod_e, name)(1, ember.tensor([pole, pole - 1.0, 2.0]))
        t = getattr(mod_t, name)(1, torch.tensor([pole, pole - 1.0, 2.0]))
        np.testing.assert_allclose(e.numpy(), t.numpy())
        assert e.numpy()[0] == -np.inf


@pytest.mark.parametrize("name", ["xlogy", "xlog1py"])
def test_xlogy_gradients_match_torch(name):
    xs = np.array([0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 2.0, 0.0, 0.0])
    ys = np.array([0.5, 0.0, -1.0, -3.0, 0.0, -1.0, 3.0, np.nan, np.inf])
    ex, ey = ember.tensor(xs, requires_grad=True), ember.tensor(ys, requires_grad=True)
    tx, ty = torch.tensor(xs, requires_grad=True), torch.tensor(ys, requires_grad=True)
    e, t = getattr(ember.special, name)(ex, ey), getattr(torch.special, name)(tx, ty)
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=1e-15)
    assert type(e.grad_fn).__name__ == type(t.grad_fn).__name__
    for a, b in zip(ember.autograd.grad(e.sum(), [ex, ey]), torch.autograd.grad(t.sum(), [tx, ty])):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-15)


def test_xlogy_promotes_and_broadcasts():
    e = ember.xlogy(ember.tensor([1, 2]), ember.tensor([0, 3]))
    t = torch.xlogy(torch.tensor([1, 2]), torch.tensor([0, 3]))
    assert str(e.dtype) == str(t.dtype)
    np.testing.assert_allclose(e.numpy(), t.numpy())
    x = np.array([[1.0, 0.0, 2.0]])
    y = np.array([[3.0], [0.5]])
    ex, ey = ember.tensor(x, requires_grad=True), ember.tensor(y, requires_grad=True)
    tx, ty = torch.tensor(x, requires_grad=True), torch.tensor(y, requires_grad=True)
    ge = ember.autograd.grad(ember.xlogy(ex, ey).sum(), [ex, ey])
    gt = torch.autograd.grad(torch.xlogy(tx, ty).sum(), [tx, ty])
    for a, b in zip(ge, gt):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-15)


# --- reentrant checkpoint refuses .grad() and backward(inputs=...) ----------------------------

CKPT_MSG = ("When use_reentrant=True, torch.utils.checkpoint is incompatible with .grad() or "
            "passing an `inputs` parameter to .backward(). To resolve this error, you can either "
            "set use_reentrant=False, or call .backward() without passing the `inputs` argument.")


@pytest.mark.parametrize(("lib", "ck"), [(ember, eck), (torch, tck)])
def test_reentrant_checkpoint_refuses_grad(lib, ck):
    x = lib.ones(3, requires_grad=True)
    y = ck.checkpoint(lambda t: (t * t).sum(), x, use_reentrant=True)
    with pytest.raises(RuntimeError) as info:
        lib.autograd.grad(y, x)
    assert str(info.value) == CKPT_MSG
    y = ck.checkpoint(lambda t: (t * t).sum(), x, use_reentrant=True)
    with pytest.raises(RuntimeError, match="incompatible with .grad"):
        y.backward(inputs=[x])
    y = ck.checkpoint(lambda t: (t * t).sum(), x, use_reentrant=True)
    y.backward()  # plain backward still works
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0, 2.0])


@pytest.mark.parametrize(("lib", "ck"), [(ember, eck), (torch, tck)])
def test_reentrant_inside_non_reentrant_checkpoint(lib, ck):
    x = lib.ones(3, requires_grad=True)

    def inner(t):
        return ck.checkpoint(lambda u: (u * u).sin(), t, use_reentrant=True)

    ck.checkpoint(lambda t: inner(t).sum(), x, use_reentrant=False).backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full(3, 2 * np.cos(1.0)), rtol=1e-6)
    y = ck.checkpoint(lambda t: inner(t).sum(), x, use_reentrant=False)
    with pytest.raises(RuntimeError, match="incompatible with .grad"):
        lib.autograd.grad(y, x)

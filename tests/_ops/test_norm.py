"""Fused norm ops against torch: values, gradients, running stats, double backward, errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember
import ember.nn.functional as F


def _compare(fn_name, shape, rng, nparams, args=(), kw=None, pshape=None, extra=None):
    """Run F.<fn_name>(x, *args, *params, **kw) in both libraries; compare y and every grad."""
    kw = kw or {}
    x = rng.standard_normal(shape) * 2 + 0.5
    ps = [rng.standard_normal(pshape) for _ in range(nparams)]
    res, gy = [], None
    for lib, mod in ((torch, torch.nn.functional), (ember, F)):
        xt = lib.tensor(x, requires_grad=True)
        pt = [lib.tensor(p, requires_grad=True) for p in ps]
        ex = [lib.tensor(e) for e in extra] if extra else []
        y = getattr(mod, fn_name)(xt, *args, *ex, *pt, **kw)
        if gy is None:
            gy = rng.standard_normal(tuple(y.shape))
        y.backward(lib.tensor(gy))
        res.append([y, xt.grad, *(p.grad for p in pt), *ex])
    assert type(res[1][0].grad_fn).__name__ == type(res[0][0].grad_fn).__name__
    for a, b in zip(res[1], res[0]):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("shape", [(4, 3), (4, 3, 5), (2, 3, 4, 5)])
@pytest.mark.parametrize("affine", [0, 2])
def test_batch_norm_training(shape, affine, rng):
    stats = [rng.standard_normal(3), rng.random(3) + 0.5]
    _compare("batch_norm", shape, rng, affine, kw=dict(training=True, momentum=0.3),
             pshape=(3,), extra=stats)


@pytest.mark.parametrize("affine", [0, 2])
def test_batch_norm_eval(affine, rng):
    stats = [rng.standard_normal(3), rng.random(3) + 0.5]
    _compare("batch_norm", (4, 3, 5), rng, affine, kw=dict(training=False), pshape=(3,),
             extra=stats)


def test_batch_norm_no_running_stats(rng):
    _compare("batch_norm", (4, 3, 5), rng, 0, args=(None, None), kw=dict(training=True))


@pytest.mark.parametrize(("shape", "ns"), [((4, 6), (6,)), ((2, 3, 4, 5), (4, 5)), ((3, 5), [5])])
@pytest.mark.parametrize("affine", [0, 1, 2])
def test_layer_norm(shape, ns, affine, rng):
    pshape = tuple(ns)
    _compare("layer_norm", shape, rng, affine, args=(ns,), pshape=pshape)


@pytest.mark.parametrize(("shape", "ns"), [((4, 6), (6,)), ((2, 3, 4, 5), (4, 5))])
@pytest.mark.parametrize("affine", [0, 1])
@pytest.mark.parametrize("eps", [None, 1e-3])
def test_rms_norm(shape, ns, affine, eps, rng):
    _compare("rms_norm", shape, rng, affine, args=(ns,), pshape=ns, kw=dict(eps=eps))


@pytest.mark.parametrize(("shape", "groups"), [((2, 6, 5), 3), ((2, 4, 3, 3), 1), ((3, 4), 4)])
@pytest.mark.parametrize("affine", [0, 2])
def test_group_norm(shape, groups, affine, rng):
    _compare("group_norm", shape, rng, affine, args=(groups,), pshape=(shape[1],))


@pytest.mark.parametrize("affine", [0, 2])
def test_instance_norm(affine, rng):
    stats = [rng.standard_normal(3), rng.random(3) + 0.5]
    _compare("instance_norm", (2, 3, 4, 5), rng, 0, extra=stats if affine else None)
    x = rng.standard_normal((2, 3, 6))
    w, b = rng.standard_normal(3), rng.standard_normal(3)
    ya = F.instance_norm(ember.tensor(x), weight=ember.tensor(w), bias=ember.tensor(b))
    yb = torch.nn.functional.instance_norm(torch.tensor(x), weight=torch.tensor(w),
                                           bias=torch.tensor(b))
    np.testing.assert_allclose(ya.numpy(), yb.numpy(), rtol=1e-10, atol=1e-12)


def test_local_response_norm_and_normalize(rng):
    x = rng.standard_normal((2, 5, 4, 3))
    for size in (2, 3):
        a = F.local_response_norm(ember.tensor(x), size)
        b = torch.nn.functional.local_response_norm(torch.tensor(x), size)
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-10)
    for p, dim in ((2, 1), (1, -1), (3, 0)):
        xt, xe = torch.tensor(x, requires_grad=True), ember.tensor(x, requires_grad=True)
        a, b = F.normalize(xe, p, dim), torch.nn.functional.normalize(xt, p, dim)
        a.sum().backward()
        b.sum().backward()
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-10)
        np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy(), rtol=1e-8, atol=1e-12)


def test_batch_norm_running_stats_float32(rng):
    rm_t, rv_t = torch.zeros(3), torch.ones(3)
    rm_e, rv_e = ember.zeros(3), ember.ones(3)
    for _ in range(4):
        x = rng.standard_normal((8, 3, 2), dtype=np.float32) * 3 + 1
        torch.nn.functional.batch_norm(torch.tensor(x), rm_t, rv_t, training=True)
        F.batch_norm(ember.tensor(x), rm_e, rv_e, training=True)
    np.testing.assert_allclose(rm_e.numpy(), rm_t.numpy(), rtol=1e-5)
    np.testing.assert_allclose(rv_e.numpy(), rv_t.numpy(), rtol=1e-5)


@pytest.mark.parametrize("shape", [(32, 16, 8, 8), (5, 7, 3, 9, 2), (6, 4, 11)])
def test_batch_norm_training_float32(shape, rng):
    # float32 at ResNet-like sizes, off-centre input: the per-channel row dot products
    # (sums of squares, sum(g * xhat)) against torch's reductions
    x = (rng.standard_normal(shape) * 3 + 4).astype(np.float32)
    c = shape[1]
    w, b = rng.standard_normal(c).astype(np.float32), rng.standard_normal(c).astype(np.float32)
    gy = rng.standard_normal(shape).astype(np.float32)
    res = []
    for lib, mod in ((torch, torch.nn.functional), (ember, F)):
        xt, wt, bt = (lib.tensor(a, requires_grad=True) for a in (x, w, b))
        rm, rv = lib.zeros(c), lib.ones(c)
        y = mod.batch_norm(xt, rm, rv, wt, bt, training=True)
        y.backward(lib.tensor(gy))
        res.append([y, xt.grad, wt.grad, bt.grad, rm, rv])
    for a, b in zip(res[1], res[0]):
        assert a.dtype == ember.float32
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-4, atol=2e-4)


@pytest.mark.parametrize("name", ["batch_norm", "batch_norm_eval", "layer_norm", "group_norm",
                                  "rms_norm"])
def test_norm_double_backward(name, rng):
    x = rng.standard_normal((4, 6, 3))
    w, b = rng.standard_normal(6), rng.standard_normal(6)
    wl, bl = rng.standard_normal(3), rng.standard_normal(3)
    res = []
    for lib, mod in ((torch, torch.nn.functional), (ember, F)):
        xt = lib.tensor(x, requires_grad=True)
        wt, bt = lib.tensor(w, requires_grad=True), lib.tensor(b, requires_grad=True)
        wlt, blt = lib.tensor(wl, requires_grad=True), lib.tensor(bl, requires_grad=True)
        if name == "batch_norm":
            y = mod.batch_norm(xt, None, None, wt, bt, training=True)
        elif name == "batch_norm_eval":
            y = mod.batch_norm(xt, lib.tensor(b), lib.tensor(w * w + 0.5), wt, bt)
        elif name == "layer_norm":
            y = mod.layer_norm(xt, (3,), wlt, blt)
        elif name == "group_norm":
            y = mod.group_norm(xt, 2, wt, bt)
        else:
            y = mod.rms_norm(xt, (3,), wlt)
        ps = (wlt,) if name == "rms_norm" else ((wlt, blt) if name == "layer_norm" else (wt, bt))
        gs = lib.autograd.grad((y * y * y).sum(), (xt, *ps), create_graph=True)
        sum((g * g).sum() for g in gs).backward()
        res.append((*gs, xt.grad, *(p.grad for p in ps)))
    for a, bb in zip(res[1], res[0]):
        np.testing.assert_allclose(a.detach().numpy(), bb.detach().numpy(), rtol=1e-8, atol=1e-10)


ERRORS = [
    lambda lib, x: lib.nn.functional.layer_norm(x, (4,)),
    lambda lib, x: lib.nn.functional.layer_norm(x, (5,), lib.ones(4)),
    lambda lib, x: lib.nn.functional.layer_norm(x, (2, 5)),
    lambda lib, x: lib.nn.functional.group_norm(x, 4),
    lambda lib, x: lib.nn.functional.group_norm(x, 2, lib.ones(5)),
    lambda lib, x: lib.nn.functional.batch_norm(x, lib.zeros(5), lib.ones(5)),
    lambda lib, x: lib.nn.functional.batch_norm(x, lib.zeros(6), lib.ones(6), lib.ones(5)),
    lambda lib, x: lib.nn.functional.batch_norm(x[:1, :, :1], None, None, training=True),
    lambda lib, x: lib.nn.functional.rms_norm(x, (4,)),
    lambda lib, x: lib.nn.functional.batch_norm(x, None, None),
    lambda lib, x: lib.nn.functional.batch_norm(x, lib.zeros(6), None),
    lambda lib, x: lib.nn.functional.batch_norm(x, None, None, training=True, eps=0.0),
]


@pytest.mark.parametrize("fn", ERRORS)
def test_norm_errors_match_torch(fn):
    msgs = []
    for lib in (torch, ember):
        with pytest.raises(Exception) as ei:
            fn(lib, lib.zeros(4, 6, 5))
        msgs.append((type(ei.value), str(ei.value)))
    assert msgs[1] == msgs[0]


def _numeric_grad(f, a, g, eps=1e-6):
    num = np.zeros_like(a)
    for i in np.ndindex(a.shape):
        old = a[i]
        a[i] = old + eps
        up = (f() * g).sum()
        a[i] = old - eps
        dn = (f() * g).sum()
        a[i] = old
        num[i] = (up - dn) / (2 * eps)
    return num


@pytest.mark.parametrize("name", ["batch_norm", "layer_norm", "group_norm", "rms_norm"])
def test_norm_finite_differences(name, rng):
    x, w, b = rng.standard_normal((3, 4, 2)), rng.standard_normal(4), rng.standard_normal(4)
    wl = rng.standard_normal(2)
    calls = {
        "batch_norm": lambda X, W, B: F.batch_norm(X, None, None, W, B, training=True),
        "layer_norm": lambda X, W, B: F.layer_norm(X, (2,), W[:2] * 0 + ember.tensor(wl), B[:2]),
        "group_norm": lambda X, W, B: F.group_norm(X, 2, W, B),
        "rms_norm": lambda X, W, B: F.rms_norm(X, (2,), W[:2] * 0 + ember.tensor(wl)),
    }
    fn = calls[name]
    ts = [ember.tensor(a, requires_grad=True) for a in (x, w, b)]
    y = fn(*ts)
    g = rng.standard_normal(tuple(y.shape))
    y.backward(ember.tensor(g))
    arrays = [t.detach().numpy() for t in ts]  # share memory with the tensors
    def f():  # noqa: E306
        return fn(*(ember.tensor(a) for a in arrays)).numpy()
    for t, a in zip(ts, arrays):
        if t.grad is None:
            continue
        np.testing.assert_allclose(t.grad.numpy(), _numeric_grad(f, a, g), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("affine", ["wb", "w", "b", ""])
@pytest.mark.parametrize("name", ["layer_norm", "rms_norm"])
def test_trailing_norm_float32_rows_match_torch(name, affine, rng):
    """The GEMV-based statistics and array backward, on a GPT-sized float32 block."""
    x = (rng.standard_normal((4, 16, 64)) * 3 + 1).astype(np.float32)
    w, b = rng.standard_normal(64).astype(np.float32), rng.standard_normal(64).astype(np.float32)
    gy = rng.standard_normal(x.shape).astype(np.float32)
    if name == "rms_norm" and affine == "b":
        pytest.skip("rms_norm has no bias")
    res = []
    for lib in (torch, ember):
        xt = lib.tensor(x).transpose(0, 1).requires_grad_()  # a non-contiguous input
        wt = lib.tensor(w, requires_grad=True) if "w" in affine else None
        bt = lib.tensor(b, requires_grad=True) if "b" in affine and name == "layer_norm" else None
        if name == "layer_norm":
            y = lib.nn.functional.layer_norm(xt, (64,), wt, bt)
        else:
            y = lib.nn.functional.rms_norm(xt, (64,), wt)
        y.backward(lib.tensor(gy).transpose(0, 1))
        res.append([y, xt.grad, *(p.grad for p in (wt, bt) if p is not None)])
    for e, t in zip(res[1], res[0]):
        np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=1e-4, atol=1e-4)

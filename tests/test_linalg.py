"""``ember.linalg`` against ``torch.linalg``: values, gradients, grad_fn names, reprs, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import ember


def _spd(rng, *shape):
    a = rng.standard_normal(shape)
    return a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1])


def _run(fn, arrays, rng, grad=True, outs=None, names=True):
    """``fn(lib, *tensors)`` in both libraries; compare every output, grad_fn name and input grad."""
    res = []
    gys = None
    for lib in (torch, ember):
        ts = [lib.tensor(a, requires_grad=grad) for a in arrays]
        out = fn(lib, *ts)
        outs_ = out if isinstance(out, tuple) else (out,)
        if outs is not None:
            outs_ = tuple(outs_[i] for i in outs)
        if gys is None:
            gys = [rng.standard_normal(tuple(o.shape)) for o in outs_]
        if grad:
            lib.autograd.backward(list(outs_), [lib.tensor(g) for g in gys])
        res.append((outs_, [t.grad for t in ts]))
    (to, tg), (eo, eg) = res
    for a, b in zip(eo, to):
        assert a.dtype.__repr__() == b.dtype.__repr__()
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-7, atol=1e-9)
        if grad and names:
            assert type(a.grad_fn).__name__ == type(b.grad_fn).__name__
    for a, b in zip(eg, tg):
        if b is None:
            assert a is None
        else:
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6, atol=1e-8)


def _err(fn, *arrays, dtype=None):
    msgs = []
    for lib in (torch, ember):
        dt = None if dtype is None else getattr(lib, dtype)
        with pytest.raises(Exception) as ei:
            fn(lib, *(lib.tensor(a, dtype=dt) for a in arrays))
        msgs.append((ei.value, str(ei.value)))
    (te, tm), (ee, em) = msgs
    assert isinstance(ee, RuntimeError if isinstance(te, RuntimeError) else type(te))
    if isinstance(te, torch.linalg.LinAlgError):
        assert isinstance(ee, ember.linalg.LinAlgError)
    assert em == tm


def test_lazy_submodule():
    assert ember.linalg is __import__("ember.linalg").linalg
    assert issubclass(ember.linalg.LinAlgError, RuntimeError)


@pytest.mark.parametrize("ord", [2, 1, 3, 0.5, math.inf, -math.inf])
@pytest.mark.parametrize(("dim", "keepdim"), [(None, False), (1, False), ((0, 2), True), (-1, True)])
def test_vector_norm(ord, dim, keepdim, rng):
    x = rng.standard_normal((3, 4, 5))
    _run(lambda L, t: L.linalg.vector_norm(t, ord, dim, keepdim), [x], rng, names=True)


def test_vector_norm_ord0_and_dtype(rng):
    x = rng.standard_normal((3, 4))
    x[0, 1] = 0
    _run(lambda L, t: L.linalg.vector_norm(t, 0, 1), [x], rng, grad=False)
    _run(lambda L, t: L.linalg.vector_norm(t, 3, dtype=L.float64), [x.astype(np.float32)], rng)
    _err(lambda L, t: L.linalg.vector_norm(t, dtype=L.float32), x)


@pytest.mark.parametrize("ord", ["fro", "nuc", 1, -1, 2, -2, math.inf, -math.inf])
@pytest.mark.parametrize(("dim", "keepdim"), [((-2, -1), False), ((0, 2), True), ((2, 0), False)])
def test_matrix_norm(ord, dim, keepdim, rng):
    x = rng.standard_normal((3, 4, 5))
    grad = ord not in (2, -2, "nuc")  # torch goes through svd there; ember through svdvals
    _run(lambda L, t: L.linalg.matrix_norm(t, ord, dim, keepdim), [x], rng, grad=grad,
         names=ord == "fro")


@pytest.mark.parametrize("ord", ["nuc", 2, -2])
def test_matrix_norm_svd_grad(ord, rng):
    x = rng.standard_normal((2, 4, 3))
    res = []
    for lib in (torch, ember):
        t = lib.tensor(x, requires_grad=True)
        lib.linalg.matrix_norm(t, ord).sum().backward()
        res.append(t.grad.numpy())
    np.testing.assert_allclose(res[1], res[0], rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("args", [dict(), dict(ord=1), dict(ord="fro"), dict(ord="nuc"),
                                  dict(dim=1), dict(dim=(0, 1)), dict(ord=math.inf, dim=0),
                                  dict(ord=-2, dim=(1, 0)), dict(keepdim=True)])
def test_norm_dispatch(args, rng):
    x = rng.standard_normal((4, 3))
    _run(lambda L, t: L.linalg.norm(t, **args), [x], rng, grad=False)


def test_norm_vector_and_3d(rng):
    _run(lambda L, t: L.linalg.norm(t, 3), [rng.standard_normal(5)], rng)
    _run(lambda L, t: L.linalg.norm(t), [rng.standard_normal((2, 3, 4))], rng)


def test_norm_errors():
    _err(lambda L, t: L.linalg.norm(t, 2), np.ones((2, 2, 2)))
    _err(lambda L, t: L.linalg.matrix_norm(t), np.ones(3))
    _err(lambda L, t: L.linalg.matrix_norm(t, 3), np.ones((3, 3)))
    _err(lambda L, t: L.linalg.matrix_norm(t, "abc"), np.ones((3, 3)))
    _err(lambda L, t: L.linalg.norm(t, "fro", dim=0), np.ones((3, 3)))
    _err(lambda L, t: L.linalg.vector_norm(t), np.ones(3, dtype=np.int64))
    _err(lambda L, t: L.linalg.vector_norm(t, "fro"), np.ones(3))


@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4), (1, 2, 1, 1)])
def test_inv_det_slogdet(shape, rng):
    a = rng.standard_normal(shape) + 2 * np.eye(shape[-1])
    _run(lambda L, t: L.linalg.inv(t), [a], rng)
    _run(lambda L, t: L.linalg.det(t), [a], rng)
    _run(lambda L, t: L.linalg.slogdet(t), [a], rng)


def test_slogdet_repr_and_fields(rng):
    a = rng.standard_normal((3, 3))
    e = ember.linalg.slogdet(ember.tensor(a))
    t = torch.linalg.slogdet(torch.tensor(a))
    assert repr(e) == repr(t)
    assert float(e.sign) == float(t.sign)
    assert e._fields == ("sign", "logabsdet")


def test_det_grad_singular(rng):
    a = rng.standard_normal((4, 4))
    a[2] = a[0] + a[1]
    _run(lambda L, t: L.linalg.det(t), [a], rng)


def test_inv_double_backward(rng):
    a = rng.standard_normal((3, 3)) + 3 * np.eye(3)
    res = []
    for lib in (torch, ember):
        t = lib.tensor(a, requires_grad=True)
        (g,) = lib.autograd.grad(lib.linalg.inv(t).sum(), t, create_graph=True)
        (g2,) = lib.autograd.grad((g * g).sum(), t)
        res.append(g2.numpy())
    np.testing.assert_allclose(res[1], res[0], rtol=1e-7)


@pytest.mark.parametrize(("ashape", "bshape"), [((3, 3), (3,)), ((3, 3), (3, 2)), ((2, 3, 3), (2, 3)),
                                           ((2, 3, 3), (3, 4)), ((3, 3), (2, 3, 1)),
                                           ((2, 3, 3), (2, 3, 2))])
def test_solve(ashape, bshape, rng):
    a = rng.standard_normal(ashape) + 3 * np.eye(ashape[-1])
    b = rng.standard_normal(bshape)
    _run(lambda L, A, B: L.linalg.solve(A, B), [a, b], rng)


def test_solve_left_false(rng):
    a = rng.standard_normal((3, 3)) + 3 * np.eye(3)
    b = rng.standard_normal((2, 3))
    _run(lambda L, A, B: L.linalg.solve(A, B, left=False), [a, b], rng, outs=None)


@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4)])
@pytest.mark.parametrize("upper", [False, True])
def test_cholesky(shape, upper, rng):
    a = _spd(rng, *shape)
    _run(lambda L, t: L.linalg.cholesky(t, upper=upper), [a], rng)


def test_cholesky_grad_symmetric_input(rng):
    # torch reads only the lower half, so the gradient is for a symmetrised use of A
    a = _spd(rng, 3, 3)
    _run(lambda L, t: L.linalg.cholesky((t + t.mT) / 2), [a], rng)


@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4)])
def test_eigh(shape, rng):
    a = _spd(rng, *shape)
    for uplo in ("L", "U"):
        _run(lambda L, t: L.linalg.eigh(t, UPLO=uplo)[0], [a], rng, grad=False)
    # eigenvectors are unique up to sign: compare sign-invariant outputs and the gradient
    res = []
    for lib in (torch, ember):
        t = lib.tensor(a, requires_grad=True)
        w, v = lib.linalg.eigh(t)
        assert type(w.grad_fn).__name__ == "LinalgEighBackward0"
        (w.sum() + (v * v * lib.arange(shape[-1], dtype=lib.float64)).sum()
         + lib.linalg.eigvalsh(t).pow(2).sum()).backward()
        res.append((w.detach().numpy(), np.abs(v.detach().numpy()), t.grad.numpy()))
    for a_, b_ in zip(res[1], res[0]):
        np.testing.assert_allclose(a_, b_, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("shape", [(4, 3), (3, 4), (2, 3, 3)])
def test_qr_svd_values(shape, rng):
    a = rng.standard_normal(shape)
    for mode in ("reduced", "complete"):
        q = [lib.linalg.qr(lib.tensor(a), mode=mode) for lib in (torch, ember)]
        for t_, e_ in zip(q[0], q[1]):
            assert tuple(t_.shape) == tuple(e_.shape)
        np.testing.assert_allclose((q[1].Q @ q[1].R).numpy(), a, atol=1e-12)
        np.testing.assert_allclose(np.abs(q[1].R.numpy()), np.abs(q[0].R.numpy()), atol=1e-12)
    r = ember.linalg.qr(ember.tensor(a), mode="r")
    r_ref = torch.linalg.qr(torch.tensor(a), mode="r")
    assert r.Q.shape == (0,) and np.allclose(np.abs(r.R.numpy()), np.abs(r_ref.R.numpy()))
    for full in (True, False):
        s = [lib.linalg.svd(lib.tensor(a), full_matrices=full) for lib in (torch, ember)]
        for t_, e_ in zip(s[0], s[1]):
            assert tuple(t_.shape) == tuple(e_.shape)
        np.testing.assert_allclose(s[1].S.numpy(), s[0].S.numpy(), atol=1e-12)
    assert ember.linalg.svd(ember.tensor(a))._fields == ("U", "S", "Vh")
    _run(lambda L, t: L.linalg.svdvals(t), [a], rng)


def _grad_vs_torch(fn, a, rng, rtol=1e-7, atol=1e-9):
    res = []
    for lib in (torch, ember):
        t = lib.tensor(a, requires_grad=True)
        fn(lib, t).backward()
        res.append(t.grad.numpy())
    np.testing.assert_allclose(res[1], res[0], rtol=rtol, atol=atol)


@pytest.mark.parametrize("shape", [(4, 3), (3, 4), (3, 3), (2, 5, 3), (2, 3, 5)])
@pytest.mark.parametrize("mode", ["reduced", "complete"])
def test_qr_grad(shape, mode, rng):
    a = rng.standard_normal(shape)
    if mode == "complete" and shape[-2] > shape[-1]:
        for lib in (torch, ember):
            q, r = lib.linalg.qr(lib.tensor(a, requires_grad=True), mode=mode)
            with pytest.raises(RuntimeError, match="not differentiable when mode='complete'"):
                q.sum().backward()
        return
    w1, w2 = rng.standard_normal((2, 5, 5))
    def loss(L, t, use_q=True, use_r=True):
        q, r = L.linalg.qr(t, mode=mode)
        m, n = q.shape[-2:], r.shape[-2:]
        out = 0
        if use_q:
            out = out + (q * L.tensor(w1[:m[0], :m[1]])).sum()
        if use_r:
            out = out + (r * L.tensor(w2[:n[0], :n[1]])).sum()
        return out
    _grad_vs_torch(loss, a, rng)
    _grad_vs_torch(lambda L, t: loss(L, t, use_r=False), a, rng)
    _grad_vs_torch(lambda L, t: loss(L, t, use_q=False), a, rng)


def test_qr_mode_r_grad_error(rng):
    msgs = []
    for lib in (torch, ember):
        _, r = lib.linalg.qr(lib.tensor(rng.standard_normal((3, 3)), requires_grad=True), mode="r")
        with pytest.raises(RuntimeError) as ei:
            r.sum().backward()
        msgs.append(str(ei.value))
    assert msgs[1] == msgs[0]


@pytest.mark.parametrize("shape", [(4, 3), (3, 4), (3, 3), (2, 5, 3)])
@pytest.mark.parametrize("full", [False, True])
def test_svd_grad(shape, full, rng):
    a = rng.standard_normal(shape)
    w = rng.standard_normal((5, 5))
    k = min(shape[-2:])
    def loss(L, t, parts="usv"):
        u, s, vh = L.linalg.svd(t, full_matrices=full)
        u, vh = u[..., :k], vh[..., :k, :]
        out = 0
        if "s" in parts:
            out = out + (s * L.arange(1.0, k + 1, dtype=L.float64)).sum()
        if "u" in parts and "v" in parts:  # sign-invariant: paired columns flip together
            out = out + ((u @ vh) * L.tensor(w[:shape[-2], :shape[-1]])).sum()
        elif "u" in parts:
            out = out + (u * u * L.tensor(w[:shape[-2], :k])).sum()
        elif "v" in parts:
            out = out + (vh * vh * L.tensor(w[:k, :shape[-1]])).sum()
        return out
    for parts in ("usv", "s", "u", "v", "uv"):
        _grad_vs_torch(lambda L, t, p=parts: loss(L, t, p), a, rng, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("shape", [(4, 3), (3, 4), (2, 3, 3)])
def test_pinv(shape, rng):
    a = rng.standard_normal(shape)
    _run(lambda L, t: L.linalg.pinv(t), [a], rng)


def test_pinv_rank_deficient_and_tolerances(rng):
    a = rng.standard_normal((4, 2)) @ rng.standard_normal((2, 5))
    _run(lambda L, t: L.linalg.pinv(t), [a], rng, grad=False)
    _run(lambda L, t: L.linalg.pinv(t, atol=1.0), [a], rng, grad=False)
    _run(lambda L, t: L.linalg.pinv(t, rtol=0.5), [a], rng, grad=False)
    for kw in (dict(), dict(atol=1.0), dict(rtol=0.5), dict(atol=0.1, rtol=0.9)):
        _run(lambda L, t: L.linalg.matrix_rank(t, **kw), [a], rng, grad=False)
    _run(lambda L, t: L.linalg.matrix_rank(t), [rng.standard_normal((2, 3, 3))], rng, grad=False)


def test_cross_vecdot(rng):
    _run(lambda L, a, b: L.linalg.cross(a, b), [rng.standard_normal((4, 3)),
                                                 rng.standard_normal((1, 3))], rng)
    _run(lambda L, a, b: L.linalg.cross(a, b, dim=0), [rng.standard_normal((3, 2)),
                                                        rng.standard_normal((3, 2))], rng)
    _run(lambda L, a, b: L.linalg.vecdot(a, b), [rng.standard_normal((4, 3)),
                                                  rng.standard_normal((4, 3))], rng, grad=False)
    _run(lambda L, a, b: L.linalg.vecdot(a, b, dim=0), [rng.standard_normal((4, 3)),
                                                         rng.standard_normal((4, 1))], rng,
         grad=False)


def test_misc(rng):
    a = rng.standard_normal((3, 3)) + 2 * np.eye(3)
    for n in (-2, 0, 1, 3):
        _run(lambda L, t: L.linalg.matrix_power(t, n), [a], rng, grad=False)
    _run(lambda L, t: L.linalg.multi_dot([t, t, t]), [a], rng, grad=False)
    _run(lambda L, t: L.linalg.diagonal(t), [a], rng, grad=False)


def test_errors():
    sing = np.zeros((2, 3, 3))
    sing[0] = np.eye(3)
    _err(lambda L, t: L.linalg.inv(t), np.ones((3, 3), dtype=np.int64))
    _err(lambda L, t: L.linalg.inv(t), np.ones((2, 3)))
    _err(lambda L, t: L.linalg.inv(t), np.ones(3))
    _err(lambda L, t: L.linalg.inv(t), np.zeros((3, 3)))
    _err(lambda L, t: L.linalg.inv(t), sing)
    _err(lambda L, t: L.linalg.inv(t), np.array([[1.0, 2, 3], [2, 4, 6], [1, 0, 1]]))
    _err(lambda L, t: L.linalg.det(t), np.ones((2, 3)))
    _err(lambda L, t: L.linalg.det(t), np.ones(3))
    _err(lambda L, t: L.linalg.slogdet(t), np.ones((2, 3)))
    _err(lambda L, t: L.linalg.cholesky(t), -np.eye(3))
    _err(lambda L, t: L.linalg.cholesky(t), np.array([[1.0, 2], [2, 1]]))
    _err(lambda L, t: L.linalg.cholesky(t), np.stack([np.eye(3), -np.eye(3)]))
    _err(lambda L, t: L.linalg.cholesky(t), np.ones((2, 3)))
    _err(lambda L, a, b: L.linalg.solve(a, b), np.eye(3), np.ones(2))
    _err(lambda L, a, b: L.linalg.solve(a, b, left=False), np.eye(3), np.ones((3, 2)))
    _err(lambda L, a, b: L.linalg.solve(a, b), np.eye(3), np.ones((2, 4, 2)))
    _err(lambda L, a, b: L.linalg.solve(a, b), np.zeros((3, 3)), np.ones(3))
    _err(lambda L, a, b: L.linalg.solve(a, b), np.ones((2, 3)), np.ones(2))
    _err(lambda L, a, b: L.linalg.cross(a, b), np.ones(2), np.ones(2))
    _err(lambda L, a, b: L.linalg.cross(a, b), np.ones(3), np.ones((2, 4)))
    _err(lambda L, a, b: L.linalg.vecdot(a, b), np.ones(3), np.ones(4))
    _err(lambda L, t: L.linalg.eigh(t), np.ones((2, 3)))
    _err(lambda L, t: L.linalg.eigh(t, UPLO="X"), np.ones((2, 2)))
    _err(lambda L, t: L.linalg.qr(t), np.ones(3))
    _err(lambda L, t: L.linalg.qr(t, mode="x"), np.ones((3, 3)))
    _err(lambda L, t: L.linalg.svd(t), np.ones(3))
    _err(lambda L, t: L.linalg.pinv(t), np.ones(3, dtype=np.float32))


def test_float32(rng):
    a = (rng.standard_normal((3, 3)) + 2 * np.eye(3)).astype(np.float32)
    for f in ("inv", "det", "svdvals", "pinv", "matrix_norm", "vector_norm"):
        e = getattr(ember.linalg, f)(ember.tensor(a))
        t = getattr(torch.linalg, f)(torch.tensor(a))
        assert repr(e.dtype) == repr(t.dtype)
        np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-5, atol=1e-6)


def test_complex_forward_and_grad_error(rng):
    a = rng.standard_normal((3, 3)) + 1j * rng.standard_normal((3, 3)) + 3 * np.eye(3)
    for f in ("inv", "det", "svdvals"):
        e = getattr(ember.linalg, f)(ember.tensor(a))
        t = getattr(torch.linalg, f)(torch.tensor(a))
        np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-10)
    with pytest.raises(NotImplementedError, match="complex"):
        ember.linalg.inv(ember.tensor(a, requires_grad=True))

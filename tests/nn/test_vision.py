"""``affine_grid``, ``grid_sample`` and max unpooling against torch: values, gradients (input,
theta, grid), modules' reprs, warnings and errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import ember


def _grads(fn, arrays, rng, rtol=1e-10, atol=1e-12):
    """``fn(lib, *tensors)`` in both libraries (float64); compare output and every input grad."""
    res, gy = [], None
    for lib in (torch, ember):
        ts = [lib.tensor(a, requires_grad=True) for a in arrays]
        y = fn(lib, *ts)
        if gy is None:
            gy = rng.standard_normal(tuple(y.shape)).astype(y.detach().numpy().dtype)
        y.backward(lib.tensor(gy))
        res.append([y.detach().numpy()] + [t.grad.numpy() for t in ts])
    for a, b in zip(res[1], res[0]):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


@pytest.mark.parametrize("size", [(2, 3, 4, 5), (1, 1, 1, 3), (2, 1, 2, 3, 4)])
@pytest.mark.parametrize("align", [False, True])
def test_affine_grid(size, align, rng):
    nd = len(size) - 2
    theta = rng.standard_normal((size[0], nd, nd + 1))
    if align and 1 in size[2:]:  # torch warns about unit-size grids; so does ember
        for lib in (torch, ember):
            with pytest.warns(UserWarning, match="unit-size grids"):
                lib.nn.functional.affine_grid(lib.tensor(theta), size, align_corners=True)
        warnings.filterwarnings("ignore", "Since version 1.3.0")
    _grads(lambda L, t: L.nn.functional.affine_grid(t, size, align_corners=align), [theta], rng)


GRID_CASES = [(mode, pad, align) for mode in ("bilinear", "nearest")
              for pad in ("zeros", "border", "reflection") for align in (False, True)]


@pytest.mark.parametrize(("mode", "pad", "align"), GRID_CASES)
def test_grid_sample(mode, pad, align, rng):
    x = rng.standard_normal((2, 3, 5, 6))
    grid = rng.uniform(-1.6, 1.6, (2, 4, 7, 2))  # some points fall outside the image
    if mode == "bilinear":
        _grads(lambda L, a, g: L.nn.functional.grid_sample(a, g, mode, pad, align), [x, grid], rng)
    else:  # nearest: the grid gets no gradient (torch: zeros; ember: none recorded)
        res = []
        for lib in (torch, ember):
            a = lib.tensor(x, requires_grad=True)
            y = lib.nn.functional.grid_sample(a, lib.tensor(grid), mode, pad, align)
            y.backward(lib.ones_like(y))
            res.append((y.detach().numpy(), a.grad.numpy()))
        for u, v in zip(res[1], res[0]):
            np.testing.assert_allclose(u, v, rtol=1e-12, atol=1e-12)


def test_spatial_transformer_float32(rng):
    """The tutorial's pattern: theta from a layer, affine_grid, grid_sample, float32."""
    x = rng.standard_normal((4, 1, 8, 8)).astype(np.float32)
    th = (np.array([[1, 0, 0], [0, 1, 0]]) + 0.1 * rng.standard_normal((4, 2, 3))).astype(np.float32)
    def fn(L, a, t):
        F = L.nn.functional
        return F.grid_sample(a, F.affine_grid(t, a.size(), align_corners=False), align_corners=False)
    _grads(fn, [x, th], rng, rtol=2e-5, atol=2e-5)


def test_double_backward(rng):
    x = rng.standard_normal((1, 2, 4, 4))
    grid = rng.uniform(-1, 1, (1, 3, 3, 2))
    res = []
    for lib in (torch, ember):
        a, g = lib.tensor(x, requires_grad=True), lib.tensor(grid, requires_grad=True)
        y = lib.nn.functional.grid_sample(a, g, align_corners=True)
        (ga,) = lib.autograd.grad((y * y).sum(), a, create_graph=True)
        ga.sum().backward()
        res.append(g.grad.numpy())
    np.testing.assert_allclose(res[1], res[0], rtol=1e-10, atol=1e-12)


def test_align_corners_warning_and_errors():
    msgs = []
    for lib in (torch, ember):
        F = lib.nn.functional
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            g = F.affine_grid(lib.zeros(1, 2, 3), (1, 1, 3, 3))
            F.grid_sample(lib.zeros(1, 1, 3, 3), g)
        out = [str(x.message) for x in w]
        x, g = lib.zeros(1, 1, 4, 4), lib.zeros(1, 3, 3, 2)
        for call in (lambda: F.affine_grid(lib.zeros(1, 3, 3), (1, 1, 4, 4), align_corners=False),
                     lambda: F.affine_grid(lib.zeros(1, 2, 3), (1, 1, 4), align_corners=False),
                     lambda: F.grid_sample(x, g, mode="x", align_corners=False),
                     lambda: F.grid_sample(x, g, padding_mode="x", align_corners=False),
                     lambda: F.grid_sample(x, lib.zeros(2, 3, 3, 2), align_corners=False),
                     lambda: F.grid_sample(x, lib.zeros(1, 3, 3, 3), align_corners=False),
                     lambda: F.grid_sample(x, g.double(), align_corners=False)):
            try:
                call()
                out.append("no error")
            except Exception as e:  # noqa: BLE001 - compared across libraries
                out.append((type(e).__name__, str(e).replace("ember.Size", "torch.Size")))
        msgs.append(out)
    assert msgs[1] == msgs[0]


@pytest.mark.parametrize(("nd", "shape", "kw"), [
    (2, (2, 3, 6, 6), dict(kernel_size=2)),
    (2, (1, 2, 7, 5), dict(kernel_size=3, stride=2, padding=1)),
    (2, (3, 6, 6), dict(kernel_size=2)),
    (1, (2, 3, 8), dict(kernel_size=2)),
    (1, (2, 3, 9), dict(kernel_size=3, stride=2)),
])
def test_max_unpool(nd, shape, kw, rng):
    x = rng.standard_normal(shape)
    res = []
    for lib in (torch, ember):
        F = lib.nn.functional
        pool = getattr(F, f"max_pool{nd}d")
        unpool = getattr(F, f"max_unpool{nd}d")
        y, i = pool(lib.tensor(x), return_indices=True, **kw)
        yl = y.detach().requires_grad_(True)
        u = unpool(yl, i, **kw)
        u.backward(lib.tensor(np.arange(u.numel(), dtype=np.float64).reshape(tuple(u.shape))))
        mod = getattr(lib.nn, f"MaxUnpool{nd}d")(**kw)
        sizes = tuple(mod(y, i, output_size=u.shape[-nd:]).shape)
        res.append((u.detach().numpy(), yl.grad.numpy(), repr(mod), sizes))
    (tu, tg, tr, ts), (eu, eg, er, es) = res
    np.testing.assert_array_equal(eu, tu)
    np.testing.assert_array_equal(eg, tg)
    assert er == tr and es == ts


def test_max_unpool_output_size_and_errors(rng):
    x = rng.standard_normal((1, 2, 4, 4))
    out = []
    for lib in (torch, ember):
        F = lib.nn.functional
        y, i = F.max_pool2d(lib.tensor(x), 2, return_indices=True)
        bad = i.clone()
        bad[0, 1, 0, 0] = 100  # one bad index: which one torch reports among several varies
        r = [tuple(F.max_unpool2d(y, i, 2, output_size=(5, 5)).shape),
             tuple(F.max_unpool2d(y, i, 2, output_size=(1, 2, 5, 5)).shape)]
        for call in (lambda: F.max_unpool2d(y, i, 2, output_size=(7, 7)),
                     lambda: F.max_unpool2d(y, i, 2, output_size=(5,)),
                     lambda: F.max_unpool2d(y, i[..., :1], 2),
                     lambda: F.max_unpool2d(y, bad, 2),
                     lambda: F.max_unpool2d(y, i.float(), 2),
                     lambda: F.max_unpool2d(y[0, 0], i[0, 0], 2)):
            try:
                call()
                r.append("no error")
            except Exception as e:  # noqa: BLE001 - compared across libraries
                r.append((type(e).__name__, str(e)))
        out.append(r)
    assert out[1] == out[0]
    assert repr(ember.nn.MaxUnpool3d(2)) == repr(torch.nn.MaxUnpool3d(2))

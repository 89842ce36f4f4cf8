"""Convolution op (``ConvolutionBackward0``) against torch: values, gradients, double backward."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember
import ember.nn.functional as F

# (input shape, weight shape, kwargs)
CASES = [
    ((2, 4, 9), (6, 2, 3), dict(stride=2, padding=1, dilation=2, groups=2)),
    ((2, 3, 10), (5, 3, 4), dict(stride=3)),
    ((3, 10), (5, 3, 4), dict(padding=2)),
    ((2, 4, 9, 8), (6, 2, 3, 2), dict(stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2)),
    ((2, 1, 12, 12), (4, 1, 5, 5), {}),
    ((3, 7, 7), (2, 3, 3, 3), dict(padding=1)),
    ((2, 4, 8, 8), (4, 1, 3, 3), dict(groups=4, padding="same")),
    ((2, 3, 8, 7), (4, 3, 4, 2), dict(padding="same", dilation=2)),
    ((2, 3, 8, 7), (4, 3, 3, 3), dict(padding="valid")),
    ((2, 4, 5, 6, 5), (6, 2, 3, 2, 2), dict(stride=(2, 1, 1), padding=(1, 0, 1), groups=2)),
    # stride 1, >= 8 channels: the flat shift-GEMM path (3-wide kernels: no column copy)
    ((3, 8, 9, 8), (9, 8, 3, 3), dict(padding=1)),
    ((2, 8, 9, 10), (8, 8, 3, 2), dict(padding=(1, 2), dilation=(2, 1))),
    # ... wider kernels copy the last kernel axis into columns; 1-D and 3-D too
    ((2, 9, 10, 11), (8, 9, 4, 5), dict(padding=(2, 1))),
    ((2, 8, 16), (10, 8, 5), dict(padding=2, dilation=2)),
    ((2, 8, 5, 6, 5), (8, 8, 3, 1, 2), dict(padding=(1, 0, 1))),
    # more flat positions than one block (2048): blocked GEMMs with a partial last block,
    # channel-major (3-wide kernel, thin) and channels-last (5-wide kernel)
    ((2, 8, 40, 33), (8, 8, 3, 3), dict(padding=1)),
    ((3, 8, 30, 31), (9, 8, 5, 5), dict(padding=2)),
    # the flat grid's images share their zero padding (a gap per image, a margin in front):
    # no padding, padding past the kernel's reach, per-axis padding and dilation, batch 1
    ((2, 8, 16, 15), (9, 8, 3, 3), {}),
    ((2, 8, 20, 19), (8, 8, 3, 3), dict(padding=3)),
    ((1, 8, 12, 11), (8, 8, 3, 2), dict(padding=(0, 2), dilation=(1, 2))),
    ((2, 8, 21), (8, 8, 3), dict(padding=4, dilation=3)),
    ((2, 8, 8, 7, 9), (8, 8, 3, 2, 3), dict(padding=(2, 1, 0))),
    ((2, 8, 14, 13), (8, 8, 5, 5), dict(padding=3)),
    ((2, 8, 24, 23), (8, 8, 5, 4), {}),
    # strided, >= 8 channels: shift-GEMMs on the input's stride phases (odd sizes, dilation,
    # kernels narrower than the stride, 1x1 strided: one phase, one GEMM)
    ((2, 8, 9, 11), (9, 8, 3, 3), dict(stride=2, padding=1)),
    ((2, 8, 8, 8), (16, 8, 1, 1), dict(stride=2)),
    ((2, 9, 9, 7), (8, 9, 1, 1), dict(stride=(2, 3))),
    ((2, 8, 10, 9), (8, 8, 3, 3), dict(stride=2, padding=2, dilation=2)),
    ((2, 8, 11, 10), (8, 8, 3, 2), dict(stride=(3, 2), padding=1, dilation=(1, 3))),
    ((2, 8, 10, 10), (8, 8, 2, 2), dict(stride=3)),
    ((2, 9, 5, 12), (8, 9, 1, 4), dict(stride=(1, 4))),
    ((2, 8, 13, 12), (8, 8, 5, 5), dict(stride=2, padding=2)),
    ((2, 8, 17), (10, 8, 3), dict(stride=2, padding=1)),
    ((2, 8, 5, 6, 5), (8, 8, 3, 1, 2), dict(stride=(2, 1, 2), padding=(1, 0, 1))),
    ((2, 8, 9, 9), (8, 4, 3, 3), dict(stride=2, padding=1, groups=2)),
    ((8, 8, 40, 36), (8, 8, 3, 3), dict(stride=2, padding=1)),
    ((3, 8, 31, 30), (9, 8, 5, 5), dict(stride=2, padding=2)),
]
T_CASES = [
    ((2, 4, 7), (4, 3, 3), dict(stride=2, padding=1, output_padding=1)),
    ((2, 4, 7, 8), (4, 3, 3, 3), dict(stride=2, padding=1, output_padding=(1, 0))),
    ((2, 4, 7, 8), (4, 2, 3, 2), dict(stride=(3, 2), padding=1, output_padding=(2, 1),
                                      groups=2, dilation=(2, 1))),
    ((4, 5, 6), (4, 2, 2, 2), dict(stride=2)),
    ((2, 2, 3, 4, 3), (2, 3, 2, 3, 2), dict(stride=2, output_padding=1)),
    ((2, 8, 6, 7), (8, 9, 3, 3), dict(padding=1)),
    ((2, 8, 6, 7), (8, 8, 3, 4), dict(padding=(1, 2), dilation=2, output_padding=1)),
    # stride 1 on the gap grid: padding past the kernel's reach, output_padding (via dilation)
    ((2, 8, 9, 10), (8, 8, 3, 3), dict(padding=2)),
    ((2, 8, 9, 10), (8, 8, 3, 2), dict(padding=(1, 0), dilation=3, output_padding=(2, 1))),
    ((1, 8, 12), (8, 9, 5), dict(padding=1, dilation=2, output_padding=1)),
    ((2, 8, 6, 7), (8, 9, 3, 3), dict(stride=2, padding=1, output_padding=1)),
    ((2, 8, 5, 5), (8, 8, 1, 1), dict(stride=2, output_padding=1)),
    ((2, 8, 4, 5), (8, 8, 2, 2), dict(stride=3, output_padding=(2, 1))),
    ((2, 8, 5, 4), (8, 8, 5, 5), dict(stride=2, padding=1, dilation=(1, 2))),
]


def _run(name, xs, ws, kw, rng, dtype=np.float64):
    x = rng.standard_normal(xs).astype(dtype)
    w = rng.standard_normal(ws).astype(dtype)
    cout = ws[1] * kw.get("groups", 1) if "transpose" in name else ws[0]
    b = rng.standard_normal(cout).astype(dtype)
    outs, gy = [], None
    for lib, fn in ((torch, getattr(torch.nn.functional, name)), (ember, getattr(F, name))):
        xt, wt, bt = (lib.tensor(a, requires_grad=True) for a in (x, w, b))
        y = fn(xt, wt, bt, **kw)
        if gy is None:
            gy = rng.standard_normal(tuple(y.shape)).astype(dtype)
        y.backward(lib.tensor(gy))
        outs.append((y, xt.grad, wt.grad, bt.grad))
    return outs


@pytest.mark.parametrize(("xs", "ws", "kw"), CASES)
def test_conv_matches_torch(xs, ws, kw, rng):
    name = f"conv{len(ws) - 2}d"
    ref, ours = _run(name, xs, ws, kw, rng)
    assert type(ours[0].grad_fn).__name__ == type(ref[0].grad_fn).__name__
    for a, b in zip(ours, ref):
        assert tuple(a.shape) == tuple(b.shape)
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize(("xs", "ws", "kw"), T_CASES)
def test_conv_transpose_matches_torch(xs, ws, kw, rng):
    name = f"conv_transpose{len(ws) - 2}d"
    ref, ours = _run(name, xs, ws, kw, rng)
    assert type(ours[0].grad_fn).__name__ == type(ref[0].grad_fn).__name__
    for a, b in zip(ours, ref):
        assert tuple(a.shape) == tuple(b.shape)
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize(("ks", "stride"), [(3, 1), (5, 1), (3, 2), (1, 2), (5, 2)])
def test_conv_flat_noncontiguous_input(ks, stride, rng):
    """The flat paths read strided (here channel-transposed) inputs and gradients correctly."""
    x = rng.standard_normal((9, 2, 11, 10)).transpose(1, 0, 2, 3)
    w = rng.standard_normal((8, 9, ks, ks))
    res = []
    for lib in (torch, ember):
        xt, wt = lib.tensor(x, requires_grad=True), lib.tensor(w, requires_grad=True)
        y = lib.nn.functional.conv2d(xt, wt, stride=stride, padding=ks // 2)
        y.backward(lib.tensor(np.cos(np.arange(y.numel())).reshape(tuple(y.shape))).transpose(2, 3)
                   .contiguous().transpose(2, 3))
        res.append((y, xt.grad, wt.grad))
    for a, b in zip(res[1], res[0]):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-10, atol=1e-10)


def test_conv_float32_and_no_grad(rng):
    x = rng.standard_normal((4, 3, 11, 11), dtype=np.float32)
    w = rng.standard_normal((5, 3, 3, 3), dtype=np.float32)
    with ember.no_grad():
        y = F.conv2d(ember.tensor(x), ember.tensor(w), stride=2)
    ref = torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(w), stride=2)
    assert y.dtype == ember.float32 and y.grad_fn is None
    np.testing.assert_allclose(y.numpy(), ref.numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("transposed", [False, True])
@pytest.mark.parametrize("flat", [False, True, "strided"])
def test_conv_double_backward(transposed, flat, rng):
    name = "conv_transpose2d" if transposed else "conv2d"
    kw = dict(padding=1, dilation=(1, 2)) if flat else dict(stride=2, padding=1, groups=2)
    if flat == "strided":
        kw = dict(stride=2, padding=1, dilation=(1, 2))
    x = rng.standard_normal((2, 8 if flat else 4, 6, 5))
    w = rng.standard_normal((8, 8, 3, 4) if flat else (4, 2, 3, 3))
    res = []
    for lib, fn in ((torch, getattr(torch.nn.functional, name)), (ember, getattr(F, name))):
        xt, wt = lib.tensor(x, requires_grad=True), lib.tensor(w, requires_grad=True)
        y = fn(xt, wt, **kw)
        gx, gw = lib.autograd.grad((y * y).sum(), (xt, wt), create_graph=True)
        (gx.pow(2).sum() + (gw * gw).sum()).backward()
        res.append((gx, gw, xt.grad, wt.grad))
    for a, b in zip(res[1], res[0]):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-9, atol=1e-9)


def test_conv_gradcheck(rng):
    x = ember.tensor(rng.standard_normal((1, 2, 5, 5)), requires_grad=True)
    w = ember.tensor(rng.standard_normal((3, 2, 2, 3)), requires_grad=True)
    y = F.conv2d(x, w, stride=(2, 1), padding=1)
    g = rng.standard_normal(tuple(y.shape))
    y.backward(ember.tensor(g))
    eps = 1e-6
    for t in (x, w):
        a = t.detach().numpy()
        num = np.zeros_like(a)
        for i in np.ndindex(a.shape):
            old = a[i]
            a[i] = old + eps
            up = (F.conv2d(x.detach(), w.detach(), stride=(2, 1), padding=1).numpy() * g).sum()
            a[i] = old - eps
            dn = (F.conv2d(x.detach(), w.detach(), stride=(2, 1), padding=1).numpy() * g).sum()
            a[i] = old
            num[i] = (up - dn) / (2 * eps)
        np.testing.assert_allclose(t.grad.numpy(), num, rtol=1e-6, atol=1e-6)


ERRORS = [
    ("conv2d", (64, 3, 28, 28), (20, 1, 5, 5), {}),
    ("conv2d", (28, 28), (20, 1, 5, 5), {}),
    ("conv2d", (1, 1, 4, 4), (20, 1, 5, 5), {}),
    ("conv2d", (1, 4, 8, 8), (20, 2, 5, 5), dict(groups=3)),
    ("conv2d", (1, 4, 8, 8), (20, 4, 5, 5), dict(bias=(3,))),
    ("conv2d", (1, 4, 8, 8), (20, 4, 5, 5), dict(stride=0)),
    ("conv2d", (1, 4, 8, 8), (20, 4, 5, 5), dict(padding=-1)),
    ("conv2d", (1, 4, 8, 8), (20, 4, 5, 5), dict(padding="same", stride=2)),
    ("conv2d", (1, 4, 8, 8), (20, 4, 5, 5), dict(padding="foo")),
    ("conv2d", (1, 4, 8, 8), (20, 4, 5, 5), dict(padding=(1, 1, 1))),
    ("conv2d", (1, 4, 8, 8), (20, 4, 5, 5), dict(groups=0)),
    ("conv1d", (2, 3), (20, 4, 5), {}),
    ("conv_transpose2d", (1, 4, 8, 8), (3, 4, 5, 5), {}),
    ("conv_transpose2d", (1, 4, 8, 8), (4, 4, 5, 5), dict(output_padding=1)),
]


@pytest.mark.parametrize(("name", "xs", "ws", "kw"), ERRORS)
def test_conv_errors_match_torch(name, xs, ws, kw):
    kw = dict(kw)
    bias = kw.pop("bias", None)
    msgs = []
    for lib, fn in ((torch, getattr(torch.nn.functional, name)), (ember, getattr(F, name))):
        b = lib.zeros(bias) if bias else None
        with pytest.raises(Exception) as ei:
            fn(lib.zeros(xs), lib.zeros(ws), b, **kw)
        msgs.append((type(ei.value), str(ei.value)))
    assert msgs[1] == msgs[0]


def test_conv_dtype_mismatch():
    with pytest.raises(RuntimeError, match="expected scalar type Double but found Float"):
        F.conv2d(ember.zeros(1, 1, 3, 3, dtype=ember.float64), ember.zeros(1, 1, 2, 2))


@pytest.mark.parametrize("transposed", [False, True])
@pytest.mark.parametrize("stride", [1, 2])
def test_empty_batch_gives_empty_output_and_zero_weight_grad(transposed, stride):
    results = []
    for lib in (torch, ember):
        F = lib.nn.functional
        w = lib.ones(2, 3, 3, 3, requires_grad=True)
        x = lib.zeros(0, 2 if transposed else 3, 5, 5, requires_grad=True)
        fn = F.conv_transpose2d if transposed else F.conv2d
        y = fn(x, w, stride=stride, padding=1)
        y.sum().backward()
        results.append((tuple(y.shape), tuple(x.grad.shape), w.grad.numpy().copy()))
    assert results[0][:2] == results[1][:2]
    np.testing.assert_array_equal(results[1][2], results[0][2])

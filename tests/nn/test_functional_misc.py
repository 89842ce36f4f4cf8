"""``F.pad``, ``one_hot``, ``embedding``, ``interpolate``, fold/unfold, shuffles, distances vs torch."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember
import ember.nn.functional as F


def _cmp(fn, arrays, rng, rtol=1e-10, atol=1e-12, grad=True, name=True):
    """Call ``fn(lib, *tensors)`` for torch and ember; compare output and input gradients."""
    res, gy = [], None
    for lib in (torch, ember):
        ts = [lib.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in arrays]
        y = fn(lib, *ts)
        if grad:
            if gy is None:
                gy = rng.standard_normal(tuple(y.shape))
            y.backward(lib.tensor(gy))
        res.append((y, [t.grad for t in ts if t.requires_grad]))
    (yr, gr), (ye, ge) = res
    assert tuple(ye.shape) == tuple(yr.shape)
    assert str(ye.dtype) == str(yr.dtype)
    if name and grad:
        assert type(ye.grad_fn).__name__ == type(yr.grad_fn).__name__
    np.testing.assert_allclose(ye.detach().numpy(), yr.detach().numpy(), rtol=rtol, atol=atol)
    for a, b in zip(ge, gr):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=rtol, atol=atol)


@pytest.mark.parametrize("pad", [(1, 2), (1, 0, 2, 3), (-1, 2, 0, -2), (1, 1, 1, 1, 1, 1)])
def test_pad_constant(pad, rng):
    x = rng.standard_normal((2, 3, 5, 6))
    _cmp(lambda lib, t: lib.nn.functional.pad(t, pad, value=1.5), [x], rng)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize(("shape", "pad"), [((2, 3, 6), (2, 3)), ((2, 3, 5, 6), (1, 2, 3, 0)),
                                            ((3, 5, 6), (2, 2, 1, 1))])
def test_pad_modes(mode, shape, pad, rng):
    x = rng.standard_normal(shape)
    _cmp(lambda lib, t: lib.nn.functional.pad(t, pad, mode=mode), [x], rng, name=False)


def test_one_hot(rng):
    idx = rng.integers(0, 5, (3, 4))
    a = F.one_hot(ember.tensor(idx))
    b = torch.nn.functional.one_hot(torch.tensor(idx))
    assert a.dtype == ember.int64
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    a = F.one_hot(ember.tensor(idx), 7)
    np.testing.assert_array_equal(a.numpy(), torch.nn.functional.one_hot(torch.tensor(idx), 7).numpy())  # noqa: E501
    for bad, n in ((idx, 3), (idx - 1, 5)):
        msgs = []
        for lib in (torch, ember):
            with pytest.raises(RuntimeError) as ei:
                lib.nn.functional.one_hot(lib.tensor(bad), n)
            msgs.append(str(ei.value))
        assert msgs[0] == msgs[1]
    with pytest.raises(RuntimeError, match="LongTensor"):
        F.one_hot(ember.tensor([1.0]))


@pytest.mark.parametrize("padding_idx", [None, 2, -1])
@pytest.mark.parametrize("by_freq", [False, True])
def test_embedding(padding_idx, by_freq, rng):
    w = rng.standard_normal((6, 4))
    idx = np.array([[0, 2, 5, 2], [1, 2, 0, 5]])
    res = []
    for lib in (torch, ember):
        wt = lib.tensor(w, requires_grad=True)
        y = lib.nn.functional.embedding(lib.tensor(idx), wt, padding_idx,
                                        scale_grad_by_freq=by_freq)
        (y * lib.tensor(np.arange(32.0).reshape(2, 4, 4))).sum().backward()
        res.append((y, wt.grad, type(y.grad_fn).__name__))
    assert res[0][2] == res[1][2]
    np.testing.assert_allclose(res[1][0].detach().numpy(), res[0][0].detach().numpy())
    np.testing.assert_allclose(res[1][1].numpy(), res[0][1].numpy())


def test_embedding_max_norm(rng):
    w = rng.standard_normal((6, 4)) * 3
    idx = np.array([0, 2, 2, 4])
    wt, we = torch.tensor(w), ember.tensor(w)
    yt = torch.nn.functional.embedding(torch.tensor(idx), wt, max_norm=1.0)
    ye = F.embedding(ember.tensor(idx), we, max_norm=1.0)
    np.testing.assert_allclose(ye.numpy(), yt.numpy(), rtol=1e-6)
    np.testing.assert_allclose(we.numpy(), wt.numpy(), rtol=1e-6)
    with pytest.raises(IndexError, match="index out of range in self"):
        F.embedding(ember.tensor([6]), we)


@pytest.mark.parametrize(("shape", "kw"), [
    ((2, 3, 5, 4), dict(scale_factor=2)),
    ((2, 3, 5, 4), dict(size=(7, 9))),
    ((2, 3, 5, 4), dict(size=(3, 2))),
    ((2, 3, 5, 4), dict(scale_factor=1.7, mode="nearest-exact")),
    ((2, 3, 5, 4), dict(size=(8, 7), mode="bilinear")),
    ((2, 3, 5, 4), dict(size=(8, 3), mode="bilinear", align_corners=True)),
    ((2, 3, 5, 4), dict(scale_factor=(1.5, 2.5), mode="bilinear")),
    ((2, 3, 6), dict(scale_factor=2.5, mode="linear")),
    ((2, 3, 6), dict(size=4, mode="linear", align_corners=True)),
    ((2, 3, 6), dict(size=9)),
    ((2, 3, 6, 8), dict(size=(3, 5), mode="area")),
    ((2, 3, 5, 4), dict(size=(9, 7), mode="bicubic")),
    ((2, 3, 5, 4), dict(size=(3, 6), mode="bicubic", align_corners=True)),
    ((2, 3, 5, 4), dict(scale_factor=1.5, mode="bicubic")),
    ((1, 2, 3, 4, 5), dict(size=(5, 3, 7), mode="trilinear")),
    ((1, 2, 3, 4, 5), dict(scale_factor=2)),
])
def test_interpolate(shape, kw, rng):
    x = rng.standard_normal(shape)
    _cmp(lambda lib, t: lib.nn.functional.interpolate(t, **kw), [x], rng, name=False)


def test_interpolate_errors():
    for kw in (dict(size=2, scale_factor=2), {}, dict(size=2, align_corners=True)):
        msgs = []
        for lib in (torch, ember):
            with pytest.raises(ValueError) as ei:
                lib.nn.functional.interpolate(lib.zeros(1, 1, 4, 4), **kw)
            msgs.append(str(ei.value))
        assert msgs[0] == msgs[1]


@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=(2, 3), stride=2, padding=1),
                                dict(kernel_size=3, dilation=2, padding=(1, 2))])
def test_unfold_fold(kw, rng):
    x = rng.standard_normal((2, 3, 7, 8))
    _cmp(lambda lib, t: lib.nn.functional.unfold(t, **kw), [x], rng, name=False)
    cols = torch.nn.functional.unfold(torch.tensor(x), **kw).numpy()
    _cmp(lambda lib, t: lib.nn.functional.fold(t, (7, 8), **kw), [cols], rng, name=False)


def test_pixel_and_channel_shuffle(rng):
    x = rng.standard_normal((2, 8, 3, 5))
    _cmp(lambda lib, t: lib.nn.functional.pixel_shuffle(t, 2), [x], rng, name=False)
    x = rng.standard_normal((2, 3, 4, 6))
    _cmp(lambda lib, t: lib.nn.functional.pixel_unshuffle(t, 2), [x], rng, name=False)
    x = rng.standard_normal((2, 6, 3, 2))
    _cmp(lambda lib, t: lib.nn.functional.channel_shuffle(t, 3), [x], rng, grad=False)


def test_distances(rng):
    a, b = rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
    b[0] = 0.0
    _cmp(lambda lib, x, y: lib.nn.functional.cosine_similarity(x, y), [a, b], rng, name=False)
    _cmp(lambda lib, x, y: lib.nn.functional.cosine_similarity(x, y, 0), [a, b], rng, name=False)
    for p in (1.0, 2.0, 3.0):
        _cmp(lambda lib, x, y, p=p: lib.nn.functional.pairwise_distance(x, y, p), [a, b], rng,
             name=False)
    _cmp(lambda lib, x: lib.nn.functional.pdist(x), [a], rng, name=False)


@pytest.mark.parametrize(("shape", "pad", "mode"), [
    ((1, 2, 3), (3, 3), "reflect"), ((1, 2, 3), (1,), "constant"), ((3,), (1, 1), "reflect"),
    ((3, 4, 5), (1, 1, 1, 1, 1, 1), "replicate"), ((1, 2, 3), (1, 1), "foo"),
    ((1, 2, 3), (1,) * 8, "constant"),
])
def test_pad_errors_match_torch(shape, pad, mode):
    msgs = []
    for lib in (torch, ember):
        with pytest.raises(Exception) as ei:
            lib.nn.functional.pad(lib.zeros(shape), pad, mode=mode)
        msgs.append((type(ei.value), str(ei.value)))
    assert msgs[0] == msgs[1]


def test_fold_unfold_errors_match_torch():
    calls = [lambda lib: lib.nn.functional.fold(lib.zeros(2, 12, 12), (4, 5), (2, 3)),
             lambda lib: lib.nn.functional.fold(lib.zeros(2, 10, 9), (4, 5), (2, 3))]
    for call in calls:
        msgs = []
        for lib in (torch, ember):
            with pytest.raises(RuntimeError) as ei:
                call(lib)
            msgs.append(str(ei.value))
        assert msgs[0] == msgs[1]

"""split/chunk as one multi-output node (torch's SplitBackward0) against torch."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember

CASES = [
    lambda x: x.split(2),
    lambda x: x.split([1, 4, 1]),
    lambda x: x.chunk(3, 1),
    lambda x: x.tensor_split(3),
    lambda x: x.split(4, dim=-1),
]


@pytest.mark.parametrize("fn", CASES)
@pytest.mark.parametrize("used", [(0, 1, 2), (0, 2), (1,)])
def test_split_grads_and_nodes_match_torch(fn, used, rng):
    x = rng.standard_normal((6, 6))
    res = []
    for lib in (torch, ember):
        xt = lib.tensor(x, requires_grad=True)
        pieces = fn(xt)
        names = [p.grad_fn.name() for p in pieces]
        nrs = [p.output_nr if lib is torch else p._output_nr for p in pieces]
        loss = sum((pieces[i] * (i + 2)).pow(2).sum() for i in used if i < len(pieces))
        loss.backward()
        res.append((names, nrs, xt.grad.numpy()))
    assert res[1][0] == res[0][0]
    assert res[1][1] == res[0][1]
    np.testing.assert_allclose(res[1][2], res[0][2], rtol=1e-12)


def test_split_double_backward_matches_torch(rng):
    x = rng.standard_normal((4, 6))
    res = []
    for lib in (torch, ember):
        xt = lib.tensor(x, requires_grad=True)
        a, _, c = xt.split(2, dim=1)
        (g,) = lib.autograd.grad((a.pow(3) + c.sin()).sum(), xt, create_graph=True)
        (g * g).sum().backward()
        res.append((g.detach().numpy(), xt.grad.numpy()))
    for e, t in zip(res[1], res[0]):
        np.testing.assert_allclose(e, t, rtol=1e-10)


def test_split_pieces_are_views_sharing_the_version_counter():
    x = ember.zeros(4, 2)
    a, b = x.split(2)
    b.add_(1)
    assert a._version == b._version == x._version == 1
    assert x.numpy()[2:].sum() == 4.0


def test_split_piece_used_twice_and_retain_graph(rng):
    x = rng.standard_normal((4, 3))
    res = []
    for lib in (torch, ember):
        xt = lib.tensor(x, requires_grad=True)
        a, b = xt.split(2)
        loss = (a * a).sum() + (a * b).sum()
        loss.backward(retain_graph=True)
        loss.backward()
        res.append(xt.grad.numpy())
    np.testing.assert_allclose(res[1], res[0], rtol=1e-12)

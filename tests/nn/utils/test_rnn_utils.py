"""nn.utils.rnn against torch: pad, pack, unpack, sorting, gradients, errors, PackedSequence."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember
from ember.nn.utils import rnn as R

TR = torch.nn.utils.rnn


def _seqs(rng, lengths=(4, 2, 5), feat=(3,)):
    arrays = [rng.standard_normal((n, *feat)) for n in lengths]
    return ([torch.tensor(a, requires_grad=True) for a in arrays],
            [ember.tensor(a, requires_grad=True) for a in arrays])  # fmt: skip


def _close(a, b):
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-12)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("side", ["right", "left"])
def test_pad_sequence(batch_first, side, rng):
    ts, es = _seqs(rng)
    pt, pe = TR.pad_sequence(ts, batch_first, -1.0, side), R.pad_sequence(es, batch_first, -1.0, side)
    _close(pe, pt)
    g = rng.standard_normal(tuple(pt.shape))
    pt.backward(torch.tensor(g))
    pe.backward(ember.tensor(g))
    for a, b in zip(es, ts):
        _close(a.grad, b.grad)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("enforce_sorted", [False, True])
def test_pack_roundtrip(batch_first, enforce_sorted, rng):
    lengths = (5, 4, 2) if enforce_sorted else (4, 2, 5)
    ts, es = _seqs(rng, lengths, feat=(2, 2))
    padded_t = TR.pad_sequence(ts, batch_first)
    padded_e = R.pad_sequence(es, batch_first)
    kt = TR.pack_padded_sequence(padded_t, torch.tensor(lengths), batch_first, enforce_sorted)
    ke = R.pack_padded_sequence(padded_e, ember.tensor(lengths), batch_first, enforce_sorted)
    _close(ke.data, kt.data)
    np.testing.assert_array_equal(ke.batch_sizes.numpy(), kt.batch_sizes.numpy())
    assert ke.batch_sizes.dtype == ember.int64
    for a, b in ((ke.sorted_indices, kt.sorted_indices), (ke.unsorted_indices, kt.unsorted_indices)):  # noqa: E501
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_array_equal(a.numpy(), b.numpy())
    ot, lt = TR.pad_packed_sequence(kt, batch_first, padding_value=9.0, total_length=7)
    oe, le = R.pad_packed_sequence(ke, batch_first, padding_value=9.0, total_length=7)
    _close(oe, ot)
    np.testing.assert_array_equal(le.numpy(), lt.numpy())
    assert le.dtype == ember.int64
    g = rng.standard_normal(tuple(ot.shape))
    ot.backward(torch.tensor(g))
    oe.backward(ember.tensor(g))
    for a, b in zip(es, ts):
        _close(a.grad, b.grad)


def test_pack_sequence_and_unpack(rng):
    ts, es = _seqs(rng)
    kt, ke = TR.pack_sequence(ts, enforce_sorted=False), R.pack_sequence(es, enforce_sorted=False)
    assert isinstance(ke, R.PackedSequence) and isinstance(ke, tuple)
    _close(ke.data, kt.data)
    for a, b in zip(R.unpack_sequence(ke), TR.unpack_sequence(kt)):
        _close(a, b)
    padded, lengths = R.pad_packed_sequence(ke)
    for a, b in zip(R.unpad_sequence(padded, lengths), ts):
        _close(a, b)
    assert ke.float().data.dtype == ember.float32
    assert ke.to(ember.float64) is ke
    data, batch_sizes, sorted_indices, unsorted_indices = ke
    assert batch_sizes is ke.batch_sizes and not ke.is_cuda


def test_packed_sequence_repr_fields(rng):
    _, es = _seqs(rng, (3, 1), feat=())
    ke = R.pack_sequence(es)
    assert repr(ke).startswith("PackedSequence(data=tensor([")
    assert "batch_sizes=tensor([2, 1, 1]), sorted_indices=None, unsorted_indices=None)" in repr(ke)


def test_errors_match_torch(rng):
    for lib, mod in ((torch, TR), (ember, R)):
        x = lib.zeros(5, 3, 2)
        with pytest.raises(RuntimeError, match="`lengths` array must be sorted in decreasing order"):  # noqa: E501
            mod.pack_padded_sequence(x, [2, 5, 1])
        with pytest.raises(RuntimeError, match=r"Expected `len\(lengths\)` to be equal to batch_size, but got 2 \(batch_size=3\)"):  # noqa: E501
            mod.pack_padded_sequence(x, [5, 2])
        with pytest.raises(RuntimeError, match="Length of all samples has to be greater than 0"):
            mod.pack_padded_sequence(x, [5, 2, 0])
        packed = mod.pack_padded_sequence(x, [5, 2, 1])
        with pytest.raises(ValueError, match="Expected total_length to be at least the length of the longest sequence in input, but got total_length=3 and max sequence length being 5"):  # noqa: E501
            mod.pad_packed_sequence(packed, total_length=3)
        with pytest.raises(RuntimeError, match="Expected padding_side to be one of left or right, but got middle."):  # noqa: E501
            mod.pad_sequence([x[0]], padding_side="middle")

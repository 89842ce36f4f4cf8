"""RNN / LSTM / GRU and their cells against torch: outputs, states, gradients, keys, reprs, errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import ember
from ember import nn


def _copy(ref, ours):
    ours.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in ref.state_dict().items()})


def _flat(o):
    if isinstance(o, tuple | list):
        return [y for z in o for y in _flat(z)]
    return [o]


def _weights(shape, lib):
    return lib.tensor((np.arange(int(np.prod(shape))).reshape(shape) % 7 - 3).astype(np.float32))


def _compare(ref, ours, x, hx=None):
    """Run both, backprop a weighted sum of every output, compare values and all gradients."""
    _copy(ref, ours)
    ref.eval()
    ours.eval()
    tx, ex = torch.tensor(x, requires_grad=True), ember.tensor(x, requires_grad=True)
    th = eh = None
    if hx is not None:
        th = tuple(torch.tensor(h) for h in hx) if isinstance(hx, tuple) else torch.tensor(hx)
        eh = tuple(ember.tensor(h) for h in hx) if isinstance(hx, tuple) else ember.tensor(hx)
    t_out, e_out = _flat(ref(tx, th)), _flat(ours(ex, eh))
    assert [tuple(o.shape) for o in e_out] == [tuple(o.shape) for o in t_out]
    for a, b in zip(t_out, e_out):
        np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), rtol=1e-5, atol=1e-6)
    sum((o * _weights(o.shape, torch)).sum() for o in t_out).backward()
    sum((o * _weights(o.shape, ember)).sum() for o in e_out).backward()
    np.testing.assert_allclose(ex.grad.numpy(), tx.grad.numpy(), rtol=1e-4, atol=1e-5)
    params = dict(ours.named_parameters())
    for name, p in ref.named_parameters():
        np.testing.assert_allclose(params[name].grad.numpy(), p.grad.numpy(), rtol=1e-4, atol=1e-5)


CONFIGS = [
    {},
    {"num_layers": 2, "bidirectional": True},
    {"bias": False, "batch_first": True},
    {"num_layers": 2, "dropout": 0.5},
    {"num_layers": 3, "bidirectional": True, "batch_first": True},
]


@pytest.mark.parametrize("kw", CONFIGS, ids=lambda kw: ",".join(f"{k}={v}" for k, v in kw.items()) or "default")  # noqa: E501
@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
def test_rnn_matches_torch(cls, kw, rng):
    ref, ours = getattr(torch.nn, cls)(4, 6, **kw), getattr(nn, cls)(4, 6, **kw)
    assert repr(ours) == repr(ref)
    assert list(ours.state_dict()) == list(ref.state_dict())
    assert [tuple(v.shape) for v in ours.state_dict().values()] == [tuple(v.shape) for v in ref.state_dict().values()]  # noqa: E501
    _compare(ref, ours, rng.standard_normal((5, 3, 4), dtype=np.float32))


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
def test_rnn_initial_state_and_unbatched(cls, rng):
    D = 2
    ref, ours = getattr(torch.nn, cls)(4, 6, num_layers=2, bidirectional=True), getattr(nn, cls)(4, 6, num_layers=2, bidirectional=True)  # noqa: E501
    h = rng.standard_normal((2 * D, 3, 6), dtype=np.float32)
    hx = (h, rng.standard_normal((2 * D, 3, 6), dtype=np.float32)) if cls == "LSTM" else h
    _compare(ref, ours, rng.standard_normal((5, 3, 4), dtype=np.float32), hx)
    hx1 = (h[:, 0], h[:, 1]) if cls == "LSTM" else h[:, 0]
    _compare(ref, ours, rng.standard_normal((5, 4), dtype=np.float32), hx1)


def test_rnn_relu(rng):
    ref, ours = torch.nn.RNN(4, 6, nonlinearity="relu"), nn.RNN(4, 6, nonlinearity="relu")
    assert repr(ours) == repr(ref) == "RNN(4, 6)"
    _compare(ref, ours, rng.standard_normal((5, 3, 4), dtype=np.float32))


def test_lstm_proj_size(rng):
    kw = {"proj_size": 3, "num_layers": 2, "bidirectional": True}
    ref, ours = torch.nn.LSTM(4, 6, **kw), nn.LSTM(4, 6, **kw)
    assert repr(ours) == repr(ref)
    assert list(ours.state_dict()) == list(ref.state_dict())
    hx = (rng.standard_normal((4, 3, 3), dtype=np.float32), rng.standard_normal((4, 3, 6), dtype=np.float32))  # noqa: E501
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch: "LSTM with projections is not supported with oneDNN"
        _compare(ref, ours, rng.standard_normal((5, 3, 4), dtype=np.float32), hx)


def test_lstm_repr_and_gate_order(rng):
    ours = nn.LSTM(4, 8, batch_first=True)
    assert repr(ours) == "LSTM(4, 8, batch_first=True)"
    assert tuple(ours.weight_ih_l0.shape) == (32, 4)
    ours.flatten_parameters()  # a no-op, kept for API compatibility


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
def test_init_range(cls):
    m = getattr(nn, cls)(3, 16, num_layers=2)
    bound = 1 / np.sqrt(16)
    for p in m.parameters():
        a = p.detach().numpy()
        assert a.min() >= -bound
        assert a.max() <= bound
        assert a.std() > bound / 3  # uniform, not constant


@pytest.mark.parametrize("cls", ["RNNCell", "LSTMCell", "GRUCell"])
@pytest.mark.parametrize("bias", [True, False])
def test_cells_match_torch(cls, bias, rng):
    ref, ours = getattr(torch.nn, cls)(4, 6, bias=bias), getattr(nn, cls)(4, 6, bias=bias)
    assert repr(ours) == repr(ref)
    assert list(ours.state_dict()) == list(ref.state_dict())
    x = rng.standard_normal((3, 4), dtype=np.float32)
    h = rng.standard_normal((3, 6), dtype=np.float32)
    _compare(ref, ours, x, (h, h * 0.5) if cls == "LSTMCell" else h)
    _compare(ref, ours, x[0])


def test_rnncell_relu_repr():
    assert repr(nn.RNNCell(4, 6, nonlinearity="relu")) == repr(torch.nn.RNNCell(4, 6, nonlinearity="relu"))  # noqa: E501


def test_dropout_between_layers_in_training():
    m = nn.GRU(4, 6, num_layers=2, dropout=0.5)
    x = ember.ones(5, 3, 4)
    a, _ = m(x)
    b, _ = m(x)
    assert not ember.equal(a, b)  # dropout draws fresh masks in training
    m.eval()
    assert ember.equal(m(x)[0], m(x)[0])


def _err(fn):
    with pytest.raises(Exception) as info:
        fn()
    return type(info.value), str(info.value)


@pytest.mark.parametrize("case", [
    "input_rank", "input_size", "hidden_shape", "hidden_rank", "dtype", "nonlinearity", "proj_gru",
    "proj_big", "dropout_range", "hidden_zero", "hidden_float", "lstm_hidden",
])  # fmt: skip
def test_errors_match_torch(case):
    def run(lib):
        n = lib.nn
        x = lib.zeros(5, 3, 4)
        return {
            "input_rank": lambda: n.LSTM(4, 6)(lib.zeros(2, 5, 3, 4)),
            "input_size": lambda: n.GRU(4, 6)(lib.zeros(5, 3, 5)),
            "hidden_shape": lambda: n.RNN(4, 6)(x, lib.zeros(1, 2, 6)),
            "hidden_rank": lambda: n.RNN(4, 6)(x, lib.zeros(2, 6)),
            "dtype": lambda: n.RNN(4, 6)(x.double()),
            "nonlinearity": lambda: n.RNN(4, 6, nonlinearity="gelu"),
            "proj_gru": lambda: n.GRU(4, 6, proj_size=2),
            "proj_big": lambda: n.LSTM(4, 6, proj_size=6),
            "dropout_range": lambda: n.LSTM(4, 6, dropout=1.5),
            "hidden_zero": lambda: n.LSTM(4, 0),
            "hidden_float": lambda: n.LSTM(4, 6.0),
            "lstm_hidden": lambda: n.LSTM(4, 6)(x, (lib.zeros(1, 3, 6), lib.zeros(1, 2, 6))),
        }[case]()

    assert _err(lambda: run(ember)) == _err(lambda: run(torch))


def test_dropout_single_layer_warns():
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        nn.LSTM(4, 6, dropout=0.2)


@pytest.mark.parametrize("enforce_sorted", [True, False])
@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
def test_packed_sequence(cls, enforce_sorted, rng):
    from torch.nn.utils.rnn import pack_padded_sequence as t_pack
    from torch.nn.utils.rnn import pad_packed_sequence as t_pad

    from ember.nn.utils.rnn import pack_padded_sequence as e_pack
    from ember.nn.utils.rnn import pad_packed_sequence as e_pad

    lengths = [5, 3, 2] if enforce_sorted else [3, 5, 2]
    kw = {"num_layers": 2, "bidirectional": True}
    ref, ours = getattr(torch.nn, cls)(4, 6, **kw), getattr(nn, cls)(4, 6, **kw)
    _copy(ref, ours)
    x = rng.standard_normal((5, 3, 4), dtype=np.float32)
    h = rng.standard_normal((4, 3, 6), dtype=np.float32)
    tx, ex = torch.tensor(x, requires_grad=True), ember.tensor(x, requires_grad=True)
    th = (torch.tensor(h), torch.tensor(h * 0.5)) if cls == "LSTM" else torch.tensor(h)
    eh = (ember.tensor(h), ember.tensor(h * 0.5)) if cls == "LSTM" else ember.tensor(h)
    t_out, t_h = ref(t_pack(tx, lengths, enforce_sorted=enforce_sorted), th)
    e_out, e_h = ours(e_pack(ex, lengths, enforce_sorted=enforce_sorted), eh)
    assert type(e_out).__name__ == "PackedSequence"
    np.testing.assert_array_equal(e_out.batch_sizes.numpy(), t_out.batch_sizes.numpy())
    np.testing.assert_allclose(e_out.data.detach().numpy(), t_out.data.detach().numpy(), rtol=1e-5, atol=1e-6)  # noqa: E501
    t_states, e_states = _flat(t_h), _flat(e_h)
    for a, b in zip(t_states, e_states):
        np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), rtol=1e-5, atol=1e-6)
    t_pad_out, e_pad_out = t_pad(t_out)[0], e_pad(e_out)[0]
    (t_pad_out.sum() + sum((s * 2).sum() for s in t_states)).backward()
    (e_pad_out.sum() + sum((s * 2).sum() for s in e_states)).backward()
    np.testing.assert_allclose(ex.grad.numpy(), tx.grad.numpy(), rtol=1e-4, atol=1e-5)
    params = dict(ours.named_parameters())
    for name, p in ref.named_parameters():
        np.testing.assert_allclose(params[name].grad.numpy(), p.grad.numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("packed", [False, True])
@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
def test_double_backward(cls, packed, rng):
    """create_graph through the fused recurrence: gradient penalties work as in torch."""
    x = rng.standard_normal((4, 3, 3))
    ref = getattr(torch.nn, cls)(3, 5, bidirectional=True).double()
    ours = getattr(nn, cls)(3, 5, bidirectional=True).double()
    _copy(ref, ours)
    grads = []
    for lib, m in ((torch, ref), (ember, ours)):
        xx = lib.tensor(x, requires_grad=True)
        inp = lib.nn.utils.rnn.pack_padded_sequence(xx, [4, 3, 1]) if packed else xx
        out, h = m(inp)
        out = out.data if packed else out
        h = h[0] if cls == "LSTM" else h
        (g,) = lib.autograd.grad((out * out).sum() + (h * h).sum(), xx, create_graph=True)
        (g * g).sum().backward()
        grads.append((xx.grad.numpy(), m.weight_hh_l0.grad.numpy(), m.bias_hh_l0_reverse.grad.numpy()))  # noqa: E501
    for a, b in zip(*grads):
        np.testing.assert_allclose(b, a, rtol=1e-7, atol=1e-10)

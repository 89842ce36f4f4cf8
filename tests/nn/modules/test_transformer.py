"""Transformer layers, stacks and the full model against torch (eval mode: dropout off)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import ember
from ember import nn


def _sync(ref, ours):
    assert repr(ours) == repr(ref)
    assert list(ours.state_dict()) == list(ref.state_dict())
    ours.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in ref.state_dict().items()})
    ref.eval()
    ours.eval()


def _compare(ref, ours, args, kwargs=None, grad_inputs=(0,)):
    """Forward both on the same arrays, compare the output and every gradient."""
    kwargs = kwargs or {}
    t_args = [torch.tensor(a, requires_grad=i in grad_inputs) for i, a in enumerate(args)]
    e_args = [ember.tensor(a, requires_grad=i in grad_inputs) for i, a in enumerate(args)]
    t_kw = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    e_kw = {k: ember.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    t_out, e_out = ref(*t_args, **t_kw), ours(*e_args, **e_kw)
    np.testing.assert_allclose(e_out.detach().numpy(), t_out.detach().numpy(), rtol=1e-4, atol=1e-5)
    g = np.cos(np.arange(t_out.numel(), dtype=np.float32)).reshape(t_out.shape)
    (t_out * torch.tensor(g)).sum().backward()
    (e_out * ember.tensor(g)).sum().backward()
    for a, b in zip(t_args, e_args):
        if a.requires_grad:
            np.testing.assert_allclose(b.grad.numpy(), a.grad.numpy(), rtol=1e-4, atol=1e-5)
    params = dict(ours.named_parameters())
    for name, p in ref.named_parameters():
        np.testing.assert_allclose(params[name].grad.numpy(), p.grad.numpy(), rtol=1e-4, atol=1e-4)


LAYER_CONFIGS = [
    {},
    {"norm_first": True, "activation": "gelu"},
    {"batch_first": True, "bias": False, "layer_norm_eps": 1e-3},
]


def _ids(kw):
    return ",".join(f"{k}={v}" for k, v in kw.items()) or "default"


@pytest.mark.parametrize("kw", LAYER_CONFIGS, ids=_ids)
def test_encoder_layer(kw, rng):
    ref, ours = torch.nn.TransformerEncoderLayer(8, 2, 16, **kw), nn.TransformerEncoderLayer(8, 2, 16, **kw)  # noqa: E501
    _sync(ref, ours)
    x = rng.standard_normal((3, 5, 8) if kw.get("batch_first") else (5, 3, 8), dtype=np.float32)
    kpm = np.zeros((3, 5), bool)
    kpm[1, 3:] = True
    _compare(ref, ours, [x])
    _compare(ref, ours, [x], {"src_mask": np.triu(np.ones((5, 5), bool), 1), "src_key_padding_mask": kpm})  # noqa: E501


def test_encoder_layer_callable_activation(rng):
    ref = torch.nn.TransformerEncoderLayer(8, 2, 16, activation=torch.nn.functional.silu)
    ours = nn.TransformerEncoderLayer(8, 2, 16, activation=ember.nn.functional.silu)
    _sync(ref, ours)
    assert ours.activation_relu_or_gelu == ref.activation_relu_or_gelu == 0
    _compare(ref, ours, [rng.standard_normal((5, 3, 8), dtype=np.float32)])
    assert nn.TransformerEncoderLayer(8, 2).activation_relu_or_gelu == 1
    assert nn.TransformerEncoderLayer(8, 2, activation="gelu").activation_relu_or_gelu == 2
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        nn.TransformerEncoderLayer(8, 2, activation="tanh")


@pytest.mark.parametrize("kw", LAYER_CONFIGS, ids=_ids)
def test_decoder_layer(kw, rng):
    ref, ours = torch.nn.TransformerDecoderLayer(8, 2, 16, **kw), nn.TransformerDecoderLayer(8, 2, 16, **kw)  # noqa: E501
    _sync(ref, ours)
    bf = kw.get("batch_first", False)
    tgt = rng.standard_normal((3, 4, 8) if bf else (4, 3, 8), dtype=np.float32)
    mem = rng.standard_normal((3, 6, 8) if bf else (6, 3, 8), dtype=np.float32)
    causal = np.triu(np.full((4, 4), -np.inf, np.float32), 1)
    mkpm = np.zeros((3, 6), bool)
    mkpm[0, 4:] = True
    _compare(ref, ours, [tgt, mem], {"tgt_mask": causal, "memory_key_padding_mask": mkpm}, grad_inputs=(0, 1))  # noqa: E501


def _encoder(lib, batch_first=False, norm=True, **kw):
    n = lib.nn
    layer = n.TransformerEncoderLayer(8, 2, 16, batch_first=batch_first)
    return n.TransformerEncoder(layer, 2, norm=n.LayerNorm(8) if norm else None, **kw)


@pytest.mark.parametrize("norm", [True, False])
def test_encoder_stack(norm, rng):
    ref, ours = _encoder(torch, norm=norm, enable_nested_tensor=False), _encoder(ember, norm=norm, enable_nested_tensor=False)  # noqa: E501
    _sync(ref, ours)
    x = rng.standard_normal((5, 3, 8), dtype=np.float32)
    causal = np.triu(np.full((5, 5), -np.inf, np.float32), 1)
    _compare(ref, ours, [x], {"mask": causal})
    _compare(ref, ours, [x], {"mask": causal, "is_causal": True})


def test_encoder_nested_tensor_warning_and_fast_path(rng):
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        ref = _encoder(torch)
        ours = _encoder(ember)
    messages = [str(w.message) for w in seen if "nested" in str(w.message)]
    assert len(messages) == 2
    assert messages[0] == messages[1]
    assert "self_attn.batch_first was not True" in messages[1]
    assert ours.use_nested_tensor is False
    # batch_first layers can take torch's nested path: inference output is zero at padded tokens
    ref, ours = _encoder(torch, batch_first=True), _encoder(ember, batch_first=True)
    _sync(ref, ours)
    assert ours.use_nested_tensor is True
    x = rng.standard_normal((3, 5, 8), dtype=np.float32)
    kpm = np.zeros((3, 5), bool)
    kpm[1, 3:] = True
    with torch.no_grad(), ember.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch: "nested tensors are in prototype stage"
        a = ref(torch.tensor(x), src_key_padding_mask=torch.tensor(kpm))
        b = ours(ember.tensor(x), src_key_padding_mask=ember.tensor(kpm))
    np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=1e-4, atol=1e-5)


def test_decoder_stack(rng):
    ref = torch.nn.TransformerDecoder(torch.nn.TransformerDecoderLayer(8, 2, 16), 2, torch.nn.LayerNorm(8))  # noqa: E501
    ours = nn.TransformerDecoder(nn.TransformerDecoderLayer(8, 2, 16), 2, nn.LayerNorm(8))
    _sync(ref, ours)
    tgt = rng.standard_normal((4, 3, 8), dtype=np.float32)
    mem = rng.standard_normal((6, 3, 8), dtype=np.float32)
    causal = np.triu(np.full((4, 4), -np.inf, np.float32), 1)
    _compare(ref, ours, [tgt, mem], {"tgt_mask": causal}, grad_inputs=(0, 1))


@pytest.mark.parametrize("kw", [{}, {"batch_first": True, "norm_first": True}], ids=_ids)
def test_transformer(kw, rng):
    args = {"d_model": 8, "nhead": 2, "num_encoder_layers": 2, "num_decoder_layers": 1, "dim_feedforward": 16, **kw}  # noqa: E501
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the nested-tensor notice, on both sides
        ref, ours = torch.nn.Transformer(**args), nn.Transformer(**args)
    _sync(ref, ours)
    bf = kw.get("batch_first", False)
    src = rng.standard_normal((3, 6, 8) if bf else (6, 3, 8), dtype=np.float32)
    tgt = rng.standard_normal((3, 4, 8) if bf else (4, 3, 8), dtype=np.float32)
    tgt_mask = nn.Transformer.generate_square_subsequent_mask(4).numpy()
    skpm = np.zeros((3, 6), bool)
    skpm[2, 5:] = True
    _compare(ref, ours, [src, tgt], {"tgt_mask": tgt_mask, "src_key_padding_mask": skpm,
                                     "memory_key_padding_mask": skpm}, grad_inputs=(0, 1))


def test_transformer_init_is_xavier():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = nn.Transformer(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=16)  # noqa: E501
    w = m.encoder.layers[0].linear1.weight.detach().numpy()  # (16, 8)
    bound = np.sqrt(6 / (16 + 8))
    assert np.abs(w).max() <= bound
    assert w.std() > bound / 3


def test_generate_square_subsequent_mask():
    ours = nn.Transformer.generate_square_subsequent_mask(4)
    ref = torch.nn.Transformer.generate_square_subsequent_mask(4)
    np.testing.assert_array_equal(ours.numpy(), ref.numpy())
    assert ours.dtype == ember.float32
    assert nn.Transformer.generate_square_subsequent_mask(3, dtype=ember.float64).dtype == ember.float64  # noqa: E501


def _err(fn):
    with pytest.raises(Exception) as info, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fn()
    return type(info.value), str(info.value)


@pytest.mark.parametrize("case", ["batch", "features"])
def test_transformer_errors_match_torch(case):
    def run(lib):
        m = lib.nn.Transformer(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=16)  # noqa: E501
        if case == "batch":
            return m(lib.zeros(5, 3, 8), lib.zeros(4, 2, 8))
        return m(lib.zeros(5, 3, 6), lib.zeros(4, 3, 6))

    assert _err(lambda: run(ember)) == _err(lambda: run(torch))

"""``nn.MultiheadAttention`` against torch: outputs, weights, gradients, masks, keys, reprs, errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import ember
from ember import nn


def _copy(ref, ours):
    ours.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in ref.state_dict().items()})


def _run(rng, ctor, call=None, masks=None, L=4, S=5, N=2, E=8, mode="self", kdim=None, vdim=None):
    """Build both modules, run query/key/value through them, compare everything."""
    call, masks = call or {}, masks or {}
    ref, ours = torch.nn.MultiheadAttention(E, 2, **ctor), nn.MultiheadAttention(E, 2, **ctor)
    assert repr(ours) == repr(ref)
    assert list(ours.state_dict()) == list(ref.state_dict())
    _copy(ref, ours)
    bf = ctor.get("batch_first", False)

    def shape(n, w):
        return (N, n, w) if bf else (n, N, w)

    q = rng.standard_normal(shape(L, E), dtype=np.float32)
    k = rng.standard_normal(shape(S, kdim or E), dtype=np.float32)
    v = rng.standard_normal(shape(S, vdim or E), dtype=np.float32)
    ins = {"self": (q,), "kv": (q, k), "all": (q, k, v)}[mode]
    t_in = [torch.tensor(a, requires_grad=True) for a in ins]
    e_in = [ember.tensor(a, requires_grad=True) for a in ins]
    t_args, e_args = _arrange(t_in, mode), _arrange(e_in, mode)
    t_out, t_w = ref(*t_args, **{n: torch.tensor(m) for n, m in masks.items()}, **call)
    e_out, e_w = ours(*e_args, **{n: ember.tensor(m) for n, m in masks.items()}, **call)
    np.testing.assert_allclose(e_out.detach().numpy(), t_out.detach().numpy(), rtol=1e-5, atol=1e-6)
    assert (e_w is None) == (t_w is None)
    if t_w is not None:
        assert e_w.shape == t_w.shape
        np.testing.assert_allclose(e_w.detach().numpy(), t_w.detach().numpy(), rtol=1e-5, atol=1e-6)
    g = rng.standard_normal(t_out.shape).astype(np.float32)
    (t_out * torch.tensor(g)).sum().backward()
    (e_out * ember.tensor(g)).sum().backward()
    for a, b in zip(t_in, e_in):
        np.testing.assert_allclose(b.grad.numpy(), a.grad.numpy(), rtol=1e-4, atol=1e-5)
    params = dict(ours.named_parameters())
    for name, p in ref.named_parameters():
        np.testing.assert_allclose(params[name].grad.numpy(), p.grad.numpy(), rtol=1e-4, atol=1e-5)
    return ours


def _arrange(ins, mode):
    """(query, key, value) keeping torch's identities: self-attention, or key is value."""
    if mode == "self":
        return [ins[0]] * 3
    return [ins[0], ins[1], ins[1]] if mode == "kv" else list(ins)


@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("mode", ["self", "kv", "all"])
def test_mha_matches_torch(rng, mode, batch_first, need_weights):
    _run(rng, {"batch_first": batch_first}, {"need_weights": need_weights}, mode=mode,
         L=5 if mode == "self" else 4, S=5)


def test_mha_per_head_weights(rng):
    _run(rng, {}, {"average_attn_weights": False}, L=5)


@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_kdim_vdim_separate_weights(rng, need_weights):
    ours = _run(rng, {"kdim": 6, "vdim": 3}, {"need_weights": need_weights}, mode="all", kdim=6, vdim=3)  # noqa: E501
    assert ours.in_proj_weight is None
    assert tuple(ours.k_proj_weight.shape) == (8, 6)
    assert list(ours.state_dict())[:3] == ["q_proj_weight", "k_proj_weight", "v_proj_weight"]


@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_bias_kv_zero_attn_no_bias(rng, need_weights):
    _run(rng, {"add_bias_kv": True, "add_zero_attn": True}, {"need_weights": need_weights}, mode="kv")  # noqa: E501
    _run(rng, {"bias": False}, {"need_weights": need_weights}, mode="all")


@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("kind", ["bool", "float", "3d"])
def test_mha_masks(rng, kind, need_weights):
    kpm = np.zeros((2, 5), bool)
    kpm[0, -2:] = True
    if kind == "bool":
        am = np.triu(np.ones((4, 5), bool), 1)
        masks = {"attn_mask": am, "key_padding_mask": kpm}
    elif kind == "float":
        am = rng.standard_normal((4, 5)).astype(np.float32)
        masks = {"attn_mask": am, "key_padding_mask": np.where(kpm, -np.inf, 0).astype(np.float32)}  # noqa: E501
    else:
        masks = {"attn_mask": rng.standard_normal((4, 4, 5)).astype(np.float32)}
    _run(rng, {"add_bias_kv": kind == "3d"}, {"need_weights": need_weights}, masks, mode="kv")


def test_mha_is_causal_hint(rng):
    causal = np.triu(np.full((5, 5), -np.inf, np.float32), 1)
    _run(rng, {"batch_first": True}, {"need_weights": False, "is_causal": True}, {"attn_mask": causal}, L=5)  # noqa: E501


def test_mha_unbatched(rng):
    ref, ours = torch.nn.MultiheadAttention(8, 2), nn.MultiheadAttention(8, 2)
    _copy(ref, ours)
    x = rng.standard_normal((5, 8), dtype=np.float32)
    t_out, t_w = ref(*[torch.tensor(x)] * 3)
    e_out, e_w = ours(*[ember.tensor(x)] * 3)
    np.testing.assert_allclose(e_out.detach().numpy(), t_out.detach().numpy(), rtol=1e-5, atol=1e-6)
    assert e_w.shape == t_w.shape


def test_mha_repr_and_init():
    m = nn.MultiheadAttention(8, 2, add_bias_kv=True)
    assert repr(m) == (
        "MultiheadAttention(\n"
        "  (out_proj): NonDynamicallyQuantizableLinear(in_features=8, out_features=8, bias=True)\n"
        ")"
    )
    assert type(m).__module__ == "ember.nn.modules.activation"
    assert isinstance(m.out_proj, nn.Linear)
    assert list(m.state_dict()) == ["in_proj_weight", "in_proj_bias", "bias_k", "bias_v", "out_proj.weight", "out_proj.bias"]  # noqa: E501
    w = m.in_proj_weight.detach().numpy()
    bound = np.sqrt(6 / (8 + 24))  # xavier_uniform on (3E, E)
    assert np.abs(w).max() <= bound
    assert w.std() > bound / 3
    assert not m.in_proj_bias.detach().numpy().any()
    assert not m.out_proj.bias.detach().numpy().any()


def test_mha_dropout_training_only():
    m = nn.MultiheadAttention(8, 2, dropout=0.5)
    x = ember.ones(4, 2, 8) + ember.arange(8.0)
    m.eval()
    assert ember.equal(m(x, x, x)[1], m(x, x, x)[1])
    m.train()
    w = m(x, x, x, average_attn_weights=False)[1]
    assert float((w == 0).to(ember.float32).mean()) > 0.2  # about half the weights dropped


def test_mask_type_mismatch_warns():
    m = nn.MultiheadAttention(8, 2)
    x = ember.zeros(4, 2, 8)
    with pytest.warns(UserWarning, match="Support for mismatched key_padding_mask and attn_mask"):
        m(x, x, x, key_padding_mask=ember.zeros(2, 4, dtype=ember.bool), attn_mask=ember.zeros(4, 4))


def _err(fn):
    with pytest.raises(Exception) as info, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fn()
    return type(info.value), str(info.value)


@pytest.mark.parametrize("case", [
    "divisible", "zero_heads", "rank", "kv_rank", "mask2d_shape", "mask3d_shape", "causal_no_mask",
    "embed_dim", "mask_dtype", "kpm_shape",
])  # fmt: skip
def test_errors_match_torch(case):
    def run(lib):
        n = lib.nn
        x = lib.zeros(4, 2, 8)
        m = n.MultiheadAttention(8, 2)
        return {
            "divisible": lambda: n.MultiheadAttention(8, 3),
            "zero_heads": lambda: n.MultiheadAttention(8, 0),
            "rank": lambda: m(lib.zeros(1, 4, 2, 8), x, x),
            "kv_rank": lambda: m(x, lib.zeros(4, 8), x),
            "mask2d_shape": lambda: m(x, x, x, attn_mask=lib.zeros(4, 5)),
            "mask3d_shape": lambda: m(x, x, x, attn_mask=lib.zeros(3, 4, 4)),
            "causal_no_mask": lambda: m(x, x, x, is_causal=True),
            "embed_dim": lambda: m(lib.zeros(4, 2, 6), lib.zeros(4, 2, 6), lib.zeros(4, 2, 6)),
            "mask_dtype": lambda: m(x, x, x, attn_mask=lib.zeros(4, 4, dtype=lib.int64)),
            "kpm_shape": lambda: m(x, x, x, key_padding_mask=lib.zeros(3, 4, dtype=lib.bool)),
        }[case]()

    assert _err(lambda: run(ember)) == _err(lambda: run(torch))

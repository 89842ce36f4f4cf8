"""``MultiheadAttention`` (torch keeps it in ``activation.py``, which re-exports it from here)."""

from __future__ import annotations

import math
from typing import Any

import ember
from ember._tensor import Tensor

from .._functional.attention import _canonical_mask, multi_head_attention_forward
from ..parameter import Parameter
from .linear import Linear
from .module import Module

__all__ = ["MultiheadAttention", "NonDynamicallyQuantizableLinear"]


class NonDynamicallyQuantizableLinear(Linear):
    """A plain :class:`Linear`; torch uses the subclass to keep quantization away from ``out_proj``."""


def _xavier_uniform_(w: Tensor) -> None:
    fan_out, fan_in = w.shape[0], w.shape[1]
    bound = math.sqrt(6.0 / (fan_in + fan_out))
    w.uniform_(-bound, bound)


def _xavier_normal_(w: Tensor) -> None:
    # torch's fans for a (1, 1, E) tensor: fan_in = fan_out = E
    receptive = math.prod(w.shape[2:])
    std = math.sqrt(2.0 / (w.shape[1] * receptive + w.shape[0] * receptive))
    w.normal_(0.0, std)


class MultiheadAttention(Module):
    r"""Attention over ``num_heads`` learned projections of the input, as in "Attention Is All You Need".

    :math:`\text{MultiHead}(Q, K, V) = \text{Concat}(head_1, \dots, head_h) W^O` with
    :math:`head_i = \text{Attention}(Q W_i^Q, K W_i^K, V W_i^V)`.

    Args:
        embed_dim: model width ``E`` (split over the heads).
        num_heads: number of heads; must divide ``embed_dim``.
        dropout: dropout on the attention weights (training only).
        bias: add biases to the input/output projections.
        add_bias_kv: learn an extra key and value appended to the sequence.
        add_zero_attn: append a zero key and value.
        kdim, vdim: key/value widths (default ``embed_dim``); if they differ, separate
            ``q_proj_weight``/``k_proj_weight``/``v_proj_weight`` replace ``in_proj_weight``.
        batch_first: inputs are ``(N, L, E)`` instead of ``(L, N, E)``.

    Examples::

        >>> import ember
        >>> mha = ember.nn.MultiheadAttention(8, 2, batch_first=True)
        >>> x = ember.zeros(3, 5, 8)
        >>> out, w = mha(x, x, x)
        >>> out.shape, w.shape
        (torch.Size([3, 5, 8]), torch.Size([3, 5, 5]))
    """

    __constants__ = ["batch_first"]
    bias_k: Tensor | None
    bias_v: Tensor | None

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False, kdim: int | None = None,
                 vdim: int | None = None, batch_first: bool = False, device: Any = None,
                 dtype: Any = None) -> None:
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(
                f"embed_dim and num_heads must be greater than 0, got embed_dim={embed_dim} and "
                f"num_heads={num_heads} instead"
            )
        kw = {"device": device, "dtype": dtype}
        super().__init__()
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        if self.head_dim * num_heads != embed_dim:
            raise AssertionError("embed_dim must be divisible by num_heads")
        if not self._qkv_same_embed_dim:
            self.q_proj_weight = Parameter(ember.empty((embed_dim, embed_dim), **kw))
            self.k_proj_weight = Parameter(ember.empty((embed_dim, self.kdim), **kw))
            self.v_proj_weight = Parameter(ember.empty((embed_dim, self.vdim), **kw))
            self.register_parameter("in_proj_weight", None)
        else:
            self.in_proj_weight = Parameter(ember.empty((3 * embed_dim, embed_dim), **kw))
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(ember.empty(3 * embed_dim, **kw))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias, **kw)
        if add_bias_kv:
            self.bias_k = Parameter(ember.empty((1, 1, embed_dim), **kw))
            self.bias_v = Parameter(ember.empty((1, 1, embed_dim), **kw))
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        with ember.no_grad():
            if self._qkv_same_embed_dim:
                _xavier_uniform_(self.in_proj_weight)
            else:
                _xavier_uniform_(self.q_proj_weight)
                _xavier_uniform_(self.k_proj_weight)
                _xavier_uniform_(self.v_proj_weight)
            if self.in_proj_bias is not None:
                self.in_proj_bias.zero_()
                self.out_proj.bias.zero_()
            if self.bias_k is not None:
                _xavier_normal_(self.bias_k)
            if self.bias_v is not None:
                _xavier_normal_(self.bias_v)

    def __setstate__(self, state: dict[str, Any]) -> None:
        # torch: checkpoints from before 1.9 lack this flag
        state.setdefault("_qkv_same_embed_dim", True)
        super().__setstate__(state)

    def forward(self, query: Tensor, key: Tensor, value: Tensor,
                key_padding_mask: Tensor | None = None, need_weights: bool = True,
                attn_mask: Tensor | None = None, average_attn_weights: bool = True,
                is_causal: bool = False) -> tuple[Tensor, Tensor | None]:
        """Attend from ``query`` to ``key``/``value``; returns ``(attn_output, attn_weights)``."""
        is_batched = query.ndim == 3
        key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask", attn_mask,
                                           "attn_mask", query.dtype)
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", query.dtype)
        if self.batch_first and is_batched:
            # keep the identities (self-attention, shared key/value): the projection uses them
            if key is value:
                if query is key:
                    query = key = value = query.transpose(1, 0)
                else:
                    query, key = query.transpose(1, 0), key.transpose(1, 0)
                    value = key
            else:
                query, key, value = (x.transpose(1, 0) for x in (query, key, value))
        separate = not self._qkv_same_embed_dim
        out, weights = multi_head_attention_forward(
            query, key, value, self.embed_dim, self.num_heads, self.in_proj_weight,
            self.in_proj_bias, self.bias_k, self.bias_v, self.add_zero_attn, self.dropout,
            self.out_proj.weight, self.out_proj.bias, training=self.training,
            key_padding_mask=key_padding_mask, need_weights=need_weights, attn_mask=attn_mask,
            use_separate_proj_weight=separate, q_proj_weight=self.q_proj_weight,
            k_proj_weight=self.k_proj_weight, v_proj_weight=self.v_proj_weight,
            average_attn_weights=average_attn_weights, is_causal=is_causal,
        )
        if self.batch_first and is_batched:
            return out.transpose(1, 0), weights
        return out, weights


# torch: the class lives in torch.nn.modules.activation; ours is re-exported from there
MultiheadAttention.__module__ = "ember.nn.modules.activation"

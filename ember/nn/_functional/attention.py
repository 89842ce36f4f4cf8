"""Attention: ``scaled_dot_product_attention`` and ``multi_head_attention_forward``."""

from __future__ import annotations

import math
import warnings
from typing import Any

import ember
from ember._ops.activation import softmax
from ember._ops.linalg import linear_op

from ember._ops.attention import ScaledDotProductAttention
from ember._random import default_generator
from ember._tensor import Tensor

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]

_CNAME = {"float32": "float", "float64": "double", "float16": "c10::Half", "bfloat16": "c10::BFloat16",
          "int64": "long int", "int32": "int", "bool": "bool"}  # fmt: skip


def _cname(t: Tensor) -> str:
    return _CNAME.get(t.dtype.name, t.dtype.name)


def _check_sdpa(query: Tensor, key: Tensor, value: Tensor, attn_mask: Tensor | None) -> None:
    if query.dtype != key.dtype or query.dtype != value.dtype:
        raise RuntimeError(
            f"Expected query, key, and value to have the same dtype, but got query.dtype: "
            f"{_cname(query)} key.dtype: {_cname(key)} and value.dtype: {_cname(value)} instead."
        )
    if query.ndim < 2 or key.ndim < 2 or value.ndim < 2:
        raise RuntimeError(
            f"Expected query, key, and value to all be  at least 2 dimensional, but got query.dim: "
            f"{query.ndim} key.dim: {key.ndim} and value.dim: {value.ndim} instead."
        )
    if attn_mask is not None and attn_mask.dtype.name != "bool" and attn_mask.dtype != query.dtype:
        raise RuntimeError(
            f"Expected attn_mask dtype to be bool or float or to match query dtype, but got "
            f"attn_mask.dtype: {_cname(attn_mask)} and  query.dtype: {_cname(query)} instead."
        )
    if query.shape[-1] != key.shape[-1]:
        n = math.prod(key.shape[:-2])
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: [{n}, "
            f"{query.shape[-1]}] but got: [{n}, {key.shape[-1]}]."
        )


def _gqa(query: Tensor, key: Tensor, value: Tensor) -> tuple[Tensor, Tensor]:
    """Repeat the key/value heads (dim -3) to match the query's, for grouped-query attention."""
    hq, hk, hv = query.shape[-3], key.shape[-3], value.shape[-3]
    if hq % hk or hq % hv:
        raise RuntimeError(
            "Number of heads in key and value must divide the number of heads in "
        )
    if hk != hq:
        key = key.repeat_interleave(hq // hk, -3)
    if hv != hq:
        value = value.repeat_interleave(hq // hv, -3)
    return key, value


def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask: Tensor | None = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    enable_gqa: bool = False,
) -> Tensor:
    r"""Attention :math:`\mathrm{softmax}(QK^T \cdot \mathrm{scale} + M)\,V` over the last two dims.

    Args:
        query: ``(..., L, E)``.
        key: ``(..., S, E)``.
        value: ``(..., S, Ev)``.
        attn_mask: broadcastable to ``(..., L, S)``; bool (``True`` = may attend) or float (added
            to the scores).
        dropout_p: dropout probability on the attention weights (applied whenever ``> 0``).
        is_causal: mask out keys after the query's position (top-left aligned ``(L, S)`` mask).
        scale: score scale; default ``1 / sqrt(E)``.
        enable_gqa: let key/value have fewer heads (dim -3) than query, shared across groups.

    Returns:
        ``(..., L, Ev)``. Rows with every key masked out are zeros.

    Examples::

        >>> import ember
        >>> import ember.nn.functional as F
        >>> q = k = v = ember.ones(2, 4, 3, 8)
        >>> F.scaled_dot_product_attention(q, k, v, is_causal=True).shape
        torch.Size([2, 4, 3, 8])
    """
    _check_sdpa(query, key, value, attn_mask)
    if enable_gqa and query.ndim >= 3:
        key, value = _gqa(query, key, value)
    if scale is None:
        scale = 1.0 / math.sqrt(query.shape[-1])
    rng = None
    if dropout_p > 0.0 and not query.is_cuda:
        rng = default_generator._rng
    return ScaledDotProductAttention.apply(
        query, key, value, attn_mask, scale=scale, causal=bool(is_causal),
        dropout_p=float(dropout_p), rng=rng,
    )


# --- multi-head attention -----------------------------------------------------------------------


def _shape_check(query: Tensor, key: Tensor, value: Tensor, key_padding_mask: Tensor | None,
                 attn_mask: Tensor | None, num_heads: int) -> bool:
    """Validate ranks as torch does; True for batched (3-D) input."""
    nd = query.ndim
    if nd not in (2, 3):
        raise AssertionError(
            f"query should be unbatched 2D or batched 3D tensor but received {nd}-D query tensor"
        )
    kind = "batched (3-D)" if nd == 3 else "unbatched (2-D)"
    if key.ndim != nd or value.ndim != nd:
        raise AssertionError(
            f"For {kind} `query`, expected `key` and `value` to be {nd}-D but found "
            f"{key.ndim}-D and {value.ndim}-D tensors respectively"
        )
    if key_padding_mask is not None and key_padding_mask.ndim != nd - 1:
        raise AssertionError(
            f"For {kind} `query`, expected `key_padding_mask` to be `None` or {nd - 1}-D but "
            f"found {key_padding_mask.ndim}-D tensor instead"
        )
    if attn_mask is not None and attn_mask.ndim not in (2, 3):
        raise AssertionError(
            f"For {kind} `query`, expected `attn_mask` to be `None`, 2-D or 3-D but found "
            f"{attn_mask.ndim}-D tensor instead"
        )
    if nd == 2 and attn_mask is not None and attn_mask.ndim == 3:
        expected = (num_heads, query.shape[0], key.shape[0])
        if tuple(attn_mask.shape) != expected:
            raise AssertionError(
                f"Expected `attn_mask` shape to be {expected} but got {attn_mask.shape}"
            )
    return nd == 3


def _canonical_mask(mask: Tensor | None, name: str, other: Tensor | None, other_name: str,
                    dtype: Any) -> Tensor | None:
    """Bool masks become float masks (``-inf`` where True); float masks pass through."""
    if mask is None:
        return None
    is_float = mask.is_floating_point()
    if mask.dtype.name != "bool" and not is_float:
        raise AssertionError(f"only bool and floating types of {name} are supported")
    if other is not None and other.dtype != mask.dtype:
        warnings.warn(
            f"Support for mismatched {name} and {other_name} is deprecated. Use same type for "
            "both instead.",
            UserWarning,
            stacklevel=3,
        )
    if is_float:
        return mask
    return ember.zeros(mask.shape, dtype=dtype, device=mask.device).masked_fill(mask, float("-inf"))


def _pad_last(x: Tensor) -> Tensor:
    """Append one zero column on the last dim (``F.pad(x, (0, 1))``)."""
    return ember.cat([x, x.new_zeros(x.shape[:-1] + (1,))], -1)


def _in_projection_packed(q: Tensor, k: Tensor, v: Tensor, w: Tensor, b: Tensor | None) -> Any:
    """Project q, k, v with the packed ``(3E, E)`` weight; one GEMM for self-attention."""
    E = q.shape[-1]
    if k is v and q is k:
        proj = linear_op(q, w, b)  # perf: one GEMM for all three
        return proj.unflatten(-1, (3, E)).unbind(-2)
    if k is v:
        w_q, w_kv = w.split([E, 2 * E])
        b_q, b_kv = b.split([E, 2 * E]) if b is not None else (None, None)
        kv = linear_op(k, w_kv, b_kv).unflatten(-1, (2, E)).unbind(-2)
        return linear_op(q, w_q, b_q), kv[0], kv[1]
    w_q, w_k, w_v = w.chunk(3)
    b_q, b_k, b_v = b.chunk(3) if b is not None else (None, None, None)
    return linear_op(q, w_q, b_q), linear_op(k, w_k, b_k), linear_op(v, w_v, b_v)


def _check_attn_mask(attn_mask: Tensor | None, tgt_len: int, src_len: int, bsz: int,
                     num_heads: int) -> Tensor | None:
    """Check ``attn_mask``'s shape against ``(L, S)`` or ``(N * H, L, S)``; return it 3-D."""
    if attn_mask is not None:
        if attn_mask.ndim == 2:
            if tuple(attn_mask.shape) != (tgt_len, src_len):
                raise RuntimeError(
                    f"The shape of the 2D attn_mask is {attn_mask.shape}, but should be "
                    f"{(tgt_len, src_len)}."
                )
            attn_mask = attn_mask.unsqueeze(0)
        elif tuple(attn_mask.shape) != (bsz * num_heads, tgt_len, src_len):
            raise RuntimeError(
                f"The shape of the 3D attn_mask is {attn_mask.shape}, but should be "
                f"{(bsz * num_heads, tgt_len, src_len)}."
            )
    return attn_mask


def _add_padding_mask(attn_mask: Tensor | None, kpm: Tensor, bsz: int, num_heads: int,
                      src_len: int) -> Tensor:
    if kpm.shape[0] != bsz:
        raise AssertionError(f"Expected key_padded_mask.shape[0] to be {bsz}, but got {kpm.shape[0]}")  # noqa: E501
    if kpm.shape[1] != src_len:
        raise AssertionError(f"Expected key_padded_mask.shape[1] to be {src_len}, but got {kpm.shape[1]}")  # noqa: E501
    kpm = kpm.view(bsz, 1, 1, src_len).expand(-1, num_heads, -1, -1).reshape(bsz * num_heads, 1, src_len)  # noqa: E501
    return kpm if attn_mask is None else attn_mask + kpm


def multi_head_attention_forward(  # noqa: C901 - torch's argument list, one pass per step
    query: Tensor,
    key: Tensor,
    value: Tensor,
    embed_dim_to_check: int,
    num_heads: int,
    in_proj_weight: Tensor | None,
    in_proj_bias: Tensor | None,
    bias_k: Tensor | None,
    bias_v: Tensor | None,
    add_zero_attn: bool,
    dropout_p: float,
    out_proj_weight: Tensor,
    out_proj_bias: Tensor | None,
    training: bool = True,
    key_padding_mask: Tensor | None = None,
    need_weights: bool = True,
    attn_mask: Tensor | None = None,
    use_separate_proj_weight: bool = False,
    q_proj_weight: Tensor | None = None,
    k_proj_weight: Tensor | None = None,
    v_proj_weight: Tensor | None = None,
    static_k: Tensor | None = None,
    static_v: Tensor | None = None,
    average_attn_weights: bool = True,
    is_causal: bool = False,
) -> tuple[Tensor, Tensor | None]:
    r"""The functional form of :class:`~ember.nn.MultiheadAttention` (sequence-first layout).

    Shape:
        - query: ``(L, N, E)`` or ``(L, E)``; key, value: ``(S, N, E_k)`` / ``(S, N, E_v)``.
        - Returns ``(attn_output, attn_weights)``: ``(L, N, E)`` and ``(N, L, S)`` (or
          ``(N, num_heads, L, S)`` without averaging; ``None`` unless ``need_weights``).
    """
    is_batched = _shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not is_batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask", attn_mask,
                                       "attn_mask", query.dtype)
    if is_causal and attn_mask is None:
        raise RuntimeError(
            "Need attn_mask if specifying the is_causal hint. You may use the Transformer module "
            "method `generate_square_subsequent_mask` to create this mask."
        )
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None  # torch: the hint replaces the mask; SDPA builds its own
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", query.dtype)
        if key_padding_mask is not None:
            is_causal = False
    if embed_dim != embed_dim_to_check:
        raise AssertionError(
            f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}"
        )
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if key.shape[:2] != value.shape[:2]:
            raise AssertionError(
                f"key's sequence and batch dims {key.shape[:2]} do not match value's "
                f"{value.shape[:2]}"
            )
        b_q, b_k, b_v = in_proj_bias.chunk(3) if in_proj_bias is not None else (None,) * 3
        q = linear_op(query, q_proj_weight, b_q)
        k = linear_op(key, k_proj_weight, b_k)
        v = linear_op(value, v_proj_weight, b_v)
    else:
        if key.shape != value.shape:
            raise AssertionError(f"key shape {key.shape} does not match value shape {value.shape}")
        q, k, v = _in_projection_packed(query, key, value, in_proj_weight, in_proj_bias)
    attn_mask = _check_attn_mask(attn_mask, tgt_len, key.shape[0], bsz, num_heads)
    if bias_k is not None and bias_v is not None:
        k = ember.cat([k, bias_k.repeat(1, bsz, 1)])
        v = ember.cat([v, bias_v.repeat(1, bsz, 1)])
        attn_mask = _pad_last(attn_mask) if attn_mask is not None else None
        key_padding_mask = _pad_last(key_padding_mask) if key_padding_mask is not None else None
    elif bias_k is not None or bias_v is not None:
        raise AssertionError(
            "bias_k is set but bias_v is None" if bias_k is not None else "bias_v is set but bias_k is None"  # noqa: E501
        )
    # heads go next to the batch: (L, N, E) -> (N * H, L, head_dim)
    q = q.reshape(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = static_k if static_k is not None else k.reshape(k.shape[0], bsz * num_heads, head_dim).transpose(0, 1)  # noqa: E501
    v = static_v if static_v is not None else v.reshape(v.shape[0], bsz * num_heads, head_dim).transpose(0, 1)  # noqa: E501
    if add_zero_attn:
        zeros = k.new_zeros((bsz * num_heads, 1, head_dim))
        k, v = ember.cat([k, zeros], 1), ember.cat([v, zeros], 1)
        attn_mask = _pad_last(attn_mask) if attn_mask is not None else None
        key_padding_mask = _pad_last(key_padding_mask) if key_padding_mask is not None else None
    src_len = k.shape[1]
    if key_padding_mask is not None:
        attn_mask = _add_padding_mask(attn_mask, key_padding_mask, bsz, num_heads, src_len)
    if not training:
        dropout_p = 0.0
    if need_weights:
        out, weights = _attention_with_weights(q, k, v, attn_mask, dropout_p)
        weights = weights.view(bsz, num_heads, tgt_len, src_len)
        if average_attn_weights:
            weights = weights.mean(1)
    else:
        if attn_mask is not None:
            attn_mask = attn_mask.unsqueeze(0) if attn_mask.shape[0] == 1 else attn_mask.view(bsz, num_heads, -1, src_len)  # noqa: E501
        out = scaled_dot_product_attention(
            q.view(bsz, num_heads, tgt_len, head_dim), k.view(bsz, num_heads, src_len, head_dim),
            v.view(bsz, num_heads, src_len, head_dim), attn_mask, dropout_p, is_causal,
        ).view(bsz * num_heads, tgt_len, head_dim)
        weights = None
    out = out.transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
    out = linear_op(out, out_proj_weight, out_proj_bias).view(tgt_len, bsz, -1)
    if not is_batched:
        out = out.squeeze(1)
        weights = weights.squeeze(0) if weights is not None else None
    return out, weights


def _attention_with_weights(q: Tensor, k: Tensor, v: Tensor, attn_mask: Tensor | None,
                            dropout_p: float) -> tuple[Tensor, Tensor]:
    """Attention that also returns the (post-dropout) weights ``(N * H, L, S)``."""
    scores = ember.bmm(q * math.sqrt(1.0 / q.shape[-1]), k.transpose(-2, -1))
    if attn_mask is not None:
        scores = scores + attn_mask
    weights = softmax(scores, -1)
    if dropout_p > 0.0:
        from ember.nn.functional import dropout  # noqa: PLC0415

        weights = dropout(weights, p=dropout_p)
    return ember.bmm(weights, v), weights

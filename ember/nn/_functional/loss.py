"""Loss functions: ``F.cross_entropy``, ``F.mse_loss``, ``F.binary_cross_entropy``, ...

Each validates its arguments with torch's messages, then calls one fused op from
``ember/_ops/loss.py`` or composes a few Tensor ops (as torch does for the rarer losses).
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from ember._ops import loss as L
from ember._tensor import Tensor

__all__ = [
    "cross_entropy", "nll_loss", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss",
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div",
    "cosine_embedding_loss", "margin_ranking_loss", "hinge_embedding_loss", "soft_margin_loss",
    "multi_margin_loss", "multilabel_soft_margin_loss", "triplet_margin_loss",
    "poisson_nll_loss", "gaussian_nll_loss",
]  # fmt: skip

_SIZE_WARNING = (
    "Using a target size ({}) that is different to the input size ({}). This will likely lead "
    "to incorrect results due to broadcasting. Please ensure they have the same size."
)


# --- reduction arguments (torch.nn._reduction) ---------------------------------------------------
def _check_reduction(reduction: str) -> str:
    if reduction == "elementwise_mean":
        warnings.warn("reduction='elementwise_mean' is deprecated. Please use reduction='mean' instead.", stacklevel=4)  # noqa: E501
        return "mean"
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _legacy_reduction(size_average: bool | None, reduce: bool | None, emit_warning: bool = True) -> str:  # noqa: E501
    """The reduction string the deprecated ``size_average``/``reduce`` pair stands for."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    ret = "mean" if size_average and reduce else ("sum" if reduce else "none")
    if emit_warning:
        warnings.warn(
            f"size_average and reduce args will be deprecated, please use reduction='{ret}' instead.",  # noqa: E501
            stacklevel=4,
        )
    return ret


def _reduction(size_average: bool | None, reduce: bool | None, reduction: str) -> str:
    if size_average is not None or reduce is not None:
        return _legacy_reduction(size_average, reduce)
    return _check_reduction(reduction)


def _apply_reduction(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _warn_size(input: Tensor, target: Tensor) -> None:
    if target.shape != input.shape:
        warnings.warn(_SIZE_WARNING.format(target.size(), input.size()), stacklevel=3)


def _arr(t: Tensor | None) -> Any:
    return None if t is None else t._array


# --- classification ------------------------------------------------------------------------------
def _check_class_target(input: Tensor, target: Tensor, weight: Tensor | None, name: str) -> None:
    """torch's shape, dtype and weight checks for class-index targets."""
    if input.ndim < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {input.ndim})")
    if input.ndim == 1:
        if target.ndim > 1 or (target.ndim == 1 and target.shape[0] != 1):
            raise ValueError(
                f"For 1D input, 1D target must have size 1, but got target size: {target.shape[0]}"
            )
    elif input.shape[0] != target.shape[0]:
        raise ValueError(
            f"Expected input batch_size ({input.shape[0]}) to match target batch_size ({target.shape[0]})."  # noqa: E501
        )
    if target.dtype.name not in ("int64", "uint8"):
        raise RuntimeError(
            f"expected target dtype to be Long or Byte, but got {_TORCH_NAME.get(target.dtype.name, target.dtype.name)}"  # noqa: E501
        )
    if input.ndim == 2 and target.ndim != 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if input.ndim > 2:
        expected = (input.shape[0],) + tuple(input.shape[2:])
        if tuple(target.shape) != expected:
            raise RuntimeError(
                f"size mismatch (got input: {list(input.shape)} , target: {list(target.shape)}"
            )
    C = input.shape[1] if input.ndim > 1 else input.shape[0]
    if weight is not None and weight.numel() != C:
        raise RuntimeError(
            f"weight tensor should be defined either for all {C} classes or no classes but got "
            f"weight tensor of shape: {list(weight.shape)}"
        )


_TORCH_NAME = {"float32": "Float", "float64": "Double", "float16": "Half", "int32": "Int",
               "int16": "Short", "int8": "Char", "bool": "Bool", "bfloat16": "BFloat16"}  # fmt: skip


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                  size_average: bool | None = None, ignore_index: int = -100,
                  reduce: bool | None = None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:  # fmt: skip
    r"""Cross-entropy between the logits ``input`` and ``target``.

    ``target`` holds class indices (shape ``input.shape`` without dim 1) or class probabilities
    (same shape as ``input``). See :class:`~ember.nn.CrossEntropyLoss`.

    Args:
        input (Tensor): logits of shape :math:`(C)`, :math:`(N, C)` or :math:`(N, C, d_1, ...)`.
        target (Tensor): class indices or probabilities.
        weight (Tensor, optional): a rescaling weight per class, shape :math:`(C)`.
        ignore_index (int): a target value that contributes neither loss nor gradient.
        reduction (str): ``'none'`` | ``'mean'`` | ``'sum'``. Default: ``'mean'``.
        label_smoothing (float): mix the target with the uniform distribution. Default: 0.0.
    """
    reduction = _reduction(size_average, reduce, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    if target.shape == input.shape and target.dtype.is_floating_point:
        return _cross_entropy_probs(input, target, weight, reduction, label_smoothing)
    _check_class_target(input, target, weight, "cross_entropy")
    op = L.CrossEntropy2d if input.ndim > 2 else L.CrossEntropy
    return op.apply(input, target, weight=_arr(weight), ignore_index=ignore_index,
                    reduction=reduction, label_smoothing=label_smoothing)  # fmt: skip


def _cross_entropy_probs(input: Tensor, target: Tensor, weight: Tensor | None, reduction: str,
                         ls: float) -> Tensor:  # fmt: skip
    dim = 1 if input.ndim > 1 else 0
    C = input.shape[dim]
    logp = input.log_softmax(dim)
    if ls > 0:
        target = target * (1 - ls) + ls / C
    if weight is not None:
        logp = logp * weight.reshape((C,) + (1,) * (input.ndim - dim - 1))
    loss = -(logp * target).sum(dim)
    if reduction == "mean":
        return loss.sum() / (input.numel() // C) if input.numel() else loss.sum() / 0.0
    return _apply_reduction(loss, reduction)


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
             size_average: bool | None = None, ignore_index: int = -100,
             reduce: bool | None = None, reduction: str = "mean") -> Tensor:  # fmt: skip
    r"""Negative log-likelihood of the log-probabilities ``input`` at the ``target`` classes.

    See :class:`~ember.nn.NLLLoss`.
    """
    reduction = _reduction(size_average, reduce, reduction)
    _check_class_target(input, target, weight, "nll_loss")
    op = L.NllLoss2d if input.ndim > 2 else L.NllLoss
    return op.apply(input, target, weight=_arr(weight), ignore_index=ignore_index,
                    reduction=reduction)  # fmt: skip


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         size_average: bool | None = None, reduce: bool | None = None,
                         reduction: str = "mean") -> Tensor:  # fmt: skip
    r"""Binary cross-entropy between the probabilities ``input`` and ``target``.

    Each log is clamped at -100, as in torch. See :class:`~ember.nn.BCELoss`.
    """
    reduction = _reduction(size_average, reduce, reduction)
    if target.shape != input.shape:
        raise ValueError(
            f"Using a target size ({target.size()}) that is different to the input size "
            f"({input.size()}) is deprecated. Please ensure they have the same size."
        )
    x = input._array
    if x.size and ((x < 0) | (x > 1)).any():
        raise RuntimeError("all elements of input should be between 0 and 1")
    return L.BinaryCrossEntropy.apply(input, target, reduction=reduction, weight=_arr(weight))


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                     size_average: bool | None = None,
                                     reduce: bool | None = None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:  # fmt: skip
    r"""Sigmoid followed by binary cross-entropy, computed stably in one step.

    ``pos_weight`` weighs the positive examples (broadcast along the last dim).
    See :class:`~ember.nn.BCEWithLogitsLoss`.
    """
    reduction = _reduction(size_average, reduce, reduction)
    if target.shape != input.shape:
        raise ValueError(f"Target size ({target.size()}) must be the same as input size ({input.size()})")  # noqa: E501
    return L.BinaryCrossEntropyWithLogits.apply(
        input, target, reduction=reduction, weight=_arr(weight), pos_weight=_arr(pos_weight))


def soft_margin_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
                     reduce: bool | None = None, reduction: str = "mean") -> Tensor:  # fmt: skip
    r"""Two-class logistic loss :math:`\log(1 + e^{-y x})`."""
    reduction = _reduction(size_average, reduce, reduction)
    return L.SoftMarginLoss.apply(input, target, reduction=reduction)


def multi_margin_loss(input: Tensor, target: Tensor, p: int = 1, margin: float = 1.0,
                      weight: Tensor | None = None, size_average: bool | None = None,
                      reduce: bool | None = None, reduction: str = "mean") -> Tensor:  # fmt: skip
    r"""Multi-class hinge loss :math:`\sum_{j \ne y} \max(0, m - x_y + x_j)^p / C`."""
    reduction = _reduction(size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    x = input if input.ndim > 1 else input.reshape(1, -1)
    t = target.reshape(-1, 1)
    C = x.shape[1]
    m = (x - x.gather(1, t) + margin).clamp_min(0)
    if p == 2:
        m = m * m
    if weight is not None:
        m = m * weight[t.reshape(-1)].reshape(-1, 1)
    from ember import arange  # noqa: PLC0415

    m = m.masked_fill(arange(C).reshape(1, -1) == t, 0.0)
    loss = m.sum(1) / C
    return _apply_reduction(loss if input.ndim > 1 else loss.reshape(target.shape), reduction)


def multilabel_soft_margin_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                size_average: bool | None = None, reduce: bool | None = None,
                                reduction: str = "mean") -> Tensor:  # fmt: skip
    r"""Multi-label one-versus-all logistic loss, averaged over the classes."""
    reduction = _reduction(size_average, reduce, reduction)
    from .activation import logsigmoid  # noqa: PLC0415

    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    loss = loss.sum(dim=input.ndim - 1) / input.shape[-1]
    return _apply_reduction(loss, reduction)


# --- regression ----------------------------------------------------------------------------------
def _weighted(loss: Tensor, input: Tensor, weight: Tensor, reduction: str) -> Tensor:
    if weight.shape != input.shape:
        raise ValueError("Weights and input must have the same size.")
    loss = loss * weight
    if reduction == "mean":
        return loss.sum() / weight.sum()
    return _apply_reduction(loss, reduction)


def mse_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
             reduce: bool | None = None, reduction: str = "mean",
             weight: Tensor | None = None) -> Tensor:  # fmt: skip
    r"""Mean squared error :math:`(x - y)^2`, reduced. See :class:`~ember.nn.MSELoss`."""
    _warn_size(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    if weight is not None:
        return _weighted((input - target) ** 2, input, weight, reduction)
    return L.MseLoss.apply(input, target, reduction=reduction)


def l1_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
            reduce: bool | None = None, reduction: str = "mean",
            weight: Tensor | None = None) -> Tensor:  # fmt: skip
    r"""Mean absolute error :math:`|x - y|`, reduced. See :class:`~ember.nn.L1Loss`."""
    _warn_size(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    loss = (input - target).abs()
    if weight is not None:
        return _weighted(loss, input, weight, reduction)
    return _apply_reduction(loss, reduction)


def smooth_l1_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
                   reduce: bool | None = None, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:  # fmt: skip
    r"""Quadratic below ``beta``, linear above (divided by ``beta``)."""
    _warn_size(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    if beta == 0.0:
        return _apply_reduction((input - target).abs(), reduction)
    return L.SmoothL1Loss.apply(input, target, reduction=reduction, beta=beta)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:  # fmt: skip
    r"""Quadratic below ``delta``, linear (times ``delta``) above."""
    _warn_size(input, target)
    reduction = _check_reduction(reduction)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    if weight is None:
        return L.HuberLoss.apply(input, target, reduction=reduction, delta=delta)
    if weight.shape != input.shape:
        raise ValueError("Weights and input must have the same size.")
    return _apply_reduction(L.HuberLoss.apply(input, target, reduction="none", delta=delta) * weight, reduction)  # noqa: E501


def kl_div(input: Tensor, target: Tensor, size_average: bool | None = None,
           reduce: bool | None = None, reduction: str = "mean",
           log_target: bool = False) -> Tensor:  # fmt: skip
    r"""Kullback-Leibler divergence; ``input`` holds log-probabilities.

    ``reduction='batchmean'`` divides the sum by the batch size (the mathematical KL); ``'mean'``
    divides by the number of elements and warns.
    """
    if size_average is not None or reduce is not None:
        red = _legacy_reduction(size_average, reduce)
    else:
        if reduction == "mean":
            warnings.warn(
                "reduction: 'mean' divides the total loss by both the batch size and the support "
                "size.'batchmean' divides only by the batch size, and aligns with the KL div math "
                "definition.'mean' will be changed to behave the same as 'batchmean' in the next "
                "major release.",
                stacklevel=2,
            )
        red = "sum" if reduction == "batchmean" else _check_reduction(reduction)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        from ember import where  # noqa: PLC0415

        # xlogy(t, t): 0 where t == 0 (no log(0) evaluated), nan for negative t as in torch
        zero = target == 0
        with np.errstate(invalid="ignore"):
            loss = where(zero, 0.0, target * where(zero, 1.0, target).log()) - target * input
    out = _apply_reduction(loss, red)
    if reduction == "batchmean" and input.ndim != 0:
        out = out / input.shape[0]
    return out


def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True, full: bool = False,
                     size_average: bool | None = None, eps: float = 1e-8,
                     reduce: bool | None = None, reduction: str = "mean") -> Tensor:  # fmt: skip
    r"""Negative log-likelihood of ``target`` under a Poisson with rate ``input``."""
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not a valid value for reduction")
    loss = input.exp() - target * input if log_input else input - target * (input + eps).log()
    if full:
        t = target.masked_fill(target <= 1, 1.0)
        stirling = t * t.log() - t + 0.5 * (2 * math.pi * t).log()
        loss = loss + stirling.masked_fill(target <= 1, 0.0)
    return _apply_reduction(loss, reduction)


def gaussian_nll_loss(input: Tensor, target: Tensor, var: Tensor | float, full: bool = False,
                      eps: float = 1e-6, reduction: str = "mean") -> Tensor:  # fmt: skip
    r"""Negative log-likelihood of ``target`` under a Gaussian of mean ``input``, variance ``var``."""  # noqa: E501
    if not isinstance(var, Tensor):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = input.new_full((), var)
    elif var.shape != input.shape:
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif not (tuple(input.shape[:-1]) == tuple(var.shape[:-1]) and var.shape[-1] == 1):
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    if bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    var = var.clamp_min(eps) if not var.requires_grad else _clamp_keep_grad(var, eps)
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _apply_reduction(loss, reduction)


def _clamp_keep_grad(var: Tensor, eps: float) -> Tensor:
    # torch: the clamp runs under no_grad on a clone, so the gradient flows as if unclamped
    return var + (var.detach().clamp_min(eps) - var.detach())


# --- embedding and ranking ---------------------------------------------------------------------
def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0,
                          size_average: bool | None = None, reduce: bool | None = None,
                          reduction: str = "mean") -> Tensor:  # fmt: skip
    r"""``1 - cos(x1, x2)`` for ``y = 1``, ``max(0, cos(x1, x2) - margin)`` for ``y = -1``."""
    reduction = _reduction(size_average, reduce, reduction)
    if target.ndim > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    from ember import where  # noqa: PLC0415

    d = target.ndim
    eps = 1e-12
    prod = (input1 * input2).sum(d)
    mag = ((input1 * input1).sum(d) + eps) * ((input2 * input2).sum(d) + eps)
    cos = prod / mag.sqrt()
    loss = where(target == 1, 1 - cos, 0.0) + where(target == -1, (cos - margin).clamp_min(0), 0.0)  # noqa: E501
    return _apply_reduction(loss, reduction)


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0,
                        size_average: bool | None = None, reduce: bool | None = None,
                        reduction: str = "mean") -> Tensor:  # fmt: skip
    r""":math:`\max(0, -y (x_1 - x_2) + \text{margin})`, reduced."""
    reduction = _reduction(size_average, reduce, reduction)
    if input1.ndim != input2.ndim or input1.ndim != target.ndim:
        raise RuntimeError(
            f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
            f"input1: {input1.size()}, input2: {input2.size()}, target: {target.size()} "
        )
    return _apply_reduction((-target * (input1 - input2) + margin).clamp_min(0), reduction)


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0,
                         size_average: bool | None = None, reduce: bool | None = None,
                         reduction: str = "mean") -> Tensor:  # fmt: skip
    r"""``x`` where ``y = 1``, ``max(0, margin - x)`` where ``y = -1``, reduced."""
    reduction = _reduction(size_average, reduce, reduction)
    from ember import where  # noqa: PLC0415

    loss = where(target != 1, (margin - input).clamp_min(0), 0.0) + where(target != -1, input, 0.0)  # noqa: E501
    return _apply_reduction(loss, reduction)


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0,
                        p: float = 2, eps: float = 1e-6, swap: bool = False,
                        size_average: bool | None = None, reduce: bool | None = None,
                        reduction: str = "mean") -> Tensor:  # fmt: skip
    r""":math:`\max(d(a, p) - d(a, n) + \text{margin}, 0)` with the pairwise ``p``-norm distance."""
    reduction = _reduction(size_average, reduce, reduction)
    if not (anchor.ndim == positive.ndim == negative.ndim):
        raise RuntimeError(
            "The anchor, positive, and negative tensors are expected to have the same number of "
            f"dimensions, but got: anchor {anchor.ndim}D, positive {positive.ndim}D, and "
            f"negative {negative.ndim}D inputs"
        )

    def dist(a: Tensor, b: Tensor) -> Tensor:
        return (a - b + eps).norm(p, dim=-1)

    d_pos = dist(anchor, positive)
    d_neg = dist(anchor, negative)
    if swap:
        from ember import minimum  # noqa: PLC0415

        d_neg = minimum(d_neg, dist(positive, negative))
    return _apply_reduction((margin + d_pos - d_neg).clamp_min(0), reduction)

"""``AdamW``: Adam with decoupled weight decay."""

from __future__ import annotations

from typing import Any

from .._tensor import Tensor
from .adam import Adam
from .optimizer import ParamsT

__all__ = ["AdamW"]


class AdamW(Adam):
    r"""AdamW: Adam whose weight decay shrinks the weights directly, :math:`\theta \mathrel{*}= 1 - \gamma\lambda`.

    Args:
        params (iterable): parameters or named parameters to optimize, or param group dicts.
        lr (float, Tensor, optional): learning rate (default: 1e-3).
        betas (Tuple[float, float], optional): averaging coefficients (default: (0.9, 0.999)).
        eps (float, optional): added to the denominator (default: 1e-8).
        weight_decay (float, optional): weight decay coefficient (default: 1e-2).
        amsgrad (bool, optional): use the AMSGrad variant (default: False).
        maximize (bool, optional): maximize the objective instead of minimizing (default: False).
        foreach, capturable, differentiable, fused: accepted and kept in the param groups.

    Examples::

        >>> import ember
        >>> w = ember.tensor([1.0, -1.0], requires_grad=True)
        >>> opt = ember.optim.AdamW([w], lr=0.1)
        >>> w.sum().backward()
        >>> _ = opt.step()
        >>> w
        tensor([ 0.8990, -1.0990], requires_grad=True)
    """

    def __init__(self, params: ParamsT, lr: float | Tensor = 1e-3,
                 betas: tuple[float | Tensor, float | Tensor] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *, maximize: bool = False,
                 foreach: bool | None = None, capturable: bool = False,
                 differentiable: bool = False, fused: bool | None = None) -> None:  # fmt: skip
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable, differentiable=differentiable,
                         fused=fused, decoupled_weight_decay=True)  # fmt: skip

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True

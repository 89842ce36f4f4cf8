"""``NAdam``: Adam with Nesterov momentum (and a momentum-decay schedule)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .._device import array_namespace
from .._tensor import Tensor
from .adam import _check_betas, _moments
from .optimizer import Optimizer, ParamsT, _grad, _scalar

__all__ = ["NAdam"]


class NAdam(Optimizer):
    r"""NAdam: Adam whose first-moment term looks one step ahead (Nesterov), with
    :math:`\mu_t = \beta_1 (1 - \tfrac12 \cdot 0.96^{t\psi})` for ``momentum_decay`` :math:`\psi`.

    Args:
        params (iterable): parameters or named parameters to optimize, or param group dicts.
        lr (float, Tensor, optional): learning rate (default: 2e-3).
        betas (Tuple[float, float], optional): averaging coefficients (default: (0.9, 0.999)).
        eps (float, optional): added to the denominator (default: 1e-8).
        weight_decay (float, optional): weight decay (default: 0).
        momentum_decay (float, optional): momentum decay :math:`\psi` (default: 4e-3).
        decoupled_weight_decay (bool, optional): AdamW-style decay (NAdamW) (default: False).
        foreach, capturable, differentiable: accepted and kept in the param groups.
        maximize (bool, optional): maximize the objective instead of minimizing (default: False).
    """

    def __init__(self, params: ParamsT, lr: float | Tensor = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:  # fmt: skip
        _check_betas(lr, betas, eps, weight_decay)
        if not momentum_decay >= 0.0:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "momentum_decay": momentum_decay,
                    "decoupled_weight_decay": decoupled_weight_decay, "maximize": maximize,
                    "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable}  # fmt: skip
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        r"""Perform one optimization step; ``closure`` re-evaluates the model and returns the loss."""
        loss = self._closure(closure)
        for group in self.param_groups:
            lr, eps, wd = _scalar(group["lr"]), group["eps"], group["weight_decay"]
            (b1, b2), maximize = group["betas"], group["maximize"]
            psi, decoupled = group["momentum_decay"], group["decoupled_weight_decay"]
            for p in group["params"]:
                if p._grad is None:
                    continue
                xp = array_namespace(p._array)
                state = self._param_state(p, {"mu_product": 1.0}, exp_avg=0, exp_avg_sq=0)
                step_arr, mu_prod = state["step"]._array, state["mu_product"]._array
                step_arr += 1
                step = float(step_arr)
                bc2 = 1 - b2**step
                mu = b1 * (1.0 - 0.5 * 0.96 ** (step * psi))
                mu_next = b1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * psi))
                # torch: the running product is kept in float32, then read back as a Python float
                np.multiply(mu_prod, mu, out=mu_prod)
                mp = float(mu_prod)
                c_grad = -lr * (1.0 - mu) / (1.0 - mp)
                c_avg = (-lr * mu_next) / (1.0 - mp * mu_next)

                def update(p_, g, m, v, t0, t1, xp: Any = xp, c_grad: float = c_grad,
                           c_avg: float = c_avg, bc2: float = bc2) -> None:  # fmt: skip
                    if wd != 0 and decoupled:
                        xp.multiply(p_, 1 - lr * wd, out=p_)
                    g = _grad(g, p_, 0 if decoupled else wd, maximize, t0)
                    _moments(xp, g, m, v, b1, b2, t1)
                    xp.divide(v, bc2, out=t1)
                    xp.sqrt(t1, out=t1)
                    xp.add(t1, eps, out=t1)  # denom
                    xp.divide(g, t1, out=t0)  # elementwise, so writing over g (maybe t0) is safe
                    xp.multiply(t0, c_grad, out=t0)
                    xp.add(p_, t0, out=p_)
                    xp.divide(m, t1, out=t1)
                    xp.multiply(t1, c_avg, out=t1)
                    xp.add(p_, t1, out=p_)

                arrays = [p._array, p._grad._array, state["exp_avg"]._array, state["exp_avg_sq"]._array]  # noqa: E501
                self._chunked(update, arrays, 2)
                p._bump()
        return loss

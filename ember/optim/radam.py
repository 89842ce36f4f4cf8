"""``RAdam``: Adam with a rectified (variance-corrected) adaptive learning rate."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._device import array_namespace
from .._tensor import Tensor
from .adam import _check_betas, _moments
from .optimizer import Optimizer, ParamsT, _grad, _scalar

__all__ = ["RAdam"]


class RAdam(Optimizer):
    r"""RAdam: Adam whose adaptive term is switched on, and scaled by a rectification factor,
    only once the variance estimate is tractable (:math:`\rho_t > 5`); before that it is SGD with momentum.

    Args:
        params (iterable): parameters or named parameters to optimize, or param group dicts.
        lr (float, Tensor, optional): learning rate (default: 1e-3).
        betas (Tuple[float, float], optional): averaging coefficients (default: (0.9, 0.999)).
        eps (float, optional): added to the denominator (default: 1e-8).
        weight_decay (float, optional): weight decay (default: 0).
        decoupled_weight_decay (bool, optional): AdamW-style decay (RAdamW) (default: False).
        foreach, capturable, differentiable: accepted and kept in the param groups.
        maximize (bool, optional): maximize the objective instead of minimizing (default: False).
    """

    def __init__(self, params: ParamsT, lr: float | Tensor = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, decoupled_weight_decay: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:  # fmt: skip
        _check_betas(lr, betas, eps, weight_decay)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize, "foreach": foreach, "capturable": capturable,
                    "decoupled_weight_decay": decoupled_weight_decay,
                    "differentiable": differentiable}  # fmt: skip
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        r"""Perform one optimization step; ``closure`` re-evaluates the model and returns the loss."""
        loss = self._closure(closure)
        for group in self.param_groups:
            lr, eps, wd = _scalar(group["lr"]), group["eps"], group["weight_decay"]
            (b1, b2), maximize = group["betas"], group["maximize"]
            decoupled = group["decoupled_weight_decay"]
            for p in group["params"]:
                if p._grad is None:
                    continue
                xp = array_namespace(p._array)
                state = self._param_state(p, exp_avg=0, exp_avg_sq=0)
                step_arr = state["step"]._array
                step_arr += 1
                step = float(step_arr)
                bc1, bc2 = 1 - b1**step, 1 - b2**step
                rho_inf = 2 / (1 - b2) - 1
                rho_t = rho_inf - 2 * step * (b2**step) / bc2
                rect = None
                if rho_t > 5.0:
                    rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5  # noqa: E501

                def update(p_, g, m, v, t0, t1, t2, xp: Any = xp, rect: Any = rect,
                           bc1: float = bc1, bc2: float = bc2) -> None:  # fmt: skip
                    if wd != 0 and decoupled:
                        xp.multiply(p_, 1 - lr * wd, out=p_)
                    g = _grad(g, p_, 0 if decoupled else wd, maximize, t0)
                    _moments(xp, g, m, v, b1, b2, t1)
                    xp.divide(m, bc1, out=t2)
                    xp.multiply(t2, lr, out=t2)
                    if rect is not None:
                        xp.sqrt(v, out=t1)
                        xp.add(t1, eps, out=t1)
                        xp.divide(bc2**0.5, t1, out=t1)  # the adaptive learning rate
                        xp.multiply(t2, t1, out=t2)
                        xp.multiply(t2, rect, out=t2)
                    xp.subtract(p_, t2, out=p_)

                arrays = [p._array, p._grad._array, state["exp_avg"]._array, state["exp_avg_sq"]._array]  # noqa: E501
                self._chunked(update, arrays, 3)
                p._bump()
        return loss

"""``Adamax``: Adam with the infinity norm in place of the second moment."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._device import array_namespace
from .._tensor import Tensor
from .adam import _check_betas
from .optimizer import Optimizer, ParamsT, _grad, _scalar

__all__ = ["Adamax"]


class Adamax(Optimizer):
    r"""Adamax: :math:`u_t = \max(\beta_2 u_{t-1}, |g_t| + \epsilon)`, :math:`\theta_t = \theta_{t-1} - \frac{\gamma}{1 - \beta_1^t}\, m_t / u_t`.

    Args:
        params (iterable): parameters or named parameters to optimize, or param group dicts.
        lr (float, Tensor, optional): learning rate (default: 2e-3).
        betas (Tuple[float, float], optional): averaging coefficients (default: (0.9, 0.999)).
        eps (float, optional): added for numerical stability (default: 1e-8).
        weight_decay (float, optional): L2 penalty (default: 0).
        foreach, differentiable, capturable: accepted and kept in the param groups.
        maximize (bool, optional): maximize the objective instead of minimizing (default: False).
    """

    def __init__(self, params: ParamsT, lr: float | Tensor = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, foreach: bool | None = None, *, maximize: bool = False,
                 differentiable: bool = False, capturable: bool = False) -> None:  # fmt: skip
        _check_betas(lr, betas, eps, weight_decay)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "foreach": foreach, "maximize": maximize, "differentiable": differentiable,
                    "capturable": capturable}  # fmt: skip
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        r"""Perform one optimization step; ``closure`` re-evaluates the model and returns the loss."""
        loss = self._closure(closure)
        for group in self.param_groups:
            lr, eps, wd = _scalar(group["lr"]), group["eps"], group["weight_decay"]
            (b1, b2), maximize = group["betas"], group["maximize"]
            for p in group["params"]:
                if p._grad is None:
                    continue
                xp = array_namespace(p._array)
                state = self._param_state(p, exp_avg=0, exp_inf=0)
                step_arr = state["step"]._array
                step_arr += 1
                clr = lr / (1 - b1 ** float(step_arr))

                def update(p_, g, m, u, t0, t1, xp: Any = xp, clr: float = clr) -> None:
                    g = _grad(g, p_, wd, maximize, t0)
                    xp.subtract(g, m, out=t1)  # m.lerp_(g, 1 - b1)
                    xp.multiply(t1, 1 - b1, out=t1)
                    xp.add(m, t1, out=m)
                    xp.multiply(u, b2, out=u)
                    xp.abs(g, out=t1)
                    xp.add(t1, eps, out=t1)
                    xp.maximum(u, t1, out=u)
                    xp.divide(m, u, out=t1)
                    xp.multiply(t1, -clr, out=t1)
                    xp.add(p_, t1, out=p_)

                arrays = [p._array, p._grad._array, state["exp_avg"]._array, state["exp_inf"]._array]  # noqa: E501
                self._chunked(update, arrays, 2)
                p._bump()
        return loss

"""``Adadelta``: an adaptive learning rate from running averages of squared gradients and updates."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._device import array_namespace
from .._tensor import Tensor
from .optimizer import Optimizer, ParamsT, _check_lr, _grad, _scalar

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    r"""Adadelta: :math:`\Delta_t = \sqrt{u_{t-1} + \epsilon} / \sqrt{v_t + \epsilon}\; g_t`, :math:`\theta_t = \theta_{t-1} - \gamma \Delta_t`.

    :math:`v` averages :math:`g^2` and :math:`u` averages :math:`\Delta^2`, both with factor ``rho``.

    Args:
        params (iterable): parameters or named parameters to optimize, or param group dicts.
        lr (float, Tensor, optional): coefficient that scales delta (default: 1.0).
        rho (float, optional): running-average coefficient (default: 0.9).
        eps (float, optional): added for numerical stability (default: 1e-6).
        weight_decay (float, optional): L2 penalty (default: 0).
        foreach, capturable, differentiable: accepted and kept in the param groups.
        maximize (bool, optional): maximize the objective instead of minimizing (default: False).
    """

    def __init__(self, params: ParamsT, lr: float | Tensor = 1.0, rho: float = 0.9,
                 eps: float = 1e-6, weight_decay: float = 0, foreach: bool | None = None, *,
                 capturable: bool = False, maximize: bool = False,
                 differentiable: bool = False) -> None:  # fmt: skip
        _check_lr(lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        if not eps >= 0.0:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not weight_decay >= 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize, "capturable": capturable, "foreach": foreach,
                    "differentiable": differentiable}  # fmt: skip
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        r"""Perform one optimization step; ``closure`` re-evaluates the model and returns the loss."""
        loss = self._closure(closure)
        for group in self.param_groups:
            lr, rho, eps = _scalar(group["lr"]), group["rho"], group["eps"]
            wd, maximize = group["weight_decay"], group["maximize"]
            for p in group["params"]:
                if p._grad is None:
                    continue
                xp = array_namespace(p._array)
                state = self._param_state(p, square_avg=0, acc_delta=0)
                state["step"]._array += 1

                def update(p_, g, sq, acc, t0, t1, t2, xp: Any = xp) -> None:
                    g = _grad(g, p_, wd, maximize, t0)
                    xp.multiply(sq, rho, out=sq)
                    xp.multiply(g, g, out=t1)
                    xp.multiply(t1, 1 - rho, out=t1)
                    xp.add(sq, t1, out=sq)
                    xp.add(sq, eps, out=t1)
                    xp.sqrt(t1, out=t1)  # std
                    xp.add(acc, eps, out=t2)
                    xp.sqrt(t2, out=t2)
                    xp.divide(t2, t1, out=t2)
                    xp.multiply(t2, g, out=t2)  # delta
                    xp.multiply(acc, rho, out=acc)
                    xp.multiply(t2, t2, out=t1)
                    xp.multiply(t1, 1 - rho, out=t1)
                    xp.add(acc, t1, out=acc)
                    xp.multiply(t2, -lr, out=t2)
                    xp.add(p_, t2, out=p_)

                arrays = [p._array, p._grad._array, state["square_avg"]._array, state["acc_delta"]._array]  # noqa: E501
                self._chunked(update, arrays, 3)
                p._bump()
        return loss

"""``RMSprop``: divide the gradient by a running root-mean-square (optionally centered, with momentum)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._device import array_namespace
from .._tensor import Tensor
from .optimizer import Optimizer, ParamsT, _check_lr, _grad, _scalar

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    r"""RMSprop: :math:`v_t = \alpha v_{t-1} + (1 - \alpha) g_t^2`, :math:`\theta_t = \theta_{t-1} - \gamma\, g_t / (\sqrt{v_t} + \epsilon)`.

    ``centered`` subtracts the squared running mean of the gradient from :math:`v_t`;
    ``momentum`` accumulates :math:`g_t / (\sqrt{v_t} + \epsilon)` in a buffer first.

    Args:
        params (iterable): parameters or named parameters to optimize, or param group dicts.
        lr (float, Tensor, optional): learning rate (default: 1e-2).
        alpha (float, optional): smoothing constant (default: 0.99).
        eps (float, optional): added to the denominator (default: 1e-8).
        weight_decay (float, optional): L2 penalty (default: 0).
        momentum (float, optional): momentum factor (default: 0).
        centered (bool, optional): normalize by an estimate of the gradient's variance.
        capturable, foreach, differentiable: accepted and kept in the param groups.
        maximize (bool, optional): maximize the objective instead of minimizing (default: False).
    """

    def __init__(self, params: ParamsT, lr: float | Tensor = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0, momentum: float = 0,
                 centered: bool = False, capturable: bool = False, foreach: bool | None = None,
                 maximize: bool = False, differentiable: bool = False) -> None:  # fmt: skip
        _check_lr(lr)
        if not eps >= 0.0:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not momentum >= 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not weight_decay >= 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not alpha >= 0.0:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps,
                    "centered": centered, "weight_decay": weight_decay, "capturable": capturable,
                    "foreach": foreach, "maximize": maximize, "differentiable": differentiable}  # fmt: skip
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        r"""Perform one optimization step; ``closure`` re-evaluates the model and returns the loss."""
        loss = self._closure(closure)
        for group in self.param_groups:
            lr, alpha, eps, wd = _scalar(group["lr"]), group["alpha"], group["eps"], group["weight_decay"]  # noqa: E501
            mom, centered, maximize = group["momentum"], group["centered"], group["maximize"]
            for p in group["params"]:
                if p._grad is None:
                    continue
                xp = array_namespace(p._array)
                state = self._param_state(p, square_avg=0, momentum_buffer=0 if mom > 0 else None,
                                          grad_avg=0 if centered else None)  # fmt: skip
                state["step"]._array += 1
                arrays = [p._array, p._grad._array, state["square_avg"]._array]
                arrays += [state["momentum_buffer"]._array] if mom > 0 else []
                arrays += [state["grad_avg"]._array] if centered else []

                def update(p_, g, sq, *rest: Any, xp: Any = xp) -> None:
                    *extra, t0, t1 = rest
                    g = _grad(g, p_, wd, maximize, t0)
                    xp.multiply(sq, alpha, out=sq)
                    xp.multiply(g, g, out=t1)
                    xp.multiply(t1, 1 - alpha, out=t1)
                    xp.add(sq, t1, out=sq)
                    if centered:
                        ga = extra[-1]
                        xp.subtract(g, ga, out=t1)  # ga.lerp_(g, 1 - alpha)
                        xp.multiply(t1, 1 - alpha, out=t1)
                        xp.add(ga, t1, out=ga)
                        xp.multiply(ga, ga, out=t1)
                        xp.subtract(sq, t1, out=t1)
                        xp.sqrt(t1, out=t1)
                    else:
                        xp.sqrt(sq, out=t1)
                    xp.add(t1, eps, out=t1)
                    xp.divide(g, t1, out=t1)
                    if mom > 0:
                        buf = extra[0]
                        xp.multiply(buf, mom, out=buf)
                        xp.add(buf, t1, out=buf)
                        xp.multiply(buf, -lr, out=t1)
                    else:
                        xp.multiply(t1, -lr, out=t1)
                    xp.add(p_, t1, out=p_)

                self._chunked(update, arrays, 2)
                p._bump()
        return loss

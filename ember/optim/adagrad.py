"""``Adagrad``: per-coordinate learning rates from the sum of squared gradients."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._device import array_namespace
from .._tensor import Tensor
from .optimizer import Optimizer, ParamsT, _check_fused, _check_lr, _grad, _scalar

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    r"""Adagrad: :math:`s_t = s_{t-1} + g_t^2`, :math:`\theta_t = \theta_{t-1} - \tilde\gamma\, g_t / (\sqrt{s_t} + \epsilon)`.

    :math:`\tilde\gamma = \gamma / (1 + (t - 1)\,\eta)` with ``lr_decay`` :math:`\eta`. Unlike
    the other optimizers, the state is created in the constructor, as torch does.

    Args:
        params (iterable): parameters or named parameters to optimize, or param group dicts.
        lr (float, Tensor, optional): learning rate (default: 1e-2).
        lr_decay (float, optional): learning rate decay (default: 0).
        weight_decay (float, optional): L2 penalty (default: 0).
        initial_accumulator_value (float, optional): initial value of the sum (default: 0).
        eps (float, optional): added to the denominator (default: 1e-10).
        foreach, differentiable, fused: accepted and kept in the param groups.
        maximize (bool, optional): maximize the objective instead of minimizing (default: False).
    """

    def __init__(self, params: ParamsT, lr: float | Tensor = 1e-2, lr_decay: float = 0,
                 weight_decay: float = 0, initial_accumulator_value: float = 0,
                 eps: float = 1e-10, foreach: bool | None = None, *, maximize: bool = False,
                 differentiable: bool = False, fused: bool | None = None) -> None:  # fmt: skip
        _check_lr(lr)
        if not lr_decay >= 0.0:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not weight_decay >= 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not initial_accumulator_value >= 0.0:
            raise ValueError(f"Invalid initial_accumulator_value value: {initial_accumulator_value}")  # noqa: E501
        if not eps >= 0.0:
            raise ValueError(f"Invalid epsilon value: {eps}")
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable, "fused": fused}  # fmt: skip
        super().__init__(params, defaults)
        _check_fused(fused, foreach, differentiable)
        for group in self.param_groups:
            for p in group["params"]:
                init = group["initial_accumulator_value"]
                if p._array.dtype.kind == "c":
                    init = complex(init, init)  # torch: the real and the imaginary part both start there
                self._param_state(p, sum=init)

    def share_memory(self) -> None:
        r"""A no-op kept for torch compatibility (ember has no shared-memory tensors)."""

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        r"""Perform one optimization step; ``closure`` re-evaluates the model and returns the loss."""
        loss = self._closure(closure)
        for group in self.param_groups:
            lr, eps, wd = _scalar(group["lr"]), group["eps"], group["weight_decay"]
            lr_decay, maximize = group["lr_decay"], group["maximize"]
            for p in group["params"]:
                if p._grad is None:
                    continue
                xp = array_namespace(p._array)
                state = self.state[p]
                step_arr = state["step"]._array
                step_arr += 1
                clr = lr / (1 + (float(step_arr) - 1) * lr_decay)

                def update(p_, g, s, t0, t1, xp: Any = xp, clr: float = clr) -> None:
                    g = _grad(g, p_, wd, maximize, t0)
                    xp.multiply(g, g, out=t1)
                    xp.add(s, t1, out=s)
                    xp.sqrt(s, out=t1)
                    xp.add(t1, eps, out=t1)
                    xp.divide(g, t1, out=t1)
                    xp.multiply(t1, -clr, out=t1)
                    xp.add(p_, t1, out=p_)

                self._chunked(update, [p._array, p._grad._array, state["sum"]._array], 2)
                p._bump()
        return loss

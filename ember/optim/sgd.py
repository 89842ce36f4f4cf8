"""``SGD``: stochastic gradient descent with momentum, dampening, Nesterov and weight decay."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._device import array_namespace
from .._tensor import Tensor, _wrap
from .optimizer import Optimizer, ParamsT, _check_fused, _grad, _scalar

__all__ = ["SGD"]


class SGD(Optimizer):
    r"""Stochastic gradient descent (optionally with momentum).

    .. math::
        b_t = \mu b_{t-1} + (1 - \tau) g_t, \qquad \theta_t = \theta_{t-1} - \gamma b_t

    (with Nesterov, :math:`g_t + \mu b_t` replaces :math:`b_t`; the first step sets :math:`b_1 = g_1`).

    Args:
        params (iterable): parameters or named parameters to optimize, or param group dicts.
        lr (float, Tensor, optional): learning rate (default: 1e-3).
        momentum (float, optional): momentum factor (default: 0).
        dampening (float, optional): dampening for momentum (default: 0).
        weight_decay (float, optional): L2 penalty (default: 0).
        nesterov (bool, optional): use Nesterov momentum (default: False).
        maximize (bool, optional): maximize the objective instead of minimizing (default: False).
        foreach, differentiable, fused: accepted and kept in the param groups, as in torch; the
            update is the same NumPy/CuPy in-place loop either way.

    Examples::

        >>> import ember
        >>> w = ember.tensor([1.0, 2.0], requires_grad=True)
        >>> opt = ember.optim.SGD([w], lr=0.1, momentum=0.9)
        >>> (w * w).sum().backward()
        >>> _ = opt.step()
        >>> w
        tensor([0.8000, 1.6000], requires_grad=True)
    """

    def __init__(self, params: ParamsT, lr: float | Tensor = 1e-3, momentum: float = 0,
                 dampening: float = 0, weight_decay: float | Tensor = 0, nesterov: bool = False,
                 *, maximize: bool = False, foreach: bool | None = None,
                 differentiable: bool = False, fused: bool | None = None) -> None:  # fmt: skip
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if _scalar(lr) < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if _scalar(weight_decay) < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening,
                    "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize,
                    "foreach": foreach, "differentiable": differentiable, "fused": fused}  # fmt: skip
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)
        _check_fused(fused, foreach, differentiable)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        r"""Perform one optimization step; ``closure`` re-evaluates the model and returns the loss."""
        loss = self._closure(closure)
        for group in self.param_groups:
            lr, wd, mom = _scalar(group["lr"]), _scalar(group["weight_decay"]), group["momentum"]
            damp, nesterov, maximize = group["dampening"], group["nesterov"], group["maximize"]
            for p in group["params"]:
                if p._grad is None:
                    continue
                xp = array_namespace(p._array)
                arrays = [p._array, p._grad._array]
                first = False
                if mom != 0:
                    state = self.state[p]
                    if state.get("momentum_buffer") is None:
                        state["momentum_buffer"] = _wrap(xp.empty_like(p._array))
                        first = True
                    arrays.append(state["momentum_buffer"]._array)

                def update(p_, g, *rest: Any, first: bool = first, xp: Any = xp) -> None:
                    *buf, t0, t1 = rest
                    g = _grad(g, p_, wd, maximize, t0)
                    if buf:
                        (b,) = buf
                        if first:
                            xp.copyto(b, g)
                        else:
                            xp.multiply(b, mom, out=b)
                            if damp == 0:
                                xp.add(b, g, out=b)
                            else:
                                xp.multiply(g, 1 - damp, out=t1)
                                xp.add(b, t1, out=b)
                        if nesterov:
                            xp.multiply(b, mom, out=t1)
                            g = xp.add(t1, g, out=t1)
                        else:
                            g = b
                    xp.multiply(g, -lr, out=t1)
                    xp.add(p_, t1, out=p_)

                self._chunked(update, arrays, 2)
                p._bump()
        return loss

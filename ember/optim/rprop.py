"""``Rprop``: resilient backpropagation, per-coordinate step sizes driven by gradient signs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._device import array_namespace
from .._tensor import Tensor
from .optimizer import Optimizer, ParamsT, _check_lr, _grad, _scalar

__all__ = ["Rprop"]


class Rprop(Optimizer):
    r"""Rprop: each coordinate's step size grows by ``etas[1]`` while its gradient keeps its sign
    and shrinks by ``etas[0]`` when the sign flips (that step then skips the update);
    :math:`\theta_t = \theta_{t-1} - \eta_t\,\mathrm{sign}(g_t)`.

    Args:
        params (iterable): parameters or named parameters to optimize, or param group dicts.
        lr (float, Tensor, optional): initial step size (default: 1e-2).
        etas (Tuple[float, float], optional): (decrease, increase) factors (default: (0.5, 1.2)).
        step_sizes (Tuple[float, float], optional): min and max step size (default: (1e-6, 50)).
        capturable, foreach, differentiable: accepted and kept in the param groups.
        maximize (bool, optional): maximize the objective instead of minimizing (default: False).
    """

    def __init__(self, params: ParamsT, lr: float | Tensor = 1e-2,
                 etas: tuple[float, float] = (0.5, 1.2),
                 step_sizes: tuple[float, float] = (1e-6, 50), *, capturable: bool = False,
                 foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False) -> None:  # fmt: skip
        _check_lr(lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = {"lr": lr, "etas": etas, "step_sizes": step_sizes, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable,
                    "capturable": capturable}  # fmt: skip
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        r"""Perform one optimization step; ``closure`` re-evaluates the model and returns the loss."""
        loss = self._closure(closure)
        for group in self.param_groups:
            (eta_minus, eta_plus), (lo, hi) = group["etas"], group["step_sizes"]
            maximize = group["maximize"]
            for p in group["params"]:
                if p._grad is None:
                    continue
                xp = array_namespace(p._array)
                state = self._param_state(p, prev=0, step_size=_scalar(group["lr"]))
                state["step"]._array += 1

                def update(p_, g, prev, size, t0, t1, t2, xp: Any = xp) -> None:
                    g = _grad(g, p_, 0, maximize, t2)
                    xp.multiply(g, prev, out=t0)
                    xp.sign(t0, out=t0)
                    t1.fill(1)
                    xp.copyto(t1, eta_plus, where=t0 > 0)
                    flipped = t0 < 0
                    xp.copyto(t1, eta_minus, where=flipped)
                    xp.multiply(size, t1, out=size)
                    xp.clip(size, lo, hi, out=size)
                    if g is not t2:
                        xp.copyto(t2, g)
                    xp.copyto(t2, 0, where=flipped)  # a flipped sign skips this step
                    xp.copyto(prev, t2)
                    xp.sign(t2, out=t2)
                    xp.multiply(t2, size, out=t2)
                    xp.subtract(p_, t2, out=p_)

                arrays = [p._array, p._grad._array, state["prev"]._array, state["step_size"]._array]  # noqa: E501
                self._chunked(update, arrays, 3)
                p._bump()
        return loss

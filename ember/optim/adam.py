"""``Adam``: adaptive moment estimation (with AMSGrad and optional decoupled weight decay)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._device import array_namespace
from .._tensor import Tensor
from .optimizer import Optimizer, ParamsT, _check_fused, _check_lr, _grad, _scalar

__all__ = ["Adam"]


def _check_betas(lr: Any, betas: Any, eps: float, weight_decay: float) -> None:
    """torch's argument checks shared by the Adam family."""
    _check_lr(lr)
    if not eps >= 0.0:
        raise ValueError(f"Invalid epsilon value: {eps}")
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
    if not weight_decay >= 0.0:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")


def _moments(xp: Any, g: Any, m: Any, v: Any, b1: float, b2: float, tmp: Any) -> None:
    """Adam's moment updates in place: ``m.lerp_(g, 1 - b1)``, ``v.mul_(b2).addcmul_(g, g, 1 - b2)``.

    ``tmp`` is scratch of ``g``'s shape; the arithmetic follows the order of torch's
    single-tensor implementation.
    """
    xp.subtract(g, m, out=tmp)
    xp.multiply(tmp, 1 - b1, out=tmp)
    xp.add(m, tmp, out=m)
    xp.multiply(v, b2, out=v)
    xp.multiply(g, g, out=tmp)
    xp.multiply(tmp, 1 - b2, out=tmp)
    xp.add(v, tmp, out=v)


class Adam(Optimizer):
    r"""Adam: :math:`\theta_t = \theta_{t-1} - \gamma\,\hat m_t / (\sqrt{\hat v_t} + \epsilon)`.

    :math:`m` and :math:`v` are running averages of the gradient and its square (``betas``),
    bias-corrected by :math:`1 - \beta^t`. ``amsgrad`` uses the running maximum of :math:`v`.

    Args:
        params (iterable): parameters or named parameters to optimize, or param group dicts.
        lr (float, Tensor, optional): learning rate (default: 1e-3).
        betas (Tuple[float, float], optional): averaging coefficients (default: (0.9, 0.999)).
        eps (float, optional): added to the denominator (default: 1e-8).
        weight_decay (float, optional): weight decay (default: 0), an L2 penalty added to the
            gradient unless ``decoupled_weight_decay`` (then AdamW's :math:`\theta \mathrel{*}= 1 - \gamma\lambda`).
        amsgrad (bool, optional): use the AMSGrad variant (default: False).
        maximize (bool, optional): maximize the objective instead of minimizing (default: False).
        foreach, capturable, differentiable, fused: accepted and kept in the param groups.
        decoupled_weight_decay (bool, optional): decay the weights directly (default: False).
    """

    def __init__(self, params: ParamsT, lr: float | Tensor = 1e-3,
                 betas: tuple[float | Tensor, float | Tensor] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, capturable: bool = False, differentiable: bool = False,
                 fused: bool | None = None, decoupled_weight_decay: bool = False) -> None:  # fmt: skip
        _check_betas(lr, betas, eps, weight_decay)
        if not (all(isinstance(b, float) for b in betas) or all(isinstance(b, Tensor) for b in betas)):  # noqa: E501
            raise ValueError("betas must be either both floats or both Tensors")
        defaults = {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay,
                    "amsgrad": amsgrad, "maximize": maximize, "foreach": foreach,
                    "capturable": capturable, "differentiable": differentiable, "fused": fused,
                    "decoupled_weight_decay": decoupled_weight_decay}  # fmt: skip
        super().__init__(params, defaults)
        _check_fused(fused, foreach, differentiable)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        r"""Perform one optimization step; ``closure`` re-evaluates the model and returns the loss."""
        loss = self._closure(closure)
        for group in self.param_groups:
            lr, eps, wd = _scalar(group["lr"]), group["eps"], group["weight_decay"]
            b1, b2 = (_scalar(b) for b in group["betas"])
            amsgrad, maximize = group["amsgrad"], group["maximize"]
            decoupled = group["decoupled_weight_decay"]
            for p in group["params"]:
                if p._grad is None:
                    continue
                xp = array_namespace(p._array)
                state = self._param_state(p, exp_avg=0, exp_avg_sq=0,
                                          max_exp_avg_sq=0 if amsgrad else None)  # fmt: skip
                step_arr = state["step"]._array
                step_arr += 1
                step = float(step_arr)
                bc1, bc2 = 1 - b1**step, 1 - b2**step
                step_size, bc2_sqrt = lr / bc1, bc2**0.5
                arrays = [p._array, p._grad._array, state["exp_avg"]._array, state["exp_avg_sq"]._array]  # noqa: E501
                if amsgrad:
                    arrays.append(state["max_exp_avg_sq"]._array)

                def update(p_, g, m, v, *rest: Any, xp: Any = xp) -> None:
                    *vmax, t0, t1 = rest
                    if wd != 0 and decoupled:
                        xp.multiply(p_, 1 - lr * wd, out=p_)
                    g = _grad(g, p_, 0 if decoupled else wd, maximize, t0)
                    _moments(xp, g, m, v, b1, b2, t1)
                    if vmax:
                        v = xp.maximum(vmax[0], v, out=vmax[0])
                    # perf: m / (sqrt(v) / bc2_sqrt + eps) * step_size as
                    # m / (sqrt(v) + eps * bc2_sqrt) * (step_size * bc2_sqrt): one pass fewer
                    xp.sqrt(v, out=t1)
                    xp.add(t1, eps * bc2_sqrt, out=t1)
                    xp.divide(m, t1, out=t1)
                    xp.multiply(t1, -step_size * bc2_sqrt, out=t1)
                    xp.add(p_, t1, out=p_)

                self._chunked(update, arrays, 2)
                p._bump()
        return loss

"""``GradScaler``: dynamic loss scaling for float16 training, with torch's skip/grow/backoff rules.

Each iteration: ``scale(loss).backward()`` multiplies the loss by the scale; ``step(optimizer)``
unscales the gradients in place, and runs ``optimizer.step()`` only if none is inf/NaN;
``update()`` halves the scale after a skipped step and doubles it after ``growth_interval``
clean steps in a row. Per optimizer, a stage (:class:`OptState`) catches calls out of order.
"""

from __future__ import annotations

import warnings
from collections import defaultdict
from enum import Enum
from typing import Any

import numpy as np

from ember import _dtype as D
from ember._tensor import Tensor, _wrap

__all__ = ["OptState", "GradScaler"]


class OptState(Enum):
    r"""Where an optimizer is in the current iteration."""

    READY = 0
    UNSCALED = 1
    STEPPED = 2


def _fresh_state() -> dict[str, Any]:
    return {"stage": OptState.READY, "found_inf_per_device": {}}


_NO_SCALE_FIX = (
    "This may indicate your script did not use scaler.scale(loss or outputs) earlier in the "
    "iteration."
)
_CUDA_MISSING = "torch.cuda.amp.GradScaler is enabled, but CUDA is not available.  Disabling."


class GradScaler:
    r"""Scale the loss so that float16 gradients do not underflow, skipping steps that overflow.

    Args:
        device (str): device type of the scale tensor. Default: ``"cuda"``
        init_scale (float): initial scale factor. Default: ``2.**16``
        growth_factor (float): factor the scale grows by after ``growth_interval`` clean steps.
        backoff_factor (float): factor the scale shrinks by after a step with inf/NaN gradients.
        growth_interval (int): clean steps between two growths. Default: ``2000``
        enabled (bool): ``False`` makes every method a pass-through. Default: ``True``

    Examples::

        >>> import ember
        >>> scaler = ember.amp.GradScaler("cpu", init_scale=1024.0)
        >>> scaler.scale(ember.tensor(2.0))
        tensor(2048.)
    """

    def __init__(self, device: str = "cuda", init_scale: float = 2.0**16, growth_factor: float = 2.0,
                 backoff_factor: float = 0.5, growth_interval: int = 2000, enabled: bool = True) -> None:  # noqa: E501  # fmt: skip
        from ember._device import cuda_available  # noqa: PLC0415

        self._device = device
        self._enabled = enabled
        if device == "cuda" and enabled and not cuda_available():
            warnings.warn(_CUDA_MISSING, stacklevel=2)
            self._enabled = False
        if self._enabled:
            if growth_factor <= 1.0:
                raise AssertionError("The growth factor must be > 1.0.")
            if backoff_factor >= 1.0:
                raise AssertionError("The backoff factor must be < 1.0.")
            self._init_scale = init_scale
            self._scale: Tensor | None = None  # made on the first scale(), on the loss's device
            self._growth_factor = growth_factor
            self._backoff_factor = backoff_factor
            self._growth_interval = growth_interval
            self._init_growth_tracker = 0
            self._growth_tracker: Tensor | None = None
            self._per_optimizer_states: dict[int, dict[str, Any]] = defaultdict(_fresh_state)

    def _check_scale_growth_tracker(self, funcname: str) -> tuple[Tensor, Tensor]:
        if self._scale is None:
            raise AssertionError(f"Attempted {funcname} but _scale is None.  " + _NO_SCALE_FIX)
        if self._growth_tracker is None:
            raise AssertionError(f"Attempted {funcname} but _growth_tracker is None.  " + _NO_SCALE_FIX)  # noqa: E501
        return self._scale, self._growth_tracker

    def _lazy_init_scale_growth_tracker(self, dev: Any) -> None:
        from ember import full  # noqa: PLC0415

        self._scale = full((), self._init_scale, dtype=D.float32, device=dev)
        self._growth_tracker = full((), self._init_growth_tracker, dtype=D.int32, device=dev)

    # --- the iteration: scale -> (unscale_) -> step -> update -------------------------------
    def scale(self, outputs: Any) -> Any:
        r"""Multiply a tensor (or an iterable of tensors) by the scale factor."""
        if not self._enabled:
            return outputs
        if isinstance(outputs, Tensor):
            if self._scale is None:
                self._lazy_init_scale_growth_tracker(outputs.device)
            return outputs * self._scale.to(device=outputs.device)
        return self._scale_iterable(outputs)

    def _scale_iterable(self, val: Any) -> Any:
        if isinstance(val, Tensor):
            if self._scale is None:
                self._lazy_init_scale_growth_tracker(val.device)
            return val * self._scale.to(device=val.device)
        if hasattr(val, "__iter__"):
            out = map(self._scale_iterable, val)
            return type(val)(out) if isinstance(val, list | tuple) else out
        raise ValueError("outputs must be a Tensor or an iterable of Tensors")

    def _unscale_grads_(self, optimizer: Any, inv_scale: float, allow_fp16: bool) -> dict[Any, Tensor]:  # noqa: E501
        """Multiply every gradient by ``inv_scale`` in place; a 0/1 flag per device says inf/NaN."""
        found: dict[Any, list[bool]] = {}
        for group in optimizer.param_groups:
            for param in group["params"]:
                if not isinstance(param, Tensor):
                    raise AssertionError(f"expected param to be torch.Tensor, got {type(param).__name__}")  # noqa: E501
                grad = param.grad
                if grad is None:
                    continue
                if not allow_fp16 and grad.dtype is D.float16:
                    raise ValueError("Attempting to unscale FP16 gradients.")
                if grad.is_sparse:
                    grad = grad._values()
                flag = found.setdefault(grad.device, [False])
                a = grad._array
                xp = _xp(a)
                # torch: the gradients are unscaled even when one is non-finite
                if not flag[0] and not bool(xp.isfinite(a).all()):
                    flag[0] = True
                if inv_scale != 1.0:
                    xp.multiply(a, a.dtype.type(inv_scale), out=a)
                    grad._bump()
        return {dev: _found_tensor(f[0], dev) for dev, f in found.items()}

    def unscale_(self, optimizer: Any) -> None:
        r"""Divide ``optimizer``'s gradients by the scale in place (e.g. before gradient clipping)."""
        if not self._enabled:
            return
        self._check_scale_growth_tracker("unscale_")
        state = self._per_optimizer_states[id(optimizer)]
        if state["stage"] is OptState.UNSCALED:
            raise RuntimeError("unscale_() has already been called on this optimizer since the last update().")  # noqa: E501
        if state["stage"] is OptState.STEPPED:
            raise RuntimeError("unscale_() is being called after step().")
        # torch: the reciprocal is taken in float64, then rounded to float32
        inv_scale = float(D.to_np(D.float32).type(1.0 / float(self._scale.item())))
        state["found_inf_per_device"] = self._unscale_grads_(optimizer, inv_scale, False)
        state["stage"] = OptState.UNSCALED

    def step(self, optimizer: Any, *args: Any, **kwargs: Any) -> Any:
        r"""Unscale (if not done yet), then ``optimizer.step()`` unless a gradient is inf/NaN."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError("Closure use is not currently supported if GradScaler is enabled.")
        self._check_scale_growth_tracker("step")
        state = self._per_optimizer_states[id(optimizer)]
        if state["stage"] is OptState.STEPPED:
            raise RuntimeError("step() has already been called since the last update().")
        if state["stage"] is OptState.READY:
            self.unscale_(optimizer)
        if not state["found_inf_per_device"]:
            raise AssertionError("No inf checks were recorded for this optimizer.")
        retval = None
        if not sum(v.item() for v in state["found_inf_per_device"].values()):
            retval = optimizer.step(*args, **kwargs)
        state["stage"] = OptState.STEPPED
        return retval

    def update(self, new_scale: float | Tensor | None = None) -> None:
        r"""Back off the scale after a skipped step, grow it after ``growth_interval`` clean ones."""
        if not self._enabled:
            return
        scale, tracker = self._check_scale_growth_tracker("update")
        if new_scale is not None:
            self._set_scale(scale, new_scale)
        else:
            found = [f.item() for st in self._per_optimizer_states.values()
                     for f in st["found_inf_per_device"].values()]  # fmt: skip
            if not found:
                raise AssertionError("No inf checks were recorded prior to update.")
            self._update_scale(scale, tracker, sum(found) > 0)
        self._per_optimizer_states = defaultdict(_fresh_state)

    def _set_scale(self, scale: Tensor, new_scale: float | Tensor) -> None:
        if isinstance(new_scale, float):
            scale.fill_(new_scale)
            return
        reason = ("new_scale should be a float or a 1-element torch.cuda.FloatTensor or "
                  "torch.FloatTensor with requires_grad=False.")  # fmt: skip
        if new_scale.device.type != self._device or new_scale.numel() != 1 or new_scale.requires_grad:  # noqa: E501
            raise AssertionError(reason)
        scale.copy_(new_scale)

    def _update_scale(self, scale: Tensor, tracker: Tensor, found_inf: bool) -> None:
        """torch's ``_amp_update_scale_``, on the 0-d scale and growth-tracker tensors."""
        s, t = scale._array, tracker._array
        if found_inf:
            s[()] = s * s.dtype.type(self._backoff_factor)
            t[()] = 0
            return
        successful = int(t) + 1
        if successful == self._growth_interval:
            with np.errstate(over="ignore"):  # an overflowing growth is dropped, not an error
                grown = s * s.dtype.type(self._growth_factor)
            if bool(_xp(grown).isfinite(grown)):
                s[()] = grown
            t[()] = 0
        else:
            t[()] = successful

    # --- accessors and checkpointing ----------------------------------------------------------
    def get_scale(self) -> float:
        r"""The current scale as a Python float (1.0 when disabled)."""
        if not self._enabled:
            return 1.0
        return self._init_scale if self._scale is None else self._scale.item()

    def get_growth_factor(self) -> float:
        return self._growth_factor

    def set_growth_factor(self, new_factor: float) -> None:
        self._growth_factor = new_factor

    def get_backoff_factor(self) -> float:
        return self._backoff_factor

    def set_backoff_factor(self, new_factor: float) -> None:
        self._backoff_factor = new_factor

    def get_growth_interval(self) -> int:
        return self._growth_interval

    def set_growth_interval(self, new_interval: int) -> None:
        self._growth_interval = new_interval

    def _get_growth_tracker(self) -> int:
        if not self._enabled:
            return 0
        return self._init_growth_tracker if self._growth_tracker is None else self._growth_tracker.item()  # noqa: E501

    def is_enabled(self) -> bool:
        r"""Whether this scaler scales (``False`` after ``enabled=False`` or without CUDA)."""
        return self._enabled

    def state_dict(self) -> dict[str, Any]:
        r"""``scale``, the factors, the interval and the growth tracker (``{}`` when disabled)."""
        if not self._enabled:
            return {}
        return {"scale": self.get_scale(), "growth_factor": self._growth_factor,
                "backoff_factor": self._backoff_factor, "growth_interval": self._growth_interval,
                "_growth_tracker": self._get_growth_tracker()}  # fmt: skip

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        r"""Restore the state saved by :meth:`state_dict` (a no-op when disabled)."""
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise RuntimeError(
                "The source state dict is empty, possibly because it was saved from a disabled "
                "instance of GradScaler."
            )
        self._init_scale = state_dict["scale"]
        if self._scale is not None:
            self._scale.fill_(state_dict["scale"])
        self._growth_factor = state_dict["growth_factor"]
        self._backoff_factor = state_dict["backoff_factor"]
        self._growth_interval = state_dict["growth_interval"]
        self._init_growth_tracker = state_dict["_growth_tracker"]
        if self._growth_tracker is not None:
            self._growth_tracker.fill_(state_dict["_growth_tracker"])

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        if self._enabled:
            if len(self._per_optimizer_states) != 0:
                raise AssertionError(
                    "A GradScaler instance may only be pickled at the beginning of an iteration, "
                    "or at the end after scaler.update()."
                )
            state["_init_scale"] = self.get_scale()
            state["_init_growth_tracker"] = self._get_growth_tracker()
            state["_scale"] = None
            state["_growth_tracker"] = None
            state["_per_optimizer_states"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        if self._enabled:
            self._per_optimizer_states = defaultdict(_fresh_state)


def _xp(a: Any) -> Any:
    from ember._device import array_namespace  # noqa: PLC0415

    return array_namespace(a)


def _found_tensor(found: bool, dev: Any) -> Tensor:
    from ember._device import to_device  # noqa: PLC0415

    return _wrap(to_device(np.array(1.0 if found else 0.0, np.float32), dev))

"""``Optimizer``: the base class every optimizer builds on (param groups, state, state dicts, hooks)."""

from __future__ import annotations

import functools
import threading
import warnings
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable
from copy import deepcopy
from itertools import chain
from typing import Any

import numpy as np

from .._device import array_namespace
from .._tensor import Tensor, _wrap, typename
from .._threads import GRAIN, parallel_for
from ..autograd.grad_mode import enable_grad
from ..utils.hooks import RemovableHandle

__all__ = ["Optimizer", "register_optimizer_step_pre_hook", "register_optimizer_step_post_hook",
           "required"]  # fmt: skip

ParamsT = Iterable[Tensor] | Iterable[dict[str, Any]] | Iterable[tuple[str, Tensor]]

_global_optimizer_pre_hooks: OrderedDict[int, Callable[..., Any]] = OrderedDict()
_global_optimizer_post_hooks: OrderedDict[int, Callable[..., Any]] = OrderedDict()

# perf: big parameters are updated in flat chunks of this many elements, so that the dozen
# element-wise passes of one update run on data that stays in the CPU cache, and the scratch
# buffers are chunk-sized rather than parameter-sized.
_CHUNK = 1 << 16

_SET_PARAMS_MSG = (
    "optimizer parameters need to be organized in ordered collections, but the ordering of "
    "tensors in sets will change between runs. Please use a list instead."
)
_DUPLICATE_MSG = (
    "optimizer contains a parameter group with duplicate parameters; in future, this will cause "
    "an error; see github.com/pytorch/pytorch/issues/40967 for more information"
)


class _RequiredParameter:
    """Marks a hyper-parameter that has no default and must be given in every param group."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


def register_optimizer_step_pre_hook(hook: Callable[..., Any]) -> RemovableHandle:
    r"""Register ``hook(optimizer, args, kwargs)``, run before every optimizer's ``step``."""
    handle = RemovableHandle(_global_optimizer_pre_hooks)
    _global_optimizer_pre_hooks[handle.id] = hook
    return handle


def register_optimizer_step_post_hook(hook: Callable[..., Any]) -> RemovableHandle:
    r"""Register ``hook(optimizer, args, kwargs)``, run after every optimizer's ``step``."""
    handle = RemovableHandle(_global_optimizer_post_hooks)
    _global_optimizer_post_hooks[handle.id] = hook
    return handle


def _hooked(step: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a subclass's ``step`` so the global and per-optimizer step hooks run around it."""

    @functools.wraps(step)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        self = args[0]
        for pre in chain(_global_optimizer_pre_hooks.values(), self._optimizer_step_pre_hooks.values()):  # noqa: E501
            result = pre(self, args, kwargs)
            if result is not None:
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise RuntimeError(f"{step} must return None or a tuple of (new_args, new_kwargs), but got {result}.")  # noqa: E501
                args, kwargs = result
        out = step(*args, **kwargs)
        for post in chain(self._optimizer_step_post_hooks.values(), _global_optimizer_post_hooks.values()):  # noqa: E501
            post(self, args, kwargs)
        return out

    wrapper.hooked = True  # type: ignore[attr-defined]
    return wrapper


def _scalar(x: Any) -> Any:
    """A hyper-parameter as a Python number (a 1-element Tensor ``lr`` is allowed, as in torch)."""
    return float(x.item()) if isinstance(x, Tensor) else x


def _step_tensor(value: float = 0.0) -> Tensor:
    """torch keeps the step count as a 0-d float32 CPU tensor."""
    return _wrap(np.array(value, dtype=np.float32))


def _check_lr(lr: Any) -> None:
    """torch's learning-rate checks: a Tensor ``lr`` has one element; the value is >= 0 (not NaN)."""
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    if not _scalar(lr) >= 0.0:
        raise ValueError(f"Invalid learning rate: {lr}")


def _check_fused(fused: Any, foreach: Any, differentiable: bool) -> None:
    """torch's checks of the ``fused`` flag (which selects no other code path in ember)."""
    if fused:
        if differentiable:
            raise RuntimeError("`fused` does not support `differentiable`")
        if foreach:
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")


def _grad(g: Any, p: Any, weight_decay: float, maximize: bool, buf: Any) -> Any:
    """The gradient an update uses: ``(-g if maximize else g) + weight_decay * p``, into ``buf``."""
    if weight_decay != 0:
        np_ = array_namespace(g)
        np_.multiply(p, weight_decay, out=buf)
        (np_.subtract if maximize else np_.add)(buf, g, out=buf)
        return buf
    if maximize:
        array_namespace(g).negative(g, out=buf)
        return buf
    return g


class Optimizer:
    r"""Base class for all optimizers.

    Args:
        params (iterable): an iterable of Tensors, of ``(name, Tensor)`` pairs, or of dicts (param
            groups, each with a ``"params"`` entry and optional per-group hyper-parameters).
        defaults (dict): the default hyper-parameters, used where a param group gives none.

    Subclasses implement ``step``; the parameter arrays are updated in place.
    """

    defaults: dict[str, Any]
    state: defaultdict[Tensor, Any]
    param_groups: list[dict[str, Any]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is not None and not getattr(step, "hooked", False):
            cls.step = _hooked(step)  # type: ignore[method-assign]

    def __init__(self, params: ParamsT, defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self._optimizer_step_pre_hooks: OrderedDict[int, Callable[..., Any]] = OrderedDict()
        self._optimizer_step_post_hooks: OrderedDict[int, Callable[..., Any]] = OrderedDict()
        self._optimizer_state_dict_pre_hooks: OrderedDict[int, Callable[..., Any]] = OrderedDict()
        self._optimizer_state_dict_post_hooks: OrderedDict[int, Callable[..., Any]] = OrderedDict()
        self._optimizer_load_state_dict_pre_hooks: OrderedDict[int, Callable[..., Any]] = OrderedDict()  # noqa: E501
        self._optimizer_load_state_dict_post_hooks: OrderedDict[int, Callable[..., Any]] = OrderedDict()  # noqa: E501
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or "
                "dicts, but got " + typename(params)
            )
        self.state = defaultdict(dict)
        self.param_groups = []
        groups: list[Any] = list(params)
        if len(groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # --- pickling and repr ----------------------------------------------------------------------
    def __getstate__(self) -> dict[str, Any]:
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        for name in ("step_pre", "step_post", "state_dict_pre", "state_dict_post",
                     "load_state_dict_pre", "load_state_dict_post"):  # fmt: skip
            self.__dict__.setdefault(f"_optimizer_{name}_hooks", OrderedDict())
        self.defaults.setdefault("differentiable", False)
        # Checkpoints from older versions lack newer flags; fill them from the defaults.
        for group in self.param_groups:
            for key, value in self.defaults.items():
                if value is not required:
                    group.setdefault(key, value)
            for p in group["params"]:
                s = self.state.get(p)
                if s and "step" in s and not isinstance(s["step"], Tensor):
                    s["step"] = _step_tensor(float(s["step"]))

    def __repr__(self) -> str:
        out = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            out += f"\nParameter Group {i}\n"
            out += "".join(f"    {k}: {group[k]}\n" for k in sorted(group) if k != "params")
        return out + ")"

    # --- param groups ---------------------------------------------------------------------------
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        r"""Add a param group; hyper-parameters it leaves out come from ``defaults``."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(_SET_PARAMS_MSG)
        else:
            params = list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]
        param_group["params"] = [p[1] if isinstance(p, tuple) else p for p in params]
        if names:
            if len(names) != len(params):
                raise ValueError("all optimizer params should be with/without names. Some param names are missing")  # noqa: E501
            param_group["param_names"] = names
        for p in param_group["params"]:
            if not isinstance(p, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is " + typename(p))  # noqa: E501
            if not self.defaults.get("differentiable", None) and not (p.is_leaf or p.retains_grad):  # noqa: E501
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")  # noqa: E501
            param_group.setdefault(name, default)
        params = param_group["params"]
        if len(params) != len(set(params)):
            warnings.warn(_DUPLICATE_MSG, stacklevel=3)
        seen: set[Tensor] = set()
        for group in self.param_groups:
            seen.update(group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                kind = "with names" if "param_names" in param_group else "without names"
                raise ValueError(f"all optimizer param groups should be with/without names. cannot add param group {kind} to the optimizer")  # noqa: E501
        if not seen.isdisjoint(params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # --- stepping -------------------------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        r"""Reset the gradients of all optimized tensors (to ``None`` by default)."""
        for group in self.param_groups:
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                if set_to_none:
                    p.grad = None
                    continue
                if g.grad_fn is not None:
                    g.detach_()
                else:
                    g.requires_grad_(False)
                g._array.fill(0)
                g._bump()

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        r"""Perform one optimization step (subclasses implement it)."""
        raise NotImplementedError

    def _param_state(self, p: Tensor, scalars: dict[str, float] | None = None,
                     **buffers: complex | None) -> dict[str, Any]:  # fmt: skip
        """``self.state[p]``, filled on first use with the entries torch's optimizers create, in order.

        ``step`` (a 0-d float32 tensor of 0) comes first, then a 0-d float32 tensor per entry of
        ``scalars``, then a buffer shaped like ``p`` per keyword, filled with its value (``None``
        leaves the buffer out, as Adam does ``max_exp_avg_sq`` without ``amsgrad``).
        """
        state = self.state[p]
        if len(state) == 0:
            state["step"] = _step_tensor()
            for name, value in (scalars or {}).items():
                state[name] = _step_tensor(value)
            xp = array_namespace(p._array)
            for name, fill in buffers.items():
                if fill is not None:
                    state[name] = _wrap(xp.full_like(p._array, fill))
        return state

    @staticmethod
    def _closure(closure: Callable[[], Any] | None) -> Any:
        """Re-evaluate the loss with grad enabled, as torch does inside ``step``."""
        if closure is None:
            return None
        with enable_grad():
            return closure()

    def _scratch(self, a: Any, n: int) -> list[Any]:
        """``n`` temporaries shaped like the (chunk) array ``a``, reused from step to step.

        Chunk-sized scratch is kept per thread, so the parts of a parallel update never share it.
        """
        chunked = a.size <= _CHUNK
        key = (array_namespace(a).__name__, a.dtype, threading.get_ident() if chunked else a.shape)
        cache = self.__dict__.setdefault("_scratch_buffers", {})
        bufs = cache.get(key)
        xp = array_namespace(a)
        if bufs is None or len(bufs) < n:
            bufs = cache[key] = [xp.empty((_CHUNK,) if chunked else a.shape, dtype=a.dtype)
                                 for _ in range(n)]  # fmt: skip
        if not chunked:
            return bufs[:n]
        return [b[: a.size].reshape(a.shape) for b in bufs[:n]]

    def _chunked(self, update: Callable[..., None], arrays: list[Any], n_scratch: int) -> None:
        """Run ``update(*arrays, *scratch)`` over cache-sized flat chunks of same-shaped arrays.

        ``update`` must be element-wise. The chunks of a big parameter are shared among ember's
        threads (each with scratch of its own). On CuPy, or for non-contiguous arrays, it runs
        once over the whole arrays (with parameter-sized scratch kept between steps).
        """
        a0 = arrays[0]
        if a0.dtype.kind == "c":
            # torch: complex parameters are updated as (real, imag) pairs (view_as_real)
            arrays = [a.reshape(1).view(a.real.dtype) if a.ndim == 0 else a.view(a.real.dtype) for a in arrays]  # noqa: E501
            a0 = arrays[0]
        if a0.size <= _CHUNK or type(a0) is not np.ndarray or not all(a.flags.c_contiguous for a in arrays):  # noqa: E501
            update(*arrays, *self._scratch(a0, n_scratch))
            return
        flats = [a.reshape(-1) for a in arrays]
        n = a0.size

        def part(c0: int, c1: int) -> None:
            bufs = self._scratch(flats[0][:_CHUNK], n_scratch)
            for s in range(c0 * _CHUNK, min(c1 * _CHUNK, n), _CHUNK):
                e = min(s + _CHUNK, n)
                update(*(f[s:e] for f in flats), *(b[: e - s] for b in bufs))

        # perf: one hand-off per parameter; two threads ran AdamW over 10M parameters 1.5x faster
        parallel_for(part, -(-n // _CHUNK), GRAIN // _CHUNK)

    # --- state dicts ----------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        r"""The optimizer state: ``{"state": {index: {...}}, "param_groups": [{..., "params": [index, ...]}]}``.

        Parameters are numbered in order across the groups; the state tensors are not copied.
        """
        for pre in self._optimizer_state_dict_pre_hooks.values():
            pre(self)
        index: dict[int, int] = {}
        groups = []
        start = 0
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for i, p in enumerate(group["params"], start):
                index.setdefault(id(p), i)
            packed["params"] = [index[id(p)] for p in group["params"]]
            start += len(packed["params"])
            groups.append(packed)
        state = {(index[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()}
        sd = {"state": state, "param_groups": groups}
        for post in self._optimizer_state_dict_post_hooks.values():
            result = post(self, sd)
            if result is not None:
                sd = result
        return sd

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        r"""Load a state dict made by :meth:`state_dict` (ember's or torch's layout).

        Saved state tensors are cast to their parameter's dtype and device, except ``step``.
        """
        state_dict = state_dict.copy()
        for pre in self._optimizer_load_state_dict_pre_hooks.values():
            result = pre(self, state_dict)
            if result is not None:
                state_dict = result
        groups = self.param_groups
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError(
                "loaded state dict contains a parameter group that doesn't match the size of "
                "optimizer's group"
            )
        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))  # fmt: skip
        state: defaultdict[Any, Any] = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                p = id_map[k]
                group: dict[str, Any] = next((g for g in state_dict["param_groups"] if k in g["params"]), {})  # noqa: E501
                state[p] = _cast(p, v, group)
            else:
                state[k] = v
        for g, new in zip(groups, saved_groups):
            new["params"] = g["params"]
            if "param_names" in g and "param_names" not in new:
                new["param_names"] = g["param_names"]
        self.__setstate__({"state": state, "param_groups": saved_groups})
        for post in self._optimizer_load_state_dict_post_hooks.values():
            post(self)

    # --- hooks ----------------------------------------------------------------------------------
    def _add_hook(self, hooks: OrderedDict[int, Any], hook: Any, prepend: bool = False) -> RemovableHandle:  # noqa: E501
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        if prepend:
            hooks.move_to_end(handle.id, last=False)
        return handle

    def register_step_pre_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        r"""``hook(optimizer, args, kwargs) -> None | (args, kwargs)``, run before ``step``."""
        return self._add_hook(self._optimizer_step_pre_hooks, hook)

    def register_step_post_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        r"""``hook(optimizer, args, kwargs) -> None``, run after ``step``."""
        return self._add_hook(self._optimizer_step_post_hooks, hook)

    def register_state_dict_pre_hook(self, hook: Callable[..., Any], prepend: bool = False) -> RemovableHandle:  # noqa: E501
        r"""``hook(optimizer) -> None``, run before :meth:`state_dict`."""
        return self._add_hook(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook: Callable[..., Any], prepend: bool = False) -> RemovableHandle:  # noqa: E501
        r"""``hook(optimizer, state_dict) -> state_dict | None``, run after :meth:`state_dict`."""
        return self._add_hook(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook: Callable[..., Any], prepend: bool = False) -> RemovableHandle:  # noqa: E501
        r"""``hook(optimizer, state_dict) -> state_dict | None``, run before :meth:`load_state_dict`."""  # noqa: E501
        return self._add_hook(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook: Callable[..., Any], prepend: bool = False) -> RemovableHandle:  # noqa: E501
        r"""``hook(optimizer) -> None``, run after :meth:`load_state_dict`."""
        return self._add_hook(self._optimizer_load_state_dict_post_hooks, hook, prepend)


def _cast(p: Tensor, value: Any, group: dict[str, Any], key: Any = None) -> Any:
    """Copy a saved state value for parameter ``p``: tensors go to its device (and float dtype)."""
    if isinstance(value, Tensor):
        if key == "step":
            if group.get("capturable") or group.get("fused"):
                return value.to(dtype=_f32(), device=p.device)
            return value
        if p.is_floating_point():
            return value.to(dtype=p.dtype, device=p.device)
        return value.to(device=p.device)
    if isinstance(value, dict):
        return {k: _cast(p, v, group, k) for k, v in value.items()}
    if isinstance(value, Iterable) and not isinstance(value, str):
        return type(value)(_cast(p, v, group) for v in value)  # type: ignore[call-arg]
    return value


def _f32() -> Any:
    from .. import float32  # noqa: PLC0415

    return float32

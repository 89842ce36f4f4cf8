"""``Module``: the base class of every layer, faithful to ``torch.nn.Module``.

Sections: global hooks; ``__init__`` and the attribute protocol; registration; the one tree walk
and everything built on it (traversal, modes, conversion); calling and hooks; ``state_dict`` and
``load_state_dict``; ``__repr__``.
"""

from __future__ import annotations

import functools
import itertools
import warnings
import weakref
from collections import OrderedDict, namedtuple
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

from ember._tensor import Tensor, typename
from ember.autograd.grad_mode import no_grad
from ember.utils.hooks import BackwardHook, RemovableHandle
from ember.nn.parameter import Buffer, Parameter, _buffer_persistent

# torch.nn re-exports only Module from here; the register_module_* functions are reached as
# ember.nn.modules.module.register_module_forward_hook, as in torch.
__all__ = ["Module"]

T = TypeVar("T", bound="Module")

# ============================================================================================
# Global hooks (module-level, as in torch, for libraries that inspect them)
# ============================================================================================

_global_buffer_registration_hooks: dict[int, Callable[..., Any]] = OrderedDict()
_global_module_registration_hooks: dict[int, Callable[..., Any]] = OrderedDict()
_global_parameter_registration_hooks: dict[int, Callable[..., Any]] = OrderedDict()
_global_backward_pre_hooks: dict[int, Callable[..., Any]] = OrderedDict()
_global_backward_hooks: dict[int, Callable[..., Any]] = OrderedDict()
_global_is_full_backward_hook: bool | None = None
_global_forward_pre_hooks: dict[int, Callable[..., Any]] = OrderedDict()
_global_forward_hooks: dict[int, Callable[..., Any]] = OrderedDict()
_global_forward_hooks_always_called: dict[int, bool] = OrderedDict()
_global_forward_hooks_with_kwargs: dict[int, bool] = OrderedDict()

_EXTRA_STATE_KEY_SUFFIX = "_extra_state"


def _any_global_call_hooks() -> bool:
    return bool(_global_forward_pre_hooks or _global_forward_hooks or _global_backward_hooks
                or _global_backward_pre_hooks)  # fmt: skip


class _GlobalFlag:
    """perf: one attribute read tells ``__call__`` whether any global call hook exists."""

    __slots__ = ("on",)

    def __init__(self) -> None:
        self.on = False


_global_hooks_flag = _GlobalFlag()


class _FlagHandle(RemovableHandle):
    """A handle for a global call hook: refreshes the fast-path flag on removal."""

    def remove(self) -> None:
        super().remove()
        _global_hooks_flag.on = _any_global_call_hooks()


def _global_handle(hooks: dict[int, Any], hook: Callable[..., Any], **kw: Any) -> RemovableHandle:
    handle = _FlagHandle(hooks, **kw)
    hooks[handle.id] = hook
    _global_hooks_flag.on = True
    return handle


def register_module_buffer_registration_hook(hook: Callable[..., Any]) -> RemovableHandle:
    r"""Register a hook ``hook(module, name, buffer) -> None or new buffer`` for every module."""
    handle = RemovableHandle(_global_buffer_registration_hooks)
    _global_buffer_registration_hooks[handle.id] = hook
    return handle


def register_module_module_registration_hook(hook: Callable[..., Any]) -> RemovableHandle:
    r"""Register a hook ``hook(module, name, submodule) -> None or new submodule``."""
    handle = RemovableHandle(_global_module_registration_hooks)
    _global_module_registration_hooks[handle.id] = hook
    return handle


def register_module_parameter_registration_hook(hook: Callable[..., Any]) -> RemovableHandle:
    r"""Register a hook ``hook(module, name, param) -> None or new param`` for every module."""
    handle = RemovableHandle(_global_parameter_registration_hooks)
    _global_parameter_registration_hooks[handle.id] = hook
    return handle


def register_module_forward_pre_hook(hook: Callable[..., Any]) -> RemovableHandle:
    r"""Register ``hook(module, args)`` to run before every module's forward (before its own)."""
    return _global_handle(_global_forward_pre_hooks, hook)


def register_module_forward_hook(hook: Callable[..., Any], *, with_kwargs: bool = False,
                                 always_call: bool = False) -> RemovableHandle:  # fmt: skip
    r"""Register ``hook(module, args, output)`` to run after every module's forward."""
    handle = _global_handle(_global_forward_hooks, hook,
                            extra_dict=[_global_forward_hooks_always_called,
                                        _global_forward_hooks_with_kwargs])  # fmt: skip
    if with_kwargs:
        _global_forward_hooks_with_kwargs[handle.id] = True
    if always_call:
        _global_forward_hooks_always_called[handle.id] = True
    return handle


def register_module_backward_hook(hook: Callable[..., Any]) -> RemovableHandle:
    r"""Register a legacy backward hook for every module (deprecated: prefer the full hook)."""
    global _global_is_full_backward_hook
    if _global_is_full_backward_hook is True:
        raise RuntimeError(
            "Cannot use both regular backward hooks and full backward hooks as a global Module "
            "hook. Please use only one of them."
        )
    _global_is_full_backward_hook = False
    return _global_handle(_global_backward_hooks, hook)


def register_module_full_backward_pre_hook(hook: Callable[..., Any]) -> RemovableHandle:
    r"""Register ``hook(module, grad_output)`` for every module, before its input grads."""
    return _global_handle(_global_backward_pre_hooks, hook)


def register_module_full_backward_hook(hook: Callable[..., Any]) -> RemovableHandle:
    r"""Register ``hook(module, grad_input, grad_output)`` for every module."""
    global _global_is_full_backward_hook
    if _global_is_full_backward_hook is False:
        raise RuntimeError(
            "Cannot use both regular backward hooks and full backward hooks as a global Module "
            "hook. Please use only one of them."
        )
    _global_is_full_backward_hook = True
    return _global_handle(_global_backward_hooks, hook)


# ============================================================================================
# Small helpers
# ============================================================================================


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    __slots__ = ()

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


def _addindent(s_: str, num_spaces: int) -> str:
    """Indent every line but the first by ``num_spaces`` (blank lines stay blank)."""
    lines = s_.split("\n")
    if len(lines) == 1:
        return s_
    pad = " " * num_spaces
    return lines[0] + "\n" + "\n".join(pad + line if line.strip() else "" for line in lines[1:])


class _WrappedHook:
    """A hook bound to its module through a weak reference (legacy backward, load pre-hooks)."""

    def __init__(self, hook: Callable[..., Any], module: Module | None = None) -> None:
        self.hook = hook
        functools.update_wrapper(self, hook)
        self.with_module = module is not None
        if module is not None:
            self.module = weakref.ref(module)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.with_module:
            module = self.module()
            if module is None:
                raise RuntimeError("You are trying to call the hook of a dead Module!")
            return self.hook(module, *args, **kwargs)
        return self.hook(*args, **kwargs)

    def __getstate__(self) -> dict[str, Any]:
        state = {"hook": self.hook, "with_module": self.with_module}
        if self.with_module:
            state["module"] = self.module()
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.hook = state["hook"]
        self.with_module = state["with_module"]
        if self.with_module:
            if state["module"] is None:
                raise RuntimeError("You are trying to revive the hook of a dead Module!")
            self.module = weakref.ref(state["module"])


def _forward_unimplemented(self: Module, *input: Any) -> None:
    r"""Define the computation performed at every call; every subclass overrides it."""
    raise NotImplementedError(
        f'Module [{type(self).__name__}] is missing the required "forward" function'
    )


_NOT_BOOL_MODE = "training mode is expected to be boolean"

# load_state_dict defers every copy until the whole state_dict has been checked (ember is
# stricter than torch, which may half-load a model before raising).
_pending_loads: list[list[Any]] = []


# ============================================================================================
# Module
# ============================================================================================


class Module:
    r"""Base class for all neural network modules.

    Subclasses call ``super().__init__()`` first, assign their layers, parameters and buffers as
    attributes, and define ``forward``. Calling the module runs ``forward`` (and any hooks).

    Examples::

        >>> import ember
        >>> import ember.nn as nn
        >>> class Net(nn.Module):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.fc = nn.Linear(2, 3)
        ...     def forward(self, x):
        ...         return self.fc(x)
        >>> Net()
        Net(
          (fc): Linear(in_features=2, out_features=3, bias=True)
        )
        >>> [name for name, _ in Net().named_parameters()]
        ['fc.weight', 'fc.bias']
    """

    dump_patches: bool = False
    _version: int = 1
    training: bool
    _parameters: dict[str, Parameter | None]
    _buffers: dict[str, Tensor | None]
    _non_persistent_buffers_set: set[str]
    _modules: dict[str, Module | None]
    _is_full_backward_hook: bool | None
    call_super_init: bool = False
    _compiled_call_impl: Callable[..., Any] | None = None
    T_destination = TypeVar("T_destination", bound=Mapping)  # torch's public TypeVar

    forward: Callable[..., Any] = _forward_unimplemented

    # --- construction ---------------------------------------------------------------------------
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if self.call_super_init is False and bool(kwargs):
            raise TypeError(
                f"{type(self).__name__}.__init__() got an unexpected keyword argument "
                f"'{next(iter(kwargs))}'"
            )
        if self.call_super_init is False and bool(args):
            raise TypeError(
                f"{type(self).__name__}.__init__() takes 1 positional argument but "
                f"{len(args) + 1} were given"
            )
        # perf/torch: object.__setattr__ skips the routing below.
        init = object.__setattr__
        init(self, "training", True)
        init(self, "_parameters", {})
        init(self, "_buffers", {})
        init(self, "_non_persistent_buffers_set", set())
        init(self, "_backward_pre_hooks", OrderedDict())
        init(self, "_backward_hooks", OrderedDict())
        init(self, "_is_full_backward_hook", None)
        init(self, "_forward_hooks", OrderedDict())
        init(self, "_forward_hooks_with_kwargs", OrderedDict())
        init(self, "_forward_hooks_always_called", OrderedDict())
        init(self, "_forward_pre_hooks", OrderedDict())
        init(self, "_forward_pre_hooks_with_kwargs", OrderedDict())
        init(self, "_state_dict_hooks", OrderedDict())
        init(self, "_state_dict_pre_hooks", OrderedDict())
        init(self, "_load_state_dict_pre_hooks", OrderedDict())
        init(self, "_load_state_dict_post_hooks", OrderedDict())
        init(self, "_modules", {})
        if self.call_super_init:
            super().__init__(*args, **kwargs)

    # ============================================================================================
    # Attribute protocol
    # ============================================================================================
    def __getattr__(self, name: str) -> Any:
        # Python calls this only when normal lookup failed: look in the three registries.
        d = self.__dict__
        if "_parameters" in d:
            p = d["_parameters"]
            if name in p:
                return p[name]
        if "_buffers" in d:
            b = d["_buffers"]
            if name in b:
                return b[name]
        if "_modules" in d:
            m = d["_modules"]
            if name in m:
                return m[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __setattr__(self, name: str, value: Any) -> None:
        d = self.__dict__
        params = d.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            _remove_from(name, d, self._buffers, self._modules, self._non_persistent_buffers_set)
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{typename(value)}' as parameter '{name}' "
                    "(torch.nn.Parameter or None expected)"
                )
            self.register_parameter(name, value)
        else:
            modules = d.get("_modules")
            if isinstance(value, Module):
                if modules is None:
                    raise AttributeError("cannot assign module before Module.__init__() call")
                _remove_from(name, d, self._parameters, self._buffers,
                             self._non_persistent_buffers_set)  # fmt: skip
                for hook in _global_module_registration_hooks.values():
                    output = hook(self, name, value)
                    if output is not None:
                        value = output
                modules[name] = value
            elif modules is not None and name in modules:
                if value is not None:
                    raise TypeError(
                        f"cannot assign '{typename(value)}' as child module '{name}' "
                        "(torch.nn.Module or None expected)"
                    )
                for hook in _global_module_registration_hooks.values():
                    output = hook(self, name, value)
                    if output is not None:
                        value = output
                modules[name] = value
            else:
                buffers = d.get("_buffers")
                if isinstance(value, Buffer) or (buffers is not None and name in buffers):
                    self._set_buffer_attr(name, value)
                else:
                    object.__setattr__(self, name, value)

    def _set_buffer_attr(self, name: str, value: Any) -> None:
        """``__setattr__`` step 5: assigning an ``nn.Buffer`` or to an existing buffer name."""
        if value is not None and not isinstance(value, Tensor):
            raise TypeError(
                f"cannot assign '{typename(value)}' as buffer '{name}' "
                "(torch.nn.Buffer, torch.Tensor or None expected)"
            )
        flag = _buffer_persistent(value)
        if flag is not None:
            persistent = flag
        else:
            nps = self.__dict__.get("_non_persistent_buffers_set", ())
            persistent = name not in nps
        # torch: a subclass whose register_buffer has no ``persistent`` argument still works.
        import inspect  # noqa: PLC0415

        if type(self).register_buffer is not Module.register_buffer and "persistent" not in \
                inspect.signature(self.register_buffer).parameters:  # fmt: skip
            if not persistent:
                raise RuntimeError(
                    "Registering a non-persistent buffer on a Module subclass that implements "
                    "register_buffer() without the persistent argument is not allowed."
                )
            self.register_buffer(name, value)
        else:
            self.register_buffer(name, value, persistent)

    def __delattr__(self, name: str) -> None:
        if name in self._parameters:
            del self._parameters[name]
        elif name in self._buffers:
            del self._buffers[name]
            self._non_persistent_buffers_set.discard(name)
        elif name in self._modules:
            del self._modules[name]
        else:
            super().__delattr__(name)

    def __dir__(self) -> list[str]:
        keys = [*dir(type(self)), *self.__dict__, *self._parameters, *self._modules,
                *self._buffers]  # fmt: skip
        return sorted(k for k in keys if not k[0].isdigit())

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.pop("_compiled_call_impl", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        # Old pickles may lack the newer hook dicts: back-fill them.
        for name in ("_forward_pre_hooks", "_forward_pre_hooks_with_kwargs",
                     "_forward_hooks_with_kwargs", "_forward_hooks_always_called",
                     "_state_dict_hooks", "_state_dict_pre_hooks", "_load_state_dict_pre_hooks",
                     "_load_state_dict_post_hooks", "_backward_pre_hooks"):  # fmt: skip
            if name not in self.__dict__:
                self.__dict__[name] = OrderedDict()
        self.__dict__.setdefault("_non_persistent_buffers_set", set())
        self.__dict__.setdefault("_is_full_backward_hook", None)

    # ============================================================================================
    # Registration
    # ============================================================================================
    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        r"""Add a buffer: state that is not a parameter (``BatchNorm``'s ``running_mean``).

        Args:
            name (str): the buffer's attribute name.
            tensor (Tensor or None): the buffer. ``None`` is skipped by ``to()`` and
                ``state_dict``.
            persistent (bool): whether the buffer is part of ``state_dict``.
        """
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        _check_name(self, name, "buffer", self._buffers)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"cannot assign '{typename(tensor)}' object to buffer '{name}' "
                "(torch Tensor or None required)"
            )
        for hook in _global_buffer_registration_hooks.values():
            output = hook(self, name, tensor)
            if output is not None:
                tensor = output
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        r"""Add a parameter; the same as assigning a ``Parameter`` to ``self.<name>``.

        Args:
            name (str): the parameter's attribute name.
            param (Parameter or None): the parameter. ``None`` is skipped by every traversal.
        """
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameter before Module.__init__() call")
        _check_name(self, name, "parameter", self._parameters)
        if param is None:
            self._parameters[name] = None
            return
        if not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign '{typename(param)}' object to parameter '{name}' "
                "(torch.nn.Parameter or None required)"
            )
        if param.grad_fn is not None:
            raise ValueError(
                f"Cannot assign non-leaf Tensor to parameter '{name}'. Model parameters must be "
                f"created explicitly. To express '{name}' as a function of another Tensor, "
                "compute the value in the forward() method."
            )
        for hook in _global_parameter_registration_hooks.values():
            output = hook(self, name, param)
            if output is not None:
                param = output
        self._parameters[name] = param

    def add_module(self, name: str, module: Module | None) -> None:
        r"""Add a child module, reachable as the attribute ``name``.

        Args:
            name (str): the child's name.
            module (Module or None): the child.
        """
        if not isinstance(module, Module) and module is not None:
            raise TypeError(f"{typename(module)} is not a Module subclass")
        if not isinstance(name, str):
            raise TypeError(f"module name should be a string. Got {typename(name)}")
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        if "." in name:
            raise KeyError(f'module name can\'t contain ".", got: {name}')
        if name == "":
            raise KeyError('module name can\'t be empty string ""')
        for hook in _global_module_registration_hooks.values():
            output = hook(self, name, module)
            if output is not None:
                module = output
        self._modules[name] = module

    def register_module(self, name: str, module: Module | None) -> None:
        r"""Alias for :meth:`add_module`."""
        self.add_module(name, module)

    def get_submodule(self, target: str) -> Module:
        r"""The submodule at the dotted path ``target`` (``""`` is the module itself)."""
        if target == "":
            return self
        mod: Module = self
        for item in target.split("."):
            if not hasattr(mod, item):
                raise AttributeError(mod._get_name() + " has no attribute `" + item + "`")
            mod = getattr(mod, item)
            if not isinstance(mod, Module):
                raise AttributeError("`" + item + "` is not an nn.Module")
        return mod

    def set_submodule(self, target: str, module: Module, strict: bool = False) -> None:
        r"""Set the submodule at the dotted path ``target`` (it must exist when ``strict``)."""
        if target == "":
            raise ValueError("Cannot set the submodule without a target name!")
        atoms = target.split(".")
        if not isinstance(module, Module):
            raise ValueError("`" + "module" + f"` is not an nn.Module, found {type(module)}")
        parent = self.get_submodule(".".join(atoms[:-1])) if len(atoms) > 1 else self
        if strict and not hasattr(parent, atoms[-1]):
            raise AttributeError(parent._get_name() + " has no attribute `" + atoms[-1] + "`")
        if hasattr(parent, atoms[-1]):
            mod = getattr(parent, atoms[-1])
            if not isinstance(mod, Module):
                raise AttributeError("`" + atoms[-1] + "` is not an nn.Module")
        setattr(parent, atoms[-1], module)

    def get_parameter(self, target: str) -> Parameter:
        r"""The parameter at the dotted path ``target``."""
        module_path, _, param_name = target.rpartition(".")
        mod = self.get_submodule(module_path)
        if not hasattr(mod, param_name):
            raise AttributeError(mod._get_name() + " has no attribute `" + param_name + "`")
        param = getattr(mod, param_name)
        if not isinstance(param, Parameter):
            raise AttributeError("`" + param_name + "` is not an nn.Parameter")
        return param

    def get_buffer(self, target: str) -> Tensor:
        r"""The buffer at the dotted path ``target``."""
        module_path, _, buffer_name = target.rpartition(".")
        mod = self.get_submodule(module_path)
        if not hasattr(mod, buffer_name):
            raise AttributeError(mod._get_name() + " has no attribute `" + buffer_name + "`")
        buffer = getattr(mod, buffer_name)
        if buffer_name not in mod._buffers:
            raise AttributeError("`" + buffer_name + "` is not a buffer")
        return buffer

    def get_extra_state(self) -> Any:
        r"""Extra picklable state for ``state_dict``; override together with ``set_extra_state``."""
        raise RuntimeError(
            "Reached a code path in Module.get_extra_state() that should never be called. "
            "Please file an issue at https://github.com/pytorch/pytorch/issues/new?template=bug-report.yml "  # noqa: E501
            "to report this bug."
        )

    def set_extra_state(self, state: Any) -> None:
        r"""Restore the state returned by ``get_extra_state``."""
        raise RuntimeError(
            "Reached a code path in Module.set_extra_state() that should never be called. "
            "Please file an issue at https://github.com/pytorch/pytorch/issues/new?template=bug-report.yml "  # noqa: E501
            "to report this bug."
        )

    # ============================================================================================
    # The tree walk and what is built on it
    # ============================================================================================
    def named_modules(self, memo: set[Module] | None = None, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Module]]:  # fmt: skip
        r"""Pre-order walk over all modules, yielding ``(dotted name, module)``, self first.

        A module reached twice is yielded once (with its subtree) unless ``remove_duplicate``
        is False.
        """
        if memo is None:
            memo = set()
        if self in memo:
            return
        if remove_duplicate:
            memo.add(self)
        yield prefix, self
        for name, module in self._modules.items():
            if module is None:
                continue
            submodule_prefix = prefix + ("." if prefix else "") + name
            yield from module.named_modules(memo, submodule_prefix, remove_duplicate)

    def modules(self, remove_duplicate: bool = True) -> Iterator[Module]:
        r"""All modules of the tree, self first (see :meth:`named_modules`)."""
        for _, module in self.named_modules(remove_duplicate=remove_duplicate):
            yield module

    def named_children(self) -> Iterator[tuple[str, Module]]:
        r"""Immediate children as ``(name, module)``, each object once."""
        memo = set()
        for name, module in self._modules.items():
            if module is not None and module not in memo:
                memo.add(module)
                yield name, module

    def children(self) -> Iterator[Module]:
        r"""Immediate children, each object once."""
        for _, module in self.named_children():
            yield module

    def _named_members(self, get_members_fn: Callable[[Module], Any], prefix: str = "",
                       recurse: bool = True, remove_duplicate: bool = True) -> Iterator[Any]:  # fmt: skip
        """The shared walk behind named_parameters and named_buffers: one memo for all modules."""
        memo = set()
        modules = (self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
                   if recurse else [(prefix, self)])  # fmt: skip
        for module_prefix, module in modules:
            for k, v in get_members_fn(module):
                if v is None or v in memo:
                    continue
                if remove_duplicate:
                    memo.add(v)
                yield module_prefix + ("." if module_prefix else "") + k, v

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        r"""All parameters (a tied parameter once), in registration order.

        Args:
            recurse (bool): include the parameters of every submodule. Default: ``True``.
        """
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:  # fmt: skip
        r"""``(dotted name, parameter)`` pairs; a tied parameter under the first name reached."""
        return self._named_members(lambda m: m._parameters.items(), prefix=prefix,
                                   recurse=recurse, remove_duplicate=remove_duplicate)  # fmt: skip

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        r"""All buffers, persistent or not."""
        for _, buf in self.named_buffers(recurse=recurse):
            yield buf

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Tensor]]:  # fmt: skip
        r"""``(dotted name, buffer)`` pairs, non-persistent buffers included."""
        return self._named_members(lambda m: m._buffers.items(), prefix=prefix,
                                   recurse=recurse, remove_duplicate=remove_duplicate)  # fmt: skip

    def apply(self: T, fn: Callable[[Module], None]) -> T:
        r"""Call ``fn`` on every submodule, children first (post-order), then on self.

        Examples::

            >>> import ember
            >>> import ember.nn as nn
            >>> @ember.no_grad()
            ... def init_weights(m):
            ...     if type(m) is nn.Linear:
            ...         m.weight.fill_(1.0)
            >>> net = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2)).apply(init_weights)
            >>> net[1].weight
            Parameter containing:
            tensor([[1., 1.],
                    [1., 1.]], requires_grad=True)
        """
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # --- modes ----------------------------------------------------------------------------------
    def train(self: T, mode: bool = True) -> T:
        r"""Set training mode (``mode=True``) or evaluation mode on this module and all below."""
        if not isinstance(mode, bool):
            raise ValueError(_NOT_BOOL_MODE)
        self.training = mode
        for module in self.children():
            module.train(mode)
        return self

    def eval(self: T) -> T:
        r"""Evaluation mode: ``train(False)``. It does not turn autograd off."""
        return self.train(False)

    def requires_grad_(self: T, requires_grad: bool = True) -> T:
        r"""Set ``requires_grad`` on every parameter."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        r"""Reset the gradients of every parameter: to ``None`` (default) or to zeros."""
        if getattr(self, "_is_replica", False):
            warnings.warn(
                "Calling .zero_grad() from a module created with nn.DataParallel() has no effect. "
                "The parameters are copied (in a differentiable manner) from the original module. "
                "This means they are not leaf nodes in autograd and so don't accumulate gradients. "
                "If you need gradients in your forward method, consider using autograd.grad "
                "instead.",
                stacklevel=2,
            )
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                g = p.grad
                if g.grad_fn is not None:
                    g.detach_()
                else:
                    g.requires_grad_(False)
                g.zero_()

    def share_memory(self: T) -> T:
        r"""No-op kept for API compatibility (NumPy memory is not shared across processes)."""
        return self._apply(lambda t: t.share_memory_())

    # --- conversion -----------------------------------------------------------------------------
    def _apply(self: T, fn: Callable[[Tensor], Tensor], recurse: bool = True) -> T:
        """Convert every parameter, gradient and buffer with ``fn``; children first.

        Parameters keep their identity (``param.data = new``), so an optimizer built earlier
        still holds them; buffers are replaced by the new tensors, as in torch.
        """
        if recurse:
            for module in self.children():
                module._apply(fn)
        for param in self._parameters.values():
            if param is None:
                continue
            with no_grad():
                param_applied = fn(param)
            _swap_in(param, param_applied)
            if param.grad is not None:
                with no_grad():
                    grad_applied = fn(param.grad)
                _swap_in(param.grad, grad_applied)
        for key, buf in self._buffers.items():
            if buf is not None:
                self._buffers[key] = fn(buf)
        return self

    def cuda(self: T, device: Any = None) -> T:
        r"""Move every parameter and buffer to a CUDA device (needs CuPy and a GPU)."""
        return self._apply(lambda t: t.cuda(device))

    def cpu(self: T) -> T:
        r"""Move every parameter and buffer to the CPU."""
        return self._apply(lambda t: t.cpu())

    def ipu(self: T, device: Any = None) -> T:
        r"""Not available in ember."""
        raise RuntimeError("ember has no IPU backend")

    def xpu(self: T, device: Any = None) -> T:
        r"""Not available in ember."""
        raise RuntimeError("ember has no XPU backend")

    def mtia(self: T, device: Any = None) -> T:
        r"""Not available in ember."""
        raise RuntimeError("ember has no MTIA backend")

    def type(self: T, dst_type: Any) -> T:
        r"""Cast every parameter and buffer (integer ones too) to ``dst_type``."""
        return self._apply(lambda t: t.type(dst_type))

    def float(self: T) -> T:
        r"""Cast floating-point parameters and buffers to ``float32``."""
        return self._apply(lambda t: t.float() if t.is_floating_point() else t)

    def double(self: T) -> T:
        r"""Cast floating-point parameters and buffers to ``float64``."""
        return self._apply(lambda t: t.double() if t.is_floating_point() else t)

    def half(self: T) -> T:
        r"""Cast floating-point parameters and buffers to ``float16``."""
        return self._apply(lambda t: t.half() if t.is_floating_point() else t)

    def bfloat16(self: T) -> T:
        r"""Cast floating-point parameters and buffers to ``bfloat16``."""
        return self._apply(lambda t: t.bfloat16() if t.is_floating_point() else t)

    def to_empty(self: T, *, device: Any, recurse: bool = True) -> T:
        r"""Move every tensor to ``device`` without copying its values (they are uninitialised)."""
        from ember._factory import empty_like  # noqa: PLC0415

        return self._apply(lambda t: empty_like(t, device=device), recurse=recurse)

    def to(self, *args: Any, **kwargs: Any) -> Any:
        r"""Move and/or cast parameters and buffers, parsed like ``Tensor.to``.

        ``to(device)``, ``to(dtype)``, ``to(tensor)``, ``to(device, dtype, non_blocking)``.
        Only floating-point and complex tensors change dtype; integer ones only move.
        """
        from ember._tensor import _parse_to, _to  # noqa: PLC0415

        device, dtype, _non_blocking, _ = _parse_to(*args, **kwargs)
        if dtype is not None:
            if not (dtype.is_floating_point or dtype.is_complex):
                raise TypeError(
                    "nn.Module.to only accepts floating point or complex "
                    f"dtypes, but got desired dtype={dtype}"
                )
            if dtype.is_complex:
                warnings.warn(
                    "Complex modules are a new feature under active development whose design may "
                    "change, and some modules might not work as expected when using complex "
                    "tensors as parameters or buffers. Please file an issue at "
                    "https://github.com/pytorch/pytorch/issues/new?template=bug-report.yml "
                    "if a complex module does not work as expected.",
                    stacklevel=2,
                )

        def convert(t: Tensor) -> Tensor:
            floating = t.is_floating_point() or t.is_complex()
            return _to(t, device, dtype if floating else None, False)

        return self._apply(convert)

    # ============================================================================================
    # Calling and hooks
    # ============================================================================================
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # perf: the no-hook case is one flag and four dict truth tests, then forward.
        if (_global_hooks_flag.on or self._forward_pre_hooks or self._forward_hooks
                or self._backward_hooks or self._backward_pre_hooks
                or self._compiled_call_impl is not None):  # fmt: skip
            if self._compiled_call_impl is not None:
                return self._compiled_call_impl(*args, **kwargs)
            return self._call_impl(*args, **kwargs)
        return self.forward(*args, **kwargs)

    def _slow_forward(self, *input: Any, **kwargs: Any) -> Any:
        # torch uses this while JIT-tracing; ember has no tracer, so it is plain forward.
        return self.forward(*input, **kwargs)

    def _wrapped_call_impl(self, *args: Any, **kwargs: Any) -> Any:
        if self._compiled_call_impl is not None:
            return self._compiled_call_impl(*args, **kwargs)
        return self._call_impl(*args, **kwargs)

    def _call_impl(self, *args: Any, **kwargs: Any) -> Any:
        """Run forward with every hook: pre-hooks, forward, forward hooks, backward hook setup."""
        if not (self._backward_hooks or self._backward_pre_hooks or self._forward_hooks
                or self._forward_pre_hooks or _global_hooks_flag.on):  # fmt: skip
            return self.forward(*args, **kwargs)
        state = _CallState(args, kwargs)
        try:
            return self._call_with_hooks(state)
        except Exception:
            self._run_always_called_hooks(state)
            raise

    def _call_with_hooks(self, st: _CallState) -> Any:
        backward_pre_hooks: list[Callable[..., Any]] = []
        if self._backward_pre_hooks or _global_backward_pre_hooks:
            backward_pre_hooks = self._get_backward_pre_hooks()
        full_backward_hooks: list[Callable[..., Any]] = []
        non_full_backward_hooks: list[Callable[..., Any]] = []
        if self._backward_hooks or _global_backward_hooks:
            full_backward_hooks, non_full_backward_hooks = self._get_backward_hooks()

        for hook_id, hook in itertools.chain(_global_forward_pre_hooks.items(),
                                             self._forward_pre_hooks.items()):  # fmt: skip
            if hook_id in self._forward_pre_hooks_with_kwargs:
                out = hook(self, st.args, st.kwargs)
                if out is not None:
                    if not (isinstance(out, tuple) and len(out) == 2):
                        raise RuntimeError(
                            "forward pre-hook must return None or a tuple of (new_args, "
                            f"new_kwargs), but got {out}."
                        )
                    st.args, st.kwargs = out
            else:
                out = hook(self, st.args)
                if out is not None:
                    st.args = out if isinstance(out, tuple) else (out,)

        bw_hook = None
        if full_backward_hooks or backward_pre_hooks:
            bw_hook = BackwardHook(self, full_backward_hooks, backward_pre_hooks)
            st.args = bw_hook.setup_input_hook(st.args)

        st.result = self.forward(*st.args, **st.kwargs)

        for hook_id, hook in itertools.chain(_global_forward_hooks.items(),
                                             self._forward_hooks.items()):  # fmt: skip
            if hook_id in self._forward_hooks_always_called or \
                    hook_id in _global_forward_hooks_always_called:  # fmt: skip
                st.called.add(hook_id)
            if hook_id in self._forward_hooks_with_kwargs or \
                    hook_id in _global_forward_hooks_with_kwargs:  # fmt: skip
                out = hook(self, st.args, st.kwargs, st.result)
            else:
                out = hook(self, st.args, st.result)
            if out is not None:
                st.result = out

        if bw_hook is not None:
            if not isinstance(st.result, Tensor | tuple):
                warnings.warn(
                    "For backward hooks to be called, module output should be a Tensor or a "
                    f"tuple of Tensors but received {type(st.result)}",
                    stacklevel=3,
                )
            st.result = bw_hook.setup_output_hook(st.result)

        if non_full_backward_hooks:
            self._attach_legacy_backward_hooks(st, non_full_backward_hooks)
        return st.result

    def _attach_legacy_backward_hooks(self, st: _CallState, hooks: list[Any]) -> None:
        """torch: legacy hooks sit on the grad_fn of the first tensor found in the output."""
        var = st.result
        while not isinstance(var, Tensor):
            if isinstance(var, dict):
                var = next(v for v in var.values() if isinstance(v, Tensor))
            else:
                var = var[0]
        grad_fn = var.grad_fn
        if grad_fn is not None:
            for hook in hooks:
                grad_fn.register_hook(_WrappedHook(hook, self))
            self._maybe_warn_non_full_backward_hook(st.args, st.result, grad_fn)

    def _run_always_called_hooks(self, st: _CallState) -> None:
        """forward raised: run the ``always_call`` forward hooks that have not run yet."""
        for hook_id, hook in _global_forward_hooks.items():
            if hook_id in _global_forward_hooks_always_called and hook_id not in st.called:
                try:
                    out = hook(self, st.args, st.result)
                    if out is not None:
                        st.result = out
                except Exception as e:
                    warnings.warn(
                        "global module forward hook with ``always_call=True`` raised an exception "
                        f"that was silenced as another error was raised in forward: {e}",
                        stacklevel=3,
                    )
        for hook_id, hook in self._forward_hooks.items():
            if hook_id in self._forward_hooks_always_called and hook_id not in st.called:
                try:
                    if hook_id in self._forward_hooks_with_kwargs:
                        out = hook(self, st.args, st.kwargs, st.result)
                    else:
                        out = hook(self, st.args, st.result)
                    if out is not None:
                        st.result = out
                except Exception as e:
                    warnings.warn(
                        "module forward hook with ``always_call=True`` raised an exception that "
                        f"was silenced as another error was raised in forward: {e}",
                        stacklevel=3,
                    )

    def _get_backward_hooks(self) -> tuple[list[Any], list[Any]]:
        """The (full, legacy) backward hooks that apply to this module: global ones first."""
        full: list[Any] = []
        legacy: list[Any] = []
        if _global_is_full_backward_hook is True:
            full += _global_backward_hooks.values()
        elif _global_is_full_backward_hook is False:
            legacy += _global_backward_hooks.values()
        if self._is_full_backward_hook is True:
            full += self._backward_hooks.values()
        elif self._is_full_backward_hook is False:
            legacy += self._backward_hooks.values()
        return full, legacy

    def _get_backward_pre_hooks(self) -> list[Any]:
        return [*_global_backward_pre_hooks.values(), *self._backward_pre_hooks.values()]

    def _maybe_warn_non_full_backward_hook(self, inputs: Any, result: Any, grad_fn: Any) -> None:
        """torch's FutureWarnings for the layouts where legacy hooks see partial gradients."""
        if isinstance(result, Tensor):
            result = (result,)
        elif not (isinstance(result, tuple) and all(isinstance(r, Tensor) for r in result)):
            warnings.warn(_LEGACY_OUT_MSG, FutureWarning, stacklevel=2)
            return
        if isinstance(inputs, Tensor):
            inputs = (inputs,)
        elif not (isinstance(inputs, tuple) and all(isinstance(i, Tensor) for i in inputs)):
            warnings.warn(_LEGACY_IN_MSG, FutureWarning, stacklevel=2)
            return
        out_grad_fn = {r.grad_fn for r in result if r.grad_fn is not None}
        if len(out_grad_fn) == 0 or (len(out_grad_fn) == 1 and grad_fn not in out_grad_fn):
            warnings.warn(_LEGACY_NESTED_MSG, FutureWarning, stacklevel=2)
        elif len(out_grad_fn) > 1:
            warnings.warn(_LEGACY_MULTI_OUT_MSG, FutureWarning, stacklevel=2)
        else:
            inputs_grad_fn = {i.grad_fn for i in inputs if i.grad_fn is not None}
            next_functions = {n[0] for n in grad_fn.next_functions}
            if inputs_grad_fn != next_functions:
                warnings.warn(_LEGACY_MULTI_NODE_MSG, FutureWarning, stacklevel=2)

    # --- hook registration ----------------------------------------------------------------------
    def register_forward_pre_hook(self, hook: Callable[..., Any], *, prepend: bool = False,
                                  with_kwargs: bool = False) -> RemovableHandle:  # fmt: skip
        r"""Run ``hook(module, args)`` before ``forward``; a non-None return replaces ``args``.

        With ``with_kwargs=True`` the hook is ``hook(module, args, kwargs)`` and returns ``None``
        or ``(args, kwargs)``. ``prepend=True`` runs it before the module's other pre-hooks.
        """
        handle = RemovableHandle(self._forward_pre_hooks,
                                 extra_dict=self._forward_pre_hooks_with_kwargs)  # fmt: skip
        self._forward_pre_hooks[handle.id] = hook
        if with_kwargs:
            self._forward_pre_hooks_with_kwargs[handle.id] = True
        if prepend:
            self._forward_pre_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_forward_hook(self, hook: Callable[..., Any], *, prepend: bool = False,
                              with_kwargs: bool = False,
                              always_call: bool = False) -> RemovableHandle:  # fmt: skip
        r"""Run ``hook(module, args, output)`` after ``forward``; a non-None return replaces it.

        With ``with_kwargs=True`` the hook is ``hook(module, args, kwargs, output)``.
        ``always_call=True`` also runs it when ``forward`` raises.
        """
        handle = RemovableHandle(self._forward_hooks,
                                 extra_dict=[self._forward_hooks_with_kwargs,
                                             self._forward_hooks_always_called])  # fmt: skip
        self._forward_hooks[handle.id] = hook
        if with_kwargs:
            self._forward_hooks_with_kwargs[handle.id] = True
        if always_call:
            self._forward_hooks_always_called[handle.id] = True
        if prepend:
            self._forward_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_full_backward_pre_hook(self, hook: Callable[..., Any],
                                        prepend: bool = False) -> RemovableHandle:  # fmt: skip
        r"""Run ``hook(module, grad_output)`` when the output gradients reach this module.

        A non-None return (a tuple of the same length) replaces ``grad_output``.
        """
        handle = RemovableHandle(self._backward_pre_hooks)
        self._backward_pre_hooks[handle.id] = hook
        if prepend:
            self._backward_pre_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_full_backward_hook(self, hook: Callable[..., Any],
                                    prepend: bool = False) -> RemovableHandle:  # fmt: skip
        r"""Run ``hook(module, grad_input, grad_output)`` once the input gradients are computed.

        ``grad_input`` has one entry per positional input (``None`` for non-tensors); a non-None
        return replaces it.
        """
        if self._is_full_backward_hook is False:
            raise RuntimeError(_MIXED_BACKWARD_MSG)
        self._is_full_backward_hook = True
        handle = RemovableHandle(self._backward_hooks)
        self._backward_hooks[handle.id] = hook
        if prepend:
            self._backward_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_backward_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        r"""Legacy backward hook (deprecated): ``hook(module, grad_input, grad_output)``.

        It is attached to the ``grad_fn`` of the module's output, so ``grad_input`` holds the
        gradients of that last autograd node's inputs. Prefer
        :meth:`register_full_backward_hook`.
        """
        if self._is_full_backward_hook is True:
            raise RuntimeError(_MIXED_BACKWARD_MSG)
        self._is_full_backward_hook = False
        handle = RemovableHandle(self._backward_hooks)
        self._backward_hooks[handle.id] = hook
        return handle

    def register_state_dict_pre_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        r"""Run ``hook(module, prefix, keep_vars)`` before ``state_dict`` saves this module."""
        handle = RemovableHandle(self._state_dict_pre_hooks)
        self._state_dict_pre_hooks[handle.id] = hook
        return handle

    def register_state_dict_post_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        r"""Run ``hook(module, state_dict, prefix, local_metadata)`` after saving; returns None."""
        hook._from_public_api = True  # type: ignore[attr-defined]
        handle = RemovableHandle(self._state_dict_hooks)
        self._state_dict_hooks[handle.id] = hook
        return handle

    def _register_state_dict_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        if getattr(hook, "_from_public_api", False):
            raise RuntimeError(
                "Cannot register the same function as the state dict post hook that was "
                "previously registered via register_state_dict_post_hook"
            )
        handle = RemovableHandle(self._state_dict_hooks)
        self._state_dict_hooks[handle.id] = hook
        return handle

    def _register_load_state_dict_pre_hook(self, hook: Callable[..., Any],
                                           with_module: bool = False) -> RemovableHandle:  # fmt: skip
        handle = RemovableHandle(self._load_state_dict_pre_hooks)
        self._load_state_dict_pre_hooks[handle.id] = _WrappedHook(
            hook, self if with_module else None
        )
        return handle

    def register_load_state_dict_pre_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        r"""Run ``hook(module, state_dict, prefix, local_metadata, strict, missing_keys,
        unexpected_keys, error_msgs)`` before this module loads its part of a state_dict.
        """
        return self._register_load_state_dict_pre_hook(hook, with_module=True)

    def register_load_state_dict_post_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        r"""Run ``hook(module, incompatible_keys)`` after ``load_state_dict``; it may edit the
        key lists in place.
        """
        handle = RemovableHandle(self._load_state_dict_post_hooks)
        self._load_state_dict_post_hooks[handle.id] = hook
        return handle

    # ============================================================================================
    # state_dict / load_state_dict
    # ============================================================================================
    def _save_to_state_dict(self, destination: dict[str, Any], prefix: str,
                            keep_vars: bool) -> None:  # fmt: skip
        """Add this module's own parameters, persistent buffers and extra state."""
        for name, param in self._parameters.items():
            if param is not None:
                destination[prefix + name] = param if keep_vars else param.detach()
        for name, buf in self._buffers.items():
            if buf is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = buf if keep_vars else buf.detach()
        if type(self).get_extra_state is not Module.get_extra_state:
            destination[prefix + _EXTRA_STATE_KEY_SUFFIX] = self.get_extra_state()

    def state_dict(self, *args: Any, destination: Any = None, prefix: str = "",
                   keep_vars: bool = False) -> Any:  # fmt: skip
        r"""An ``OrderedDict`` of every parameter and persistent buffer, by dotted name.

        Values are detached tensors sharing memory with the module's (the Parameters themselves
        with ``keep_vars=True``). Shared submodules appear under each of their names. The dict's
        ``_metadata`` attribute records each module's ``_version``.
        """
        if args:
            warnings.warn(
                "Positional args are being deprecated, use kwargs instead. Refer to "
                "https://pytorch.org/docs/main/generated/torch.nn.Module.html#torch.nn.Module.state_dict"
                " for details.",
                FutureWarning,
                stacklevel=2,
            )
            if destination is None:
                destination = args[0]
            if len(args) > 1 and prefix == "":
                prefix = args[1]
            if len(args) > 2 and keep_vars is False:
                keep_vars = args[2]
        if destination is None:
            destination = OrderedDict()
            destination._metadata = OrderedDict()
        local_metadata = {"version": self._version}
        if hasattr(destination, "_metadata"):
            destination._metadata[prefix[:-1]] = local_metadata
        for hook in self._state_dict_pre_hooks.values():
            hook(self, prefix, keep_vars)
        self._save_to_state_dict(destination, prefix, keep_vars)
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(destination=destination, prefix=prefix + name + ".",
                                  keep_vars=keep_vars)  # fmt: skip
        for hook in self._state_dict_hooks.values():
            out = hook(self, destination, prefix, local_metadata)
            if not getattr(hook, "_from_public_api", False):
                if out is not None:
                    destination = out
            elif out is not None:
                raise RuntimeError("state_dict post-hook must return None")
        return destination

    def _load_from_state_dict(self, state_dict: Mapping[str, Any], prefix: str,
                              local_metadata: dict[str, Any], strict: bool,
                              missing_keys: list[str], unexpected_keys: list[str],
                              error_msgs: list[str]) -> None:  # fmt: skip
        """Load this module's own entries of ``state_dict`` (not its children's).

        Override it (calling super) to adapt old checkpoints: ``local_metadata.get("version")``
        is the ``_version`` of the module that saved them.
        """
        for hook in self._load_state_dict_pre_hooks.values():
            hook(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                 error_msgs)  # fmt: skip
        persistent_buffers = {k: v for k, v in self._buffers.items()
                              if k not in self._non_persistent_buffers_set}  # fmt: skip
        local_state = {k: v for k, v in itertools.chain(self._parameters.items(),
                                                        persistent_buffers.items())
                       if v is not None}  # fmt: skip
        assign = local_metadata.get("assign_to_params_buffers", False)
        pending = _pending_loads[-1] if _pending_loads else None
        for name, param in local_state.items():
            key = prefix + name
            if key not in state_dict:
                if strict:
                    missing_keys.append(key)
                continue
            value = state_dict[key]
            if not isinstance(value, Tensor):
                error_msgs.append(
                    f'While copying the parameter named "{key}", expected torch.Tensor or '
                    f"Tensor-like object from checkpoint but received {type(value)}"
                )
                continue
            if param.ndim == 0 and value.ndim == 1 and value.shape[0] == 1:
                value = value[0]  # torch: BC for 0-dim params saved as shape (1,)
            if value.shape != param.shape:
                error_msgs.append(
                    f"size mismatch for {key}: copying a param with shape {value.shape} from "
                    f"checkpoint, the shape in current model is {param.shape}."
                )
                continue
            action = functools.partial(_load_one, self, name, param, value, assign)
            if pending is None:
                _run_load(action, key, param, value, error_msgs)
            else:
                pending.append((action, key, param, value))
        extra_key = prefix + _EXTRA_STATE_KEY_SUFFIX
        overridden = type(self).set_extra_state is not Module.set_extra_state
        if overridden and extra_key in state_dict:
            action = functools.partial(self.set_extra_state, state_dict[extra_key])
            if pending is None:
                action()
            else:
                pending.append((action, None, None, None))
        elif overridden and strict:
            missing_keys.append(extra_key)
        elif not overridden and strict and extra_key in state_dict:
            unexpected_keys.append(extra_key)
        if strict:
            for key in state_dict:
                if key.startswith(prefix) and key != extra_key:
                    input_name = key[len(prefix):].split(".", 1)
                    if len(input_name) > 1:
                        if input_name[0] not in self._modules:
                            unexpected_keys.append(key)
                    elif input_name[0] not in local_state:
                        unexpected_keys.append(key)

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True,
                        assign: bool = False) -> _IncompatibleKeys:  # fmt: skip
        r"""Copy parameters and buffers from ``state_dict`` into this module and its children.

        Args:
            state_dict (dict): a dict such as :meth:`state_dict` returns.
            strict (bool): raise on missing or unexpected keys. Size mismatches raise even when
                False. Default: ``True``.
            assign (bool): assign the checkpoint's tensors (their dtype and device win) instead
                of copying into the existing ones. Default: ``False``.

        Returns:
            ``NamedTuple`` with ``missing_keys`` and ``unexpected_keys``.

        ember checks the whole state_dict before copying anything: when it raises, the module is
        unchanged (torch may have loaded part of it).
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        missing_keys: list[str] = []
        unexpected_keys: list[str] = []
        error_msgs: list[str] = []
        metadata = getattr(state_dict, "_metadata", None)
        state_dict = OrderedDict(state_dict)
        if metadata is not None:
            state_dict._metadata = metadata  # type: ignore[attr-defined]
        incompatible = _IncompatibleKeys(missing_keys, unexpected_keys)
        post_hooks: list[tuple[Module, Callable[..., Any]]] = []
        pending: list[Any] = []
        _pending_loads.append(pending)
        try:
            _load_tree(self, state_dict, "", metadata, assign, missing_keys, unexpected_keys,
                       error_msgs, post_hooks)  # fmt: skip
        finally:
            _pending_loads.pop()
        for module, hook in post_hooks:
            out = hook(module, incompatible)
            if out is not None:
                raise AssertionError(
                    "Hooks registered with ``register_load_state_dict_post_hook`` are not"
                    "expected to return new values, if incompatible_keys need to be modified,"
                    "it should be done inplace."
                )
        if strict:
            if unexpected_keys:
                error_msgs.insert(0, "Unexpected key(s) in state_dict: {}. ".format(
                    ", ".join(f'"{k}"' for k in unexpected_keys)))
            if missing_keys:
                error_msgs.insert(0, "Missing key(s) in state_dict: {}. ".format(
                    ", ".join(f'"{k}"' for k in missing_keys)))
        if not error_msgs:
            for action, key, param, value in pending:
                if key is None:
                    action()
                else:
                    _run_load(action, key, param, value, error_msgs)
        if error_msgs:
            raise RuntimeError("Error(s) in loading state_dict for {}:\n\t{}".format(
                self.__class__.__name__, "\n\t".join(error_msgs)))
        return incompatible

    # ============================================================================================
    # repr
    # ============================================================================================
    def _get_name(self) -> str:
        return type(self).__name__

    def extra_repr(self) -> str:
        r"""The layer's settings shown inside its repr; layers override it."""
        return ""

    def __repr__(self) -> str:
        extra_lines = []
        extra_repr = self.extra_repr()
        if extra_repr:
            extra_lines = extra_repr.split("\n")
        child_lines = []
        for key, module in self._modules.items():
            mod_str = _addindent(repr(module), 2)
            child_lines.append("(" + key + "): " + mod_str)
        lines = extra_lines + child_lines
        main_str = self._get_name() + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                main_str += extra_lines[0]
            else:
                main_str += "\n  " + "\n  ".join(lines) + "\n"
        main_str += ")"
        return main_str

    def _replicate_for_data_parallel(self) -> Module:
        replica = self.__new__(type(self))
        replica.__dict__ = self.__dict__.copy()
        replica._parameters = {}
        replica._buffers = replica._buffers.copy()
        replica._modules = replica._modules.copy()
        replica._is_replica = True
        return replica

    def compile(self, *args: Any, **kwargs: Any) -> None:
        r"""Compile this module's call in place with ``ember.compile`` (which runs eagerly).

        Unlike ``ember.compile(module)``, the state_dict keys get no ``_orig_mod.`` prefix.
        """
        from ember._compile import compile as _compile  # noqa: PLC0415

        self._compiled_call_impl = _compile(self._call_impl, *args, **kwargs)


# --- helpers used by Module ------------------------------------------------------------------


class _CallState:
    """The mutable state of one hooked call (args may be replaced by hooks)."""

    __slots__ = ("args", "kwargs", "result", "called")

    def __init__(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self.args = args
        self.kwargs = kwargs
        self.result: Any = None
        self.called: set[int] = set()


def _remove_from(name: str, *dicts_or_sets: Any) -> None:
    for d in dicts_or_sets:
        if name in d:
            if isinstance(d, set):
                d.discard(name)
            else:
                del d[name]


def _check_name(module: Module, name: Any, kind: str, registry: dict[str, Any]) -> None:
    """register_parameter / register_buffer name checks, in torch's order."""
    if not isinstance(name, str):
        raise TypeError(f"{kind} name should be a string. Got {typename(name)}")
    if "." in name:
        raise KeyError(f'{kind} name can\'t contain "."')
    if name == "":
        raise KeyError(f'{kind} name can\'t be empty string ""')
    if hasattr(module, name) and name not in registry:
        raise KeyError(f"attribute '{name}' already exists")


def _swap_in(old: Tensor, new: Tensor) -> None:
    """``old.data = new`` keeping ``old``'s identity (what ``_apply`` does to parameters)."""
    if new is not old:
        old._array = new._array


def _load_one(module: Module, name: str, param: Tensor, value: Tensor, assign: bool) -> None:
    with no_grad():
        if assign:
            if isinstance(param, Parameter):
                if not isinstance(value, Parameter):
                    value = Parameter(value, requires_grad=param.requires_grad)
                else:
                    value.requires_grad_(param.requires_grad)
            setattr(module, name, value)
        else:
            param.copy_(value)


def _run_load(action: Callable[[], None], key: str, param: Tensor, value: Tensor,
              error_msgs: list[str]) -> None:  # fmt: skip
    try:
        action()
    except Exception as ex:
        error_msgs.append(
            f'While copying the parameter named "{key}", whose dimensions in the model are '
            f"{param.size()} and whose dimensions in the checkpoint are {value.size()}, an "
            f"exception occurred : {ex.args}."
        )


def _load_tree(module: Module, state_dict: Any, prefix: str, metadata: Any, assign: bool,
               missing: list[str], unexpected: list[str], error_msgs: list[str],
               post_hooks: list[Any]) -> None:  # fmt: skip
    """load_state_dict's recursion: each module sees only the keys under its prefix."""
    local_metadata = {} if metadata is None else metadata.get(prefix[:-1], {})
    if assign:
        local_metadata["assign_to_params_buffers"] = assign
    module._load_from_state_dict(state_dict, prefix, local_metadata, True, missing, unexpected,
                                 error_msgs)  # fmt: skip
    for name, child in module._modules.items():
        if child is not None:
            child_prefix = prefix + name + "."
            child_sd = {k: v for k, v in state_dict.items() if k.startswith(child_prefix)}
            _load_tree(child, child_sd, child_prefix, metadata, assign, missing, unexpected,
                       error_msgs, post_hooks)  # fmt: skip
    for hook in module._load_state_dict_post_hooks.values():
        post_hooks.append((module, hook))


_MIXED_BACKWARD_MSG = (
    "Cannot use both regular backward hooks and full backward hooks on a single Module. Please "
    "use only one of them."
)
_LEGACY_OUT_MSG = (
    "Using non-full backward hooks on a Module that does not return a single Tensor or a tuple of "
    "Tensors is deprecated and will be removed in future versions. This hook will be missing some "
    "of the grad_output. Please use register_full_backward_hook to get the documented behavior."
)
_LEGACY_IN_MSG = (
    "Using non-full backward hooks on a Module that does not take as input a single Tensor or a "
    "tuple of Tensors is deprecated and will be removed in future versions. This hook will be "
    "missing some of the grad_input. Please use register_full_backward_hook to get the documented "
    "behavior."
)
_LEGACY_NESTED_MSG = (
    "Using a non-full backward hook when outputs are nested in python data structure is deprecated "
    "and will be removed in future versions. This hook will be missing some grad_output."
)
_LEGACY_MULTI_OUT_MSG = (
    "Using a non-full backward hook when outputs are generated by different autograd Nodes is "
    "deprecated and will be removed in future versions. This hook will be missing some "
    "grad_output. Please use register_full_backward_hook to get the documented behavior."
)
_LEGACY_MULTI_NODE_MSG = (
    "Using a non-full backward hook when the forward contains multiple autograd Nodes is "
    "deprecated and will be removed in future versions. This hook will be missing some "
    "grad_input. Please use register_full_backward_hook to get the documented behavior."
)

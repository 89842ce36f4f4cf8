"""``ember.compile``: torch.compile's interface, running eagerly.

Compiling a module returns an :class:`OptimizedModule` that holds the model as ``_orig_mod`` and
forwards calls and attributes to it, as torch's wrapper does; its state_dict keys therefore carry
the ``_orig_mod.`` prefix, which is what checkpoints written from compiled torch models contain.
Compiling a function returns a wrapper that calls it.
"""

from __future__ import annotations

import functools
from typing import Any, Callable

from .nn.modules.module import Module

__all__ = ["compile", "OptimizedModule"]

class OptimizedModule(Module):
    r"""A compiled module: ``_orig_mod`` is the model; calls and attributes go to it."""

    _opt_mod_attributes = frozenset({"_orig_mod", "dynamo_ctx", "forward", "_forward",
                                     "__dict__", "_super_module_initialized"})  # fmt: skip

    def __init__(self, mod: Any, dynamo_ctx: Any = None) -> None:
        # _orig_mod first: Module.__init__ may read attributes, which forward to it
        object.__setattr__(self, "_orig_mod", mod)
        object.__setattr__(self, "_super_module_initialized", False)
        super().__init__()
        self._super_module_initialized = True
        self._orig_mod = mod  # registers it as the child "_orig_mod"
        self.dynamo_ctx = dynamo_ctx

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self._orig_mod(*args, **kwargs)

    @property
    def training(self) -> bool:
        return self._orig_mod.training

    @training.setter
    def training(self, value: bool) -> None:
        # torch: Module.__init__'s default is ignored; the flag mirrors the model's
        if self.__dict__.get("_super_module_initialized"):
            self._orig_mod.training = value

    def __getattr__(self, name: str) -> Any:
        if name == "_orig_mod":
            return self.__dict__["_modules"]["_orig_mod"]
        return getattr(self._orig_mod, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if hasattr(type(self), name) or name in OptimizedModule._opt_mod_attributes:
            return super().__setattr__(name, value)
        return setattr(self._orig_mod, name, value)

    def __delattr__(self, name: str) -> None:
        if hasattr(type(self), name) or name in OptimizedModule._opt_mod_attributes:
            return super().__delattr__(name)
        return delattr(self._orig_mod, name)

    def __len__(self) -> int:
        if hasattr(type(self._orig_mod), "__len__"):
            return len(self._orig_mod)
        raise TypeError(f"{type(self._orig_mod).__name__} does not support len()")

    def __dir__(self) -> list[str]:
        own = self._orig_mod.__dir__()
        return own + [a for a in super().__dir__() if a not in own]

    def __reduce__(self) -> Any:
        return (self.__class__, (self._orig_mod, self.dynamo_ctx))



def compile(model: Callable | None = None, *, fullgraph: bool = False, dynamic: bool | None = None,
            backend: str | Callable = "inductor", mode: str | None = None,
            options: dict[str, Any] | None = None, disable: bool = False,
            **kwargs: Any) -> Any:  # fmt: skip
    r"""torch.compile's signature; ember runs eagerly, so the result computes what ``model`` does.

    A module comes back wrapped in an ``OptimizedModule`` (``_orig_mod`` is the module, state_dict
    keys gain the ``_orig_mod.`` prefix); a function comes back wrapped; with no ``model``, a
    decorator.

    Examples::

        >>> import ember
        >>> f = ember._compile.compile(lambda x: x + 1)
        >>> f(ember.tensor(1.0))
        tensor(2.)
    """
    if mode is not None and options is not None:
        raise RuntimeError("Either mode or options can be specified, but both can't be specified at the same time.")  # noqa: E501
    if model is None:
        def fn(model: Callable) -> Any:
            if model is None:
                raise RuntimeError("Model can't be None")
            return compile(model, fullgraph=fullgraph, dynamic=dynamic, backend=backend,
                           mode=mode, options=options, disable=disable, **kwargs)  # fmt: skip

        return fn
    if disable:
        return model
    if isinstance(model, Module):
        return OptimizedModule(model)
    if not callable(model):
        raise RuntimeError("compile() expects a callable or a torch.nn.Module")

    @functools.wraps(model)
    def compiled(*args: Any, **kw: Any) -> Any:
        return model(*args, **kw)

    compiled._torchdynamo_orig_callable = model  # type: ignore[attr-defined]
    return compiled

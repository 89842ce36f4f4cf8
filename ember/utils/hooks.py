"""``RemovableHandle``: what every ``register_*_hook`` returns."""

from __future__ import annotations

import weakref
from collections import OrderedDict
from typing import Any

__all__ = ["RemovableHandle", "unserializable_hook", "warn_if_has_hooks", "BackwardHook"]


class RemovableHandle:
    r"""A handle that removes its hook from the hook dict(s) it was added to.

    Ids come from one process-wide counter shared by every kind of hook, as in torch. The handle
    keeps only weak references to the dicts, and works as a context manager.
    """

    id: int
    next_id: int = 0

    def __init__(self, hooks_dict: Any, *, extra_dict: Any = None) -> None:
        self.hooks_dict_ref = weakref.ref(hooks_dict)
        self.id = RemovableHandle.next_id
        RemovableHandle.next_id += 1
        self.extra_dict_ref: tuple[Any, ...] = ()
        if isinstance(extra_dict, dict):
            self.extra_dict_ref = (weakref.ref(extra_dict),)
        elif isinstance(extra_dict, list):
            self.extra_dict_ref = tuple(weakref.ref(d) for d in extra_dict)

    def remove(self) -> None:
        """Remove the hook (doing it twice is harmless)."""
        hooks_dict = self.hooks_dict_ref()
        if hooks_dict is not None and self.id in hooks_dict:
            del hooks_dict[self.id]
        for ref in self.extra_dict_ref:
            d = ref()
            if d is not None and self.id in d:
                del d[self.id]

    def __getstate__(self) -> tuple[Any, ...]:
        if self.extra_dict_ref:
            return (self.hooks_dict_ref(), self.id, tuple(r() for r in self.extra_dict_ref))
        return (self.hooks_dict_ref(), self.id)

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        if state[0] is None:
            self.hooks_dict_ref = weakref.ref(OrderedDict())
        else:
            self.hooks_dict_ref = weakref.ref(state[0])
        self.id = state[1]
        RemovableHandle.next_id = max(RemovableHandle.next_id, self.id + 1)
        self.extra_dict_ref = tuple(weakref.ref(d) for d in state[2]) if len(state) > 2 else ()

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


def unserializable_hook(f: Any) -> Any:
    """Mark a hook as not to be serialized (accepted for compatibility)."""
    f.__torch_unserializable__ = True
    return f


def warn_if_has_hooks(tensor: Any) -> None:
    """Warn when a tensor with backward hooks is about to be serialized."""
    meta = getattr(tensor, "_meta", None)
    if meta and meta.get("hooks"):
        import warnings  # noqa: PLC0415

        warnings.warn("backward hooks on a tensor are not serialized", stacklevel=2)


# --- module backward hooks ---------------------------------------------------------------------


def _identity_function() -> Any:
    """The identity autograd Function whose node carries a module's full backward hooks."""
    global _BackwardHookFunction
    if _BackwardHookFunction is None:
        from ember.autograd.function import Function  # noqa: PLC0415

        class BackwardHookFunction(Function):
            @staticmethod
            def forward(ctx: Any, *args: Any) -> Any:
                outs = tuple(a.detach() for a in args)  # same memory and version counter
                ctx.mark_non_differentiable(*[o for a, o in zip(args, outs) if not a.requires_grad])
                return outs

            @staticmethod
            def backward(ctx: Any, *grads: Any) -> Any:
                return grads

        _BackwardHookFunction = BackwardHookFunction
    return _BackwardHookFunction


_BackwardHookFunction: Any = None


class BackwardHook:
    r"""Runs a module's full backward (pre-)hooks.

    The module's tensor inputs and its tensor outputs each go through an identity autograd
    Function; a hook on the output node sees ``grad_output`` (backward pre-hooks run there), a
    hook on the input node sees ``grad_input`` and calls the full backward hooks with both.
    Non-tensor positions are reported as ``None``.
    """

    def __init__(self, module: Any, user_hooks: list[Any], user_pre_hooks: list[Any]) -> None:
        self.user_hooks = user_hooks
        self.user_pre_hooks = user_pre_hooks
        self.module = module
        self.grad_outputs: tuple[Any, ...] | None = None
        self.n_outputs = -1
        self.output_tensors_index: list[int] | None = None
        self.n_inputs = -1
        self.input_tensors_index: list[int] | None = None

    @staticmethod
    def _pack_with_none(indices: Any, values: Any, size: int) -> tuple[Any, ...]:
        res: list[Any] = [None] * size
        for idx, val in zip(indices, values):
            res[idx] = val
        return tuple(res)

    @staticmethod
    def _unpack_none(indices: Any, values: Any) -> tuple[Any, ...]:
        return tuple(values[idx] for idx in indices)

    def _set_user_hook(self, grad_fn: Any) -> None:
        def hook(grad_input: Any, _: Any) -> Any:
            if self.grad_outputs is None:
                return None  # the gradient reached the inputs without passing the outputs
            res = self._pack_with_none(self.input_tensors_index, grad_input, self.n_inputs)
            for user_hook in self.user_hooks:
                out = user_hook(self.module, res, self.grad_outputs)
                if out is None:
                    continue
                if len(out) != len(res):
                    raise RuntimeError(
                        "Backward hook returned an invalid number of grad_input, "
                        f"got {len(out)}, but expected {len(res)}"
                    )
                res = out
            self.grad_outputs = None
            return self._unpack_none(self.input_tensors_index, res)

        grad_fn.register_hook(hook)

    def _apply_on_tensors(self, fn: Any, args: tuple[Any, ...]) -> tuple[Any, Any]:
        from ember._tensor import Tensor  # noqa: PLC0415
        from ember.autograd.grad_mode import is_grad_enabled  # noqa: PLC0415

        tensors_idx = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        tensors = [args[i] for i in tensors_idx]
        if not (any(t.requires_grad for t in tensors) and is_grad_enabled()):
            return args, None
        new_tensors = _identity_function().apply(*tensors)
        grad_fns = [t.grad_fn for t in new_tensors if t.grad_fn is not None]
        fn(grad_fns[0])
        arg_list = list(args)
        for idx, val in zip(tensors_idx, new_tensors):
            arg_list[idx] = val
        return (tuple(arg_list) if type(args) is tuple else type(args)(*arg_list)), tensors_idx

    def setup_input_hook(self, args: tuple[Any, ...]) -> tuple[Any, ...]:
        """Route the module's tensor inputs through the identity node that calls the hooks."""
        res, input_idx = self._apply_on_tensors(self._set_user_hook, args)
        self.n_inputs = len(args)
        self.input_tensors_index = input_idx
        return res

    def _output_hook(self, grad_output: Any) -> Any:
        self.grad_outputs = self._pack_with_none(self.output_tensors_index, grad_output,
                                                 self.n_outputs)  # fmt: skip
        expected_len = len(self.grad_outputs)
        for user_pre_hook in self.user_pre_hooks:
            new = user_pre_hook(self.module, self.grad_outputs)
            if new is None:
                continue
            if len(new) != expected_len:
                raise RuntimeError(
                    "Backward pre hook returned an invalid number of grad_output, "
                    f"got {len(new)}, but expected {expected_len}"
                )
            self.grad_outputs = new
        local_grad_outputs = self.grad_outputs
        if self.input_tensors_index is None:
            # torch: no input requires grad, so the full hooks fire here, on the output grads.
            import warnings  # noqa: PLC0415

            warnings.warn(
                "Full backward hook is firing when gradients are computed with respect to module "
                "outputs since no inputs require gradients. See "
                "https://docs.pytorch.org/docs/main/generated/torch.nn.Module.html#torch.nn.Module.register_full_backward_hook "  # noqa: E501
                "for more details.",
                stacklevel=5,
            )
            grad_inputs = self._pack_with_none([], [], self.n_inputs)
            for user_hook in self.user_hooks:
                res = user_hook(self.module, grad_inputs, self.grad_outputs)
                if res is not None and not (isinstance(res, tuple) and all(el is None for el in res)):  # noqa: E501
                    raise RuntimeError(
                        "Backward hook for Modules where no input requires gradient should always "
                        "return None or None for all gradients."
                    )
            self.grad_outputs = None
        if local_grad_outputs is None:
            return None
        return tuple(local_grad_outputs[i] for i in self.output_tensors_index or ())

    def setup_output_hook(self, args: Any) -> Any:
        """Route the module's tensor outputs through the identity node that sees grad_output."""
        def fn(grad_fn: Any) -> None:
            grad_fn.register_hook(lambda _, grad_output: self._output_hook(grad_output))

        is_tuple = isinstance(args, tuple)
        if not is_tuple:
            args = (args,)
        res, output_idx = self._apply_on_tensors(fn, args)
        self.n_outputs = len(args)
        self.output_tensors_index = output_idx
        return res if is_tuple else res[0]

"""Graph nodes: what ``tensor.grad_fn`` is, and the ``AccumulateGrad`` node behind each leaf.

A node is created by each recorded op. It is also the op's ``ctx``: the forward stores what the
backward needs on it (``ctx.save_for_backward(...)``, plain attributes), and the engine calls the
op's backward with it. ``_next`` holds one edge per op input: ``(node, output_nr)`` or ``None``
for inputs that need no gradient.
"""

from __future__ import annotations

import itertools
import re
import weakref
from typing import Any, Callable, Sequence

from .grad_mode import _state

__all__ = ["Node", "AccumulateGrad"]

_seq = itertools.count()


def _tensor_module() -> Any:
    # ember._tensor imports this module; import it lazily once, then keep the reference
    global _tensor_mod
    if _tensor_mod is None:
        from .. import _tensor as mod  # noqa: PLC0415

        _tensor_mod = mod
    return _tensor_mod


_tensor_mod: Any = None

_ZEROS = (0,) * 8

FREED_MSG = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you call "
    ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the "
    "graph a second time or if you need to access saved tensors after calling backward."
)


class Node:
    """A recorded operation (torch's ``grad_fn``); its class name is torch's (``MulBackward0``)."""

    # perf: what every node sets lives in slots; the rest are class-level defaults, and only
    # what an op actually stores lands in the instance dict.
    __slots__ = ("_seq", "_next", "needs_input_grad", "__dict__", "__weakref__")
    _seq: float  # creation order (the engine runs later nodes first); inf for AccumulateGrad
    _next: tuple[Any, ...]  # per input: its gradient edge (node, output_nr), or None
    needs_input_grad: tuple[bool, ...]
    _op: Any = None
    _saved: tuple[Any, ...] | None = ()
    _versions: Sequence[int] = ()
    _out: Any = None
    _n_out = 1
    _pre_hooks: dict[int, Callable[..., Any]] | None = None
    _post_hooks: dict[int, Callable[..., Any]] | None = None
    _tensor_hooks: dict[int, dict[int, Any]] | None = None  # output_nr -> {handle id: hook}
    _retain: dict[int, Any] | None = None  # output_nr -> weakref of a retain_grad() tensor
    _metadata: dict[str, Any] | None = None
    _single: Any = None  # the op's backward, for single-output op nodes (engine fast path)
    recording = True  # forward code can skip backward-only work when False (no-grad context)

    def __init__(self) -> None:
        self._seq = next(_seq)

    # --- what the engine and users see -------------------------------------------------------
    def name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{type(self).__name__} object at {id(self):#x}>"

    @property
    def next_functions(self) -> tuple[tuple[Any, int], ...]:
        return tuple(e if e is not None else (None, 0) for e in self._next)

    @property
    def metadata(self) -> dict[str, Any]:
        if self._metadata is None:
            self._metadata = {}
        return self._metadata

    def register_hook(self, fn: Callable[..., Any]) -> Any:
        """``fn(grad_inputs, grad_outputs)`` after this node's backward; may return new grad_inputs."""
        from ..utils.hooks import RemovableHandle  # noqa: PLC0415

        if self._post_hooks is None:
            self._post_hooks = _Hooks()
        h = RemovableHandle(self._post_hooks)
        self._post_hooks[h.id] = fn
        self._hooked = True
        self._single = None
        return h

    def register_prehook(self, fn: Callable[..., Any]) -> Any:
        """``fn(grad_outputs)`` before this node's backward; may return new grad_outputs."""
        from ..utils.hooks import RemovableHandle  # noqa: PLC0415

        if self._pre_hooks is None:
            self._pre_hooks = _Hooks()
        h = RemovableHandle(self._pre_hooks)
        self._pre_hooks[h.id] = fn
        self._hooked = True
        self._single = None
        return h

    # --- saved tensors -----------------------------------------------------------------------
    def save_for_backward(self, *tensors: Any) -> None:
        self._saved = tensors
        for t in tensors:
            if t is not None and t._vc is not None:
                self._versions = [t._vc[0] if t is not None and t._vc is not None else 0 for t in tensors]  # noqa: E501
                return
        # perf: no tensor here was ever modified in place or viewed (no counter: version 0), so a
        # shared tuple of zeros is the snapshot; saved_tensors zips it to the saved tensors
        self._versions = _ZEROS if len(tensors) <= len(_ZEROS) else (0,) * len(tensors)

    @property
    def saved_tensors(self) -> tuple[Any, ...]:
        saved = self._saved
        if saved is None:
            raise RuntimeError(FREED_MSG)
        for t, v in zip(saved, self._versions):
            if t is not None and t._vc is not None and t._vc[0] != v:
                raise RuntimeError(_modified_msg(t, t._vc[0], v))
        return saved

    _hooked = False  # set once any hook is registered on this node (engine fast path)

    @property
    def output(self) -> Any:
        """The op's own output, for backwards written in terms of it (exp, tanh, sigmoid, relu).

        Kept as an array plus its version counter rather than as the Tensor, which would be a
        reference cycle; under ``create_graph`` it comes back with this node as its grad_fn.
        """
        out = self._out
        if out is None:
            raise RuntimeError(FREED_MSG)
        array, vc, v = out
        wrap = _tensor_module()._wrap
        if vc[0] != v:
            raise RuntimeError(_modified_msg(wrap(array, False, self), vc[0], v))
        return wrap(array, True, self) if _state.enabled else wrap(array)

    def _release(self) -> None:
        """Free what the forward saved (called after backward unless retain_graph)."""
        d = self.__dict__
        d["_saved"] = None
        d["_out"] = None

    def _backward(self, grads: list[Any]) -> tuple[Any, ...]:
        return self._op.backward(self, *grads)


def _modified_msg(t: Any, now: int, expected: int) -> str:
    from .._tensor import typename_of  # noqa: PLC0415

    # torch names the producing op without its "Backward0" suffix here ("output 0 of Add")
    op = re.sub(r"Backward\d*$", "", t.grad_fn.name()) if t.grad_fn is not None else ""
    where = f", which is output {t._output_nr} of {op}," if t.grad_fn is not None else ""
    return (
        "one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: [{typename_of(t)} [{', '.join(map(str, t.shape))}]]{where} is at version "
        f"{now}; expected version {expected} instead. Hint: enable anomaly detection to find the "
        "operation that failed to compute its gradient, with "
        "torch.autograd.set_detect_anomaly(True, check_nan=False)."
    )


class _Hooks(dict):
    """A hook dict (a dict subclass, so RemovableHandle can hold it weakly)."""


class AccumulateGrad(Node):
    """The node at a leaf tensor: adds the incoming gradient into ``tensor.grad``."""

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"

    _next = ()

    def __init__(self, tensor: Any) -> None:
        self._seq = float("inf")  # torch: accumulation runs as soon as it is ready
        self._var = weakref.ref(tensor)

    @property
    def variable(self) -> Any:
        return self._var()

    def _release(self) -> None:
        pass

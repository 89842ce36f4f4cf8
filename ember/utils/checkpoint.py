"""Activation checkpointing (``torch.utils.checkpoint``): trade compute for memory.

``checkpoint(fn, *args)`` returns what ``fn(*args)`` returns, but the graph recorded inside ``fn``
(and the activations its nodes save) is dropped after the forward pass. The result hangs off one
node; when backward reaches it, that node reruns ``fn`` with the forward's RNG state restored,
backpropagates through the fresh graph, and hands the gradients on.

Two flavours, as in torch:

* ``use_reentrant=False`` (recommended): the forward runs once with grad enabled so that ember can
  see which leaf tensors ``fn`` reads (its parameters, even when captured by a closure); those
  become inputs of the checkpoint node, so ``autograd.grad`` and ``backward`` both work.
* ``use_reentrant=True`` (torch's old default): the forward runs under ``no_grad``; only the
  explicit tensor arguments are inputs of the node, and the backward pass calls
  ``ember.autograd.backward`` on the recomputed graph, which accumulates parameter gradients into
  ``.grad`` directly.
"""

from __future__ import annotations

import warnings
from typing import Any, Callable, Iterable

from .. import _random
from .._tensor import Tensor
from ..autograd import grad_mode
from ..autograd.engine import _task, run_backward
from ..autograd.function import Function
from ..autograd.graph import AccumulateGrad, Node

__all__ = ["checkpoint", "checkpoint_sequential", "CheckpointError", "noop_context_fn",
           "detach_variable", "check_backward_validity"]  # fmt: skip


class CheckpointError(RuntimeError):
    """Raised when the recomputation does not match the original forward."""


def noop_context_fn() -> tuple[Any, Any]:
    """The default ``context_fn``: no context around either the forward or the recomputation."""
    import contextlib  # noqa: PLC0415

    return contextlib.nullcontext(), contextlib.nullcontext()


def detach_variable(inputs: tuple[Any, ...]) -> tuple[Any, ...]:
    """Detach each tensor of ``inputs``, keeping its ``requires_grad`` flag."""
    if not isinstance(inputs, tuple):
        raise RuntimeError(
            "Only tuple of tensors is supported. Got Unsupported input type: "
            f"{type(inputs).__name__}"
        )
    out = []
    for inp in inputs:
        if not isinstance(inp, Tensor):
            out.append(inp)
            continue
        x = inp.detach()
        x.requires_grad = inp.requires_grad
        out.append(x)
    return tuple(out)


def check_backward_validity(inputs: Iterable[Any]) -> None:
    """Warn (as torch does) when no tensor input requires grad."""
    if not any(inp.requires_grad for inp in inputs if isinstance(inp, Tensor)):
        warnings.warn("None of the inputs have requires_grad=True. Gradients will be None",
                      stacklevel=2)


def _as_tuple(out: Any) -> tuple[Any, ...]:
    return (out,) if isinstance(out, Tensor) else tuple(out)


class _Recompute:
    """What the checkpoint node needs to rerun the forward: the function, its arguments and the
    RNG state the forward started from."""

    def __init__(self, function: Callable[..., Any], args: tuple[Any, ...],
                 kwargs: dict[str, Any], preserve_rng_state: bool, context_fn: Any) -> None:
        self.function, self.args, self.kwargs = function, args, kwargs
        self.rng_state = _random.get_rng_state() if preserve_rng_state else None
        self.context_fn = context_fn
        self.outputs: tuple[Any, ...] = ()  # the forward's outputs, detached

    def rerun(self, tensor_args: tuple[Any, ...]) -> tuple[Any, ...]:
        """Run the function again, with grad enabled, on fresh leaves for the tensor arguments."""
        it = iter(tensor_args)
        args = tuple(next(it) if isinstance(a, Tensor) else a for a in self.args)
        outer = _random.get_rng_state() if self.rng_state is not None else None
        if self.rng_state is not None:
            _random.set_rng_state(self.rng_state)
        try:
            with grad_mode.enable_grad(), self.context_fn()[1]:
                out = self.function(*args, **self.kwargs)
        finally:
            if outer is not None:
                _random.set_rng_state(outer)
        return _as_tuple(out)


class CheckpointFunction(Function):
    """The node standing for the whole checkpointed region; inputs are ``(state, *tensors)``."""

    @staticmethod
    def forward(ctx: Any, state: _Recompute, reentrant: bool, n_args: int, *tensors: Any) -> Any:
        ctx.state, ctx.reentrant, ctx.n_args = state, reentrant, n_args
        ctx.save_for_backward(*tensors)
        outs = state.outputs
        return outs[0] if len(outs) == 1 else outs

    @staticmethod
    def backward(ctx: Any, *grads: Any) -> Any:
        if ctx.reentrant and not _task.checkpoint_valid:
            raise RuntimeError(
                "When use_reentrant=True, torch.utils.checkpoint is incompatible with .grad() or "
                "passing an `inputs` parameter to .backward(). To resolve this error, you can "
                "either set use_reentrant=False, or call .backward() without passing the `inputs` "
                "argument."
            )
        state = ctx.state
        tensors = ctx.saved_tensors
        create = grad_mode.is_grad_enabled()  # the engine enables grad for create_graph=True
        args = tuple(tensors[: ctx.n_args])
        if not create or ctx.reentrant:
            args = detach_variable(args)
        # For double backward the recomputation reads the inputs themselves, so that the
        # gradients it returns stay connected to them (the engine then also walks the graph
        # before the checkpoint, without accumulating anything there).
        outs = state.rerun(args)
        pairs = [(o, g) for o, g in zip(outs, grads)
                 if isinstance(o, Tensor) and o.requires_grad and g is not None]
        if not pairs:
            raise RuntimeError("none of output has requires_grad=True, this checkpoint() is not "
                               "necessary")
        roots, gs = [o for o, _ in pairs], [g for _, g in pairs]
        if ctx.reentrant:
            # parameters read by the function receive their gradient in .grad, as in torch
            run_backward(roots, gs, retain_graph=False, create_graph=False)
            return (None, None, None) + tuple(a.grad if isinstance(a, Tensor) else None
                                              for a in args)
        wanted = list(args) + list(tensors[ctx.n_args:])
        need = [t for t in wanted if t.requires_grad]
        got = iter(run_backward(roots, gs, retain_graph=create, create_graph=create, inputs=need,
                                accumulate=False, allow_unused=True,
                                checkpoint_valid=_task.checkpoint_valid) or ())
        return (None, None, None) + tuple(next(got) if t.requires_grad else None for t in wanted)


def _leaves_read(outputs: tuple[Any, ...], start_seq: int) -> list[Any] | None:
    """Leaf tensors the graph behind ``outputs`` reads, or None when it also reads a non-leaf
    tensor made before the checkpoint (which cannot be recomputed from leaves)."""
    leaves: dict[int, Any] = {}
    seen: set[int] = set()
    stack: list[Node] = [o.grad_fn for o in outputs
                         if isinstance(o, Tensor) and o.grad_fn is not None]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if type(node) is AccumulateGrad:
            leaves[id(node.variable)] = node.variable
            continue
        if node._seq < start_seq:
            return None
        stack.extend(e[0] for e in node._next if e is not None)
    return list(leaves.values())


def _checkpoint_no_reentrant(function: Callable[..., Any], preserve: bool, context_fn: Any,
                             args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    if not grad_mode.is_grad_enabled():
        return function(*args, **kwargs)
    state = _Recompute(function, args, kwargs, preserve, context_fn)
    # Run on detached leaves, so the walk below stops at the arguments.
    tensor_args = detach_variable(tuple(a for a in args if isinstance(a, Tensor)))
    it = iter(tensor_args)
    local = tuple(next(it) if isinstance(a, Tensor) else a for a in args)
    from ..autograd import graph  # noqa: PLC0415

    start = next(graph._seq)
    rng = _random.get_rng_state()
    with context_fn()[0]:
        out = function(*local, **kwargs)
    flat = isinstance(out, Tensor) or (isinstance(out, tuple | list) and not any(
        isinstance(o, tuple | list | dict) for o in out))
    leaves = _leaves_read(_as_tuple(out), start) if flat else None
    if leaves is None:
        # Nested outputs, or the function reads a non-leaf tensor made outside the checkpoint:
        # no recomputation, run it plainly (from the same RNG state). See docs/differences.md.
        _random.set_rng_state(rng)
        return function(*args, **kwargs)
    arg_ids = {id(a) for a in tensor_args}
    params = [t for t in leaves if id(t) not in arg_ids]
    originals = [a for a in args if isinstance(a, Tensor)]
    was_list = isinstance(out, list)
    state.outputs = tuple(o.detach() if isinstance(o, Tensor) else o for o in _as_tuple(out))
    del out, local, it  # drop the region's graph and the activations its nodes saved
    res = CheckpointFunction.apply(state, False, len(originals), *originals, *params)
    return list(res) if was_list else res


def checkpoint(function: Callable[..., Any], *args: Any, use_reentrant: bool | None = None,
               context_fn: Callable[[], tuple[Any, Any]] = noop_context_fn,
               determinism_check: str = "default", debug: bool = False,
               early_stop: bool = True, **kwargs: Any) -> Any:
    r"""Run ``function(*args, **kwargs)`` without keeping its activations; recompute in backward.

    Gradients equal those of the plain call; random ops draw the same numbers in the
    recomputation (``preserve_rng_state=True``, the default).

    Examples::

        >>> import ember
        >>> from ember.utils.checkpoint import checkpoint
        >>> x = ember.tensor([1.0, 2.0], requires_grad=True)
        >>> y = checkpoint(lambda t: (t * t).sin(), x, use_reentrant=False)
        >>> y.sum().backward()
        >>> x.grad.shape
        torch.Size([2])
    """
    if use_reentrant is None:
        warnings.warn(
            "torch.utils.checkpoint: the use_reentrant parameter should be "
            "passed explicitly. Starting in PyTorch 2.9, calling checkpoint "
            "without use_reentrant will raise an exception. use_reentrant=False is "
            "recommended, but if you need to preserve the current default "
            "behavior, you can pass use_reentrant=True. Refer to docs for more "
            "details on the differences between the two variants.",
            stacklevel=2,
        )
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs and use_reentrant:
        raise ValueError("Unexpected keyword arguments: " + ",".join(arg for arg in kwargs))
    if use_reentrant:
        if context_fn is not noop_context_fn or debug is not False:
            raise ValueError(
                "Passing `context_fn` or `debug` is only supported when use_reentrant=False."
            )
        check_backward_validity(args)
        state = _Recompute(function, args, {}, preserve, noop_context_fn)
        with grad_mode.no_grad():
            state.outputs = _as_tuple(function(*args))
        tensors = [a for a in args if isinstance(a, Tensor)]
        return CheckpointFunction.apply(state, True, len(tensors), *tensors)
    return _checkpoint_no_reentrant(function, preserve, context_fn, args, kwargs)


def checkpoint_sequential(functions: Any, segments: int, input: Any,
                          use_reentrant: bool | None = None, **kwargs: Any) -> Any:
    r"""Split a sequence of modules into ``segments`` chunks and checkpoint all but the last.

    Examples::

        >>> import ember
        >>> from ember.utils.checkpoint import checkpoint_sequential
        >>> net = ember.nn.Sequential(ember.nn.Linear(2, 2), ember.nn.ReLU(), ember.nn.Linear(2, 1))
        >>> out = checkpoint_sequential(net, 2, ember.ones(3, 2), use_reentrant=False)
        >>> out.shape
        torch.Size([3, 1])
    """
    if use_reentrant is None:
        warnings.warn(
            "torch.utils.checkpoint.checkpoint_sequential: the use_reentrant "
            "parameter should be passed explicitly. "
            "In version 2.9 we will raise an exception if use_reentrant "
            "is not passed. use_reentrant=False is "
            "recommended, but if you need to preserve the current default "
            "behavior, you can pass use_reentrant=True. Refer to docs for more "
            "details on the differences between the two variants.",
            stacklevel=2,
        )
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(arg for arg in kwargs))
    from ..nn import Sequential  # noqa: PLC0415

    if isinstance(functions, Sequential):
        functions = list(functions.children())

    def run(start: int, end: int) -> Callable[[Any], Any]:
        def forward(x: Any) -> Any:
            for j in range(start, end + 1):
                x = functions[j](x)
            return x

        return forward

    size = len(functions) // segments
    end = -1
    for start in range(0, size * (segments - 1), size):
        end = start + size - 1
        input = checkpoint(run(start, end), input, use_reentrant=use_reentrant,
                           preserve_rng_state=preserve)
    return run(end + 1, len(functions) - 1)(input)

"""``Op``, the internal recipe for a differentiable op, and the public ``autograd.Function``.

Both pair a forward with a backward. ``Op.forward`` works on arrays (NumPy or CuPy) and returns
an array; ``Op.backward`` works on Tensors, so that ``create_graph=True`` records the backward
itself. ``Op.apply`` is the one place where graph nodes are recorded.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .grad_mode import _state
from .graph import AccumulateGrad, Node, _seq

_new = object.__new__

__all__ = ["Op", "Function", "FunctionCtx", "once_differentiable"]


class _NoGradCtx:
    """The ``ctx`` forwards get when nothing is recorded: every store is dropped."""

    __slots__ = ()
    recording = False
    needs_input_grad = ()

    def save_for_backward(self, *tensors: Any) -> None:
        pass

    def __setattr__(self, name: str, value: Any) -> None:
        pass


NO_CTX = _NoGradCtx()
_generic = np.generic
_ndarray = np.ndarray


class Op:
    """Base of every differentiable op: subclasses define ``forward`` and ``backward``.

    Class options: ``save_output`` keeps the output for ``ctx.output``; ``is_view`` marks ops
    whose output shares memory (and so the version counter) with input 0; ``node_name`` names
    the graph node when torch's name is not ``<ClassName>Backward0``.
    """

    _node_cls: type[Node]
    save_output = False
    is_view = False
    inplace_needs_copy = True  # in-place form must keep a copy of the old self for backward

    def __init_subclass__(cls, node_name: str | None = None, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        cls._node_cls = _NodeClass(node_name or f"{cls.__name__}Backward0")  # type: ignore[assignment]

    @staticmethod
    def forward(ctx: Any, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        raise NotImplementedError

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        """Run forward on the inputs' arrays; record a node if any input requires grad.

        Positional arguments are Tensors (or ``None``); everything else goes by keyword.
        """
        # perf: this is the hot path of every op; keep it flat.
        if _state.enabled:
            for a in args:
                if a is not None and a._rg:
                    return cls._record(args, kwargs)
        try:
            out = cls.forward(NO_CTX, *args, **kwargs)
        except TypeError:
            _check_devices(args)
            raise
        if isinstance(out, _generic):
            out = np.asarray(out)
        t = _wrap(out)
        if cls.is_view:
            t._vc = _share_vc(args[0])
        return t

    @classmethod
    def _record(cls, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        # perf: Node() and gradient_edge() are inlined; this runs once per recorded op.
        node = _new(cls._node_cls)
        node._seq = _next_seq()
        n = len(args)
        if n == 2:
            a, b = args
            ra = a is not None and a._rg
            rb = b is not None and b._rg
            node.needs_input_grad = _NEEDS2[ra][rb]
            edges: Any = ((_edge(a) if ra else None), (_edge(b) if rb else None))
        elif n == 1:
            node.needs_input_grad = _TRUE1
            edges = (_edge(args[0]),)
        else:
            needs = []
            edges = []
            for a in args:
                if a is not None and a._rg:
                    needs.append(True)
                    edges.append(_edge(a))
                else:
                    needs.append(False)
                    edges.append(None)
            node.needs_input_grad = tuple(needs)
            edges = tuple(edges)
        try:
            out = cls.forward(node, *args, **kwargs) if kwargs else cls.forward(node, *args)
        except TypeError:
            _check_devices(args)
            raise
        if type(out) is not _ndarray and isinstance(out, _generic):
            out = np.asarray(out)
        # perf: _wrap(out, True, node), inlined
        t = _new(_Tensor)
        t._array = out
        t._rg = True
        t.grad_fn = node
        t._grad = None
        t._vc = None
        t._output_nr = 0
        t._accumulator = None
        t._meta = None
        node._next = edges
        if cls.is_view:
            t._vc = _share_vc(args[0])
        if cls.save_output:
            vc = t._vc
            if vc is None:
                vc = t._vc = [0]
            node._out = (out, vc, vc[0])
        return t


class _NodeClass:
    """Builds an op's node class (``MulBackward0``, a ``Node`` subclass) on first use, then puts
    it on the op class in its own place. perf: ember defines ~100 ops and a program records a
    few; creating every class at import cost ~1 ms."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, op: type[Op]) -> type[Node]:
        node_cls = type(self.name, (Node,), {"_op": op, "_single": staticmethod(op.backward),
                                             "__module__": "ember.autograd.graph"})  # fmt: skip
        op._node_cls = node_cls
        return node_cls


_next_seq = _seq.__next__
_TRUE1 = (True,)
_NEEDS2 = {False: {False: (False, False), True: (False, True)},
           True: {False: (True, False), True: (True, True)}}  # fmt: skip


def _edge(a: Any) -> tuple[Any, int]:
    """The edge a gradient for input ``a`` flows along (``gradient_edge``, inlined for speed)."""
    fn = a.grad_fn
    if fn is not None:
        return fn, a._output_nr
    acc = a._accumulator
    if acc is None:
        acc = a._accumulator = AccumulateGrad(a)
    return (acc, 0)


def _check_devices(args: tuple[Any, ...]) -> None:
    """Turn a NumPy/CuPy operand clash into torch's "same device" error."""
    devs = []
    for a in args:
        if a is not None and hasattr(a, "_array"):
            d = a.device
            if d not in devs:
                devs.append(d)
    if len(devs) > 1:
        raise RuntimeError(
            "Expected all tensors to be on the same device, but found at least two devices, "
            f"{devs[-1] if devs[0].type == 'cpu' else devs[0]} and "
            f"{devs[0] if devs[0].type == 'cpu' else devs[-1]}!"
        )


def _share_vc(base: Any) -> list[int]:
    vc = base._vc
    if vc is None:
        vc = base._vc = [0]
    return vc


# --- the public autograd.Function ------------------------------------------------------------


class FunctionCtx:
    """Methods available on ``ctx`` inside a custom ``Function``'s forward and backward."""

    _dirty: tuple[Any, ...] = ()
    _non_diff: tuple[Any, ...] = ()
    materialize_grads = True

    def mark_dirty(self, *tensors: Any) -> None:
        self._dirty = tensors

    def mark_non_differentiable(self, *tensors: Any) -> None:
        self._non_diff = tensors

    def set_materialize_grads(self, value: bool) -> None:
        self.materialize_grads = value


class _FunctionNode(FunctionCtx, Node):
    _fn: Any = None
    _out_refs: tuple[Any, ...]  # the outputs, for zero grads (set by Function.apply)
    _in_shapes: tuple[tuple[int, ...] | None, ...]  # the input shapes, to check backward's

    def _backward(self, grads: list[Any]) -> tuple[Any, ...]:
        if self.materialize_grads:
            from .._tensor import zeros_like_array  # noqa: PLC0415

            grads = [g if g is not None else zeros_like_array(ref) for g, ref in zip(grads, self._out_refs)]
        out = self._fn.backward(self, *grads)
        if not isinstance(out, tuple):
            out = (out,)
        n = len(self._next)
        if len(out) < n:
            raise RuntimeError(
                f"function {type(self).__name__} returned an incorrect number of gradients "
                f"(expected {n}, got {len(out)})"
            )
        out = out[:n] if all(g is None for g in out[n:]) else out
        if len(out) != n:
            raise RuntimeError(
                f"function {type(self).__name__} returned an incorrect number of gradients "
                f"(expected {n}, got {len(out)})"
            )
        fixed = []
        for i, (g, shape) in enumerate(zip(out, self._in_shapes)):
            if g is not None and shape is not None and tuple(g.shape) != shape:
                from .._ops.shape import sum_to  # noqa: PLC0415

                try:
                    g = sum_to(g, shape)
                except Exception:
                    raise RuntimeError(
                        f"Function {type(self).__name__} returned an invalid gradient at index {i}"
                        f" - got {list(g.shape)} but expected shape compatible with {list(shape)}"
                    ) from None
            fixed.append(g)
        return tuple(fixed)


class _FunctionMeta(type):
    def __init__(cls, name: str, bases: tuple[type, ...], ns: dict[str, Any]) -> None:
        super().__init__(name, bases, ns)
        cls._backward_cls = type(f"{name}Backward", (_FunctionNode,), {"_fn": cls})


class Function(metaclass=_FunctionMeta):
    r"""Base class for custom differentiable operations.

    Define ``forward(ctx, *args)`` and ``backward(ctx, *grad_outputs)`` as static methods and call
    ``MyFn.apply(*args)``. Inside forward, ``ctx.save_for_backward(*tensors)`` keeps tensors for
    backward (read back as ``ctx.saved_tensors``); ``ctx.needs_input_grad`` tells which inputs
    need a gradient. backward returns one gradient (or ``None``) per forward argument.

    Examples::

        >>> import ember
        >>> class Square(ember.autograd.Function):
        ...     @staticmethod
        ...     def forward(ctx, x):
        ...         ctx.save_for_backward(x)
        ...         return x * x
        ...     @staticmethod
        ...     def backward(ctx, grad):
        ...         (x,) = ctx.saved_tensors
        ...         return 2 * x * grad
        >>> x = ember.tensor([3.0], requires_grad=True)
        >>> Square.apply(x).backward()
        >>> x.grad
        tensor([6.])
    """

    @staticmethod
    def forward(ctx: Any, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            "You must implement the forward function for custom autograd.Function."
        )

    @staticmethod
    def backward(ctx: Any, *grad_outputs: Any) -> Any:
        raise NotImplementedError(
            "You must implement either the backward or vjp method for your custom "
            "autograd.Function to use it with backward mode AD."
        )

    vjp = backward

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple[Any, ...], output: Any) -> None:
        raise NotImplementedError

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        from .._tensor import Tensor  # noqa: PLC0415
        from .engine import gradient_edge  # noqa: PLC0415

        node = cls._backward_cls()
        needs = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        node.needs_input_grad = needs
        record = _state.enabled and any(needs)
        custom_setup = cls.setup_context is not Function.setup_context
        prev = _state.enabled
        _state.enabled = False
        try:
            out = cls.forward(*args, **kwargs) if custom_setup else cls.forward(node, *args, **kwargs)
            if custom_setup:
                cls.setup_context(node, args, out)
        finally:
            _state.enabled = prev
        if not record:
            return out
        node._next = tuple(gradient_edge(a) if n else None for a, n in zip(args, needs))
        node._in_shapes = tuple(tuple(a.shape) if isinstance(a, Tensor) else None for a in args)
        single = not isinstance(out, tuple)
        outs = (out,) if single else out
        node._n_out = len(outs)
        wrapped = []
        non_diff = {id(t) for t in node._non_diff}
        dirty = {id(t) for t in node._dirty}
        for i, o in enumerate(outs):
            if not isinstance(o, Tensor):
                wrapped.append(o)
                continue
            if id(o) in non_diff or not (o.dtype.is_floating_point or o.dtype.is_complex):
                o.requires_grad = False
                wrapped.append(o)
                continue
            if any(o is a for a in args) and id(o) not in dirty:
                o = o._alias()  # torch: an input returned as-is comes back as a view
            o.grad_fn = node
            o.requires_grad = True
            o._output_nr = i
            wrapped.append(o)
        node._out_refs = tuple(o for o in wrapped)
        return wrapped[0] if single else tuple(wrapped)


def once_differentiable(fn: Any) -> Any:
    """Decorator for a backward that does not support double backward: runs it without recording."""
    import functools  # noqa: PLC0415

    from .grad_mode import no_grad  # noqa: PLC0415

    @functools.wraps(fn)
    def wrapper(ctx: Any, *grads: Any) -> Any:
        with no_grad():
            return fn(ctx, *grads)

    return wrapper



# Set by ember._tensor once Tensor exists (the two modules need each other).
_wrap: Any = None
_Tensor: Any = None

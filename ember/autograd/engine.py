"""The backward engine: walks the recorded graph from the outputs back to the leaves.

1. Find every node reachable from the roots.
2. Run them newest first. A node's inputs were always created before it, so creation order is a
   topological order: when a node runs, every gradient flowing into it has arrived. For each
   node: tensor hooks and pre-hooks, the op's backward, post-hooks; then each input gradient is
   handed to the next node along its edge (summed when several arrive).
3. Leaves (``AccumulateGrad`` nodes) run last and add into ``leaf.grad``; ``autograd.grad``
   captures gradients instead of accumulating them.
4. Unless ``retain_graph``, each node frees what its forward saved once it has run.
"""

from __future__ import annotations

import sys
from operator import attrgetter
from typing import Any

from .grad_mode import _state
from .graph import AccumulateGrad, Node

__all__ = ["run_backward"]

_by_seq = attrgetter("_seq")


class _Task:
    """What the running backward pass was asked for, for the ops that must know (checkpoint)."""

    checkpoint_valid = True  # False while it only computes the grads of given inputs


_task = _Task()


def gradient_edge(t: Any) -> tuple[Node, int]:
    """The (node, output_nr) a gradient for tensor ``t`` flows into."""
    if t.grad_fn is not None:
        return t.grad_fn, t._output_nr
    acc = t._accumulator
    if acc is None:
        acc = t._accumulator = AccumulateGrad(t)
    return acc, 0


def run_backward(
    roots: list[Any],
    grads: list[Any],
    retain_graph: bool,
    create_graph: bool,
    inputs: list[Any] | None = None,
    accumulate: bool = True,
    allow_unused: bool = False,
    checkpoint_valid: bool | None = None,
) -> list[Any] | None:
    """Backpropagate ``grads`` from ``roots``; with ``accumulate=False`` return grads of ``inputs``.

    ``checkpoint_valid`` (default: no ``inputs`` given) is whether a reentrant checkpoint may run
    its backward inside this pass; a pass run on behalf of an outer one passes the outer's.
    """
    # Gradient buffers: one list per node, one slot per node output.
    buffers: dict[Node, list[Any]] = {}
    for t, g in zip(roots, grads):
        node, nr = gradient_edge(t)
        buf = buffers.get(node)
        if buf is None:
            buf = buffers[node] = [None] * node._n_out
        buf[nr] = g if buf[nr] is None else buf[nr] + g

    capture: dict[tuple[Node, int], list[int]] = {}
    if inputs is not None:
        for i, t in enumerate(inputs):
            capture.setdefault(gradient_edge(t), []).append(i)  # a tensor may appear twice
    results: list[Any] = [None] * (len(inputs) if inputs is not None else 0)
    found = [False] * len(results)

    # 1. discovery
    nodes: list[Node] = []
    leaves: list[AccumulateGrad] = []
    stack = list(buffers)
    seen = set(stack)
    while stack:
        node = stack.pop()
        if type(node) is AccumulateGrad:
            leaves.append(node)
            continue
        nodes.append(node)
        for e in node._next:
            if e is not None and e[0] not in seen:
                seen.add(e[0])
                stack.append(e[0])
    nodes.sort(key=_by_seq, reverse=True)

    prev_mode, prev_valid = _state.enabled, _task.checkpoint_valid
    _state.enabled = create_graph
    # torch: a reentrant checkpoint refuses .grad() and backward(inputs=...)
    _task.checkpoint_valid = inputs is None if checkpoint_valid is None else checkpoint_valid
    try:
        # 2. interior nodes, newest first
        pop, get = buffers.pop, buffers.get
        owned: set[tuple[Node, int]] = set()  # buffer slots holding sums the engine allocated
        for node in nodes:
            buf = pop(node, None)
            if buf is None:
                if not retain_graph:
                    node._release()
                continue
            if capture:
                _capture(node, buf, capture, results, found)
            bw = node._single  # None once hooked: hooks take the general path
            if bw is not None:
                # perf: the common case, a single-output op node with no hooks
                g0 = buf[0]
                in_grads = bw(node, g0) if g0 is not None else (None,) * len(node._next)
                if type(in_grads) is not tuple:
                    in_grads = (in_grads,)
                if not retain_graph:
                    d = node.__dict__
                    d["_saved"] = None  # saved_tensors / output now raise torch's error
                    d["_out"] = None
            else:
                in_grads = _run_node(node, buf, retain_graph)
            for e, g in zip(node._next, in_grads):
                if g is None or e is None:
                    continue
                n, nr = e
                b = get(n)
                if b is None:
                    if n._n_out == 1:
                        buffers[n] = [g]
                    else:
                        b = buffers[n] = [None] * n._n_out
                        b[nr] = g
                else:
                    old = b[nr]
                    if old is None:
                        b[nr] = g
                    elif e in owned and old._array.shape == g._array.shape:
                        old._array += g._array  # perf: a sum the engine made: add in place
                    else:
                        b[nr] = old + g
                        if not create_graph:
                            owned.add(e)
        g = g0 = in_grads = None  # perf: drop the loop's references, so leaf grads can be unshared
        # 3. leaves
        for node in leaves:
            buf = buffers.pop(node, None)
            if buf is None or buf[0] is None:
                continue
            if capture:
                _capture(node, buf, capture, results, found)
            fresh = (node, 0) in owned or (not create_graph and _unshared(buf))
            if accumulate and (not capture or (node, 0) in capture):
                _accumulate(node, buf[0], create_graph, fresh)
    finally:
        _state.enabled, _task.checkpoint_valid = prev_mode, prev_valid

    if inputs is not None and not accumulate:
        for i, ok in enumerate(found):
            if not ok and not allow_unused:
                raise RuntimeError(
                    f"The differentiated Tensor at index {i} appears to not have been used in the "
                    "graph. Set allow_unused=True if this is the desired behavior."
                )
        return results
    return None


def _capture(node: Node, buf: list[Any], capture: dict[Any, list[int]], results: list[Any], found: list[bool]) -> None:  # noqa: E501
    for nr in range(node._n_out):
        idxs = capture.get((node, nr))
        if idxs is not None:
            g = _run_tensor_hooks(node, nr, buf[nr])
            buf[nr] = g
            for idx in idxs:
                results[idx] = g
                found[idx] = True


def _run_tensor_hooks(node: Node, nr: int, g: Any) -> Any:
    """Hooks registered with ``tensor.register_hook`` on a non-leaf, then ``retain_grad``."""
    hooks = node._tensor_hooks
    if hooks and g is not None:
        for h in list(hooks.get(nr, {}).values()):
            r = h(g)
            if r is not None:
                g = r
    retain = node._retain
    if retain and g is not None:
        ref = retain.get(nr)
        t = ref() if ref is not None else None
        if t is not None:
            t._grad = g.detach().clone() if t._grad is None else t._grad + g.detach()
    return g


def _run_node(node: Node, buf: list[Any], retain_graph: bool) -> tuple[Any, ...]:
    if not node._hooked:
        # perf: the common case, no hooks on this node
        out = node._backward(buf) if buf[0] is not None or node._n_out > 1 else (None,) * len(node._next)  # noqa: E501
        if type(out) is not tuple:
            out = (out,)
        if not retain_graph:
            node._release()
        return out
    if node._tensor_hooks or node._retain:
        for nr in range(node._n_out):
            buf[nr] = _run_tensor_hooks(node, nr, buf[nr])
    if node._pre_hooks:
        for h in list(node._pre_hooks.values()):
            r = h(tuple(buf))
            if r is not None:
                buf = list(r)
    if node._n_out == 1:
        out = node._backward(buf) if buf[0] is not None else (None,) * len(node._next)
    else:
        out = node._backward(buf)
    if type(out) is not tuple:
        out = (out,)
    if node._post_hooks:
        for h in list(node._post_hooks.values()):
            r = h(out, tuple(buf))
            if r is not None:
                out = tuple(r)
    if not retain_graph:
        node._release()
    return out


_refcount = getattr(sys, "getrefcount", None)  # CPython only; elsewhere nothing is stolen


def _unshared(buf: list[Any]) -> bool:
    """Whether the gradient ``buf[0]`` is referenced by nothing but ``buf``, and its memory by
    nothing but it: the leaf may then keep it as ``.grad`` without a copy.

    torch steals such a gradient too (``use_count() == 1`` in AccumulateGrad). An op's backward
    may hand one tensor to two inputs (add), return its incoming gradient, or keep what it returns;
    each of those leaves another reference behind. (Every count is taken on a fresh expression, so
    each one also holds the reference ``getrefcount``'s own argument adds.)
    """
    if _refcount is None or _refcount(buf[0]) != 2 or _refcount(buf[0]._array) != 2:
        return False
    a = buf[0]._array
    if a.base is not None:  # a view: only it may reference the array that owns the memory
        if type(a.base) is not type(a) or a.base.base is not None or _refcount(a.base) != 2:
            return False
    # torch's layout contract: ``.grad`` is dense and writable (no broadcast or transposed view)
    return a.flags.c_contiguous and getattr(a.flags, "writeable", True)  # CuPy: always writable


def _accumulate(acc: AccumulateGrad, g: Any, create_graph: bool, fresh: bool = False) -> None:
    t = acc.variable
    if t is None:
        return
    meta = t._meta
    hooked = meta is not None and bool(meta.get("hooks"))
    if meta is not None:
        for h in list(meta.get("hooks", {}).values()):
            r = h(g)
            if r is not None:
                g = r
    if g._array.dtype != t._array.dtype:
        g = g.to(t.dtype)
    if g._array.shape != t._array.shape:
        from .._ops.shape import sum_to  # noqa: PLC0415

        g = sum_to(g, t._array.shape)
    cur = t._grad
    if cur is None:
        # The engine may hand one gradient tensor to several edges (add, expand): own a copy,
        # unless the gradient is the engine's own (a sum it made, or unshared: ``_unshared``).
        t._grad = g if create_graph or (fresh and not hooked) else g.detach().clone()
    elif create_graph or cur._rg:
        t._grad = cur + g
    else:
        cur._array += g._array
    if meta is not None:
        for h in list(meta.get("post_acc_hooks", {}).values()):
            h(t)

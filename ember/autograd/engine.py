"""The backward engine: walks the recorded graph from the outputs back to the leaves.

1. Discover every node reachable from the roots and count, for each, how many edges point at it.
2. Run nodes once all their incoming gradients are in, newest first (torch's order on the CPU):
   tensor hooks and pre-hooks, the op's backward, post-hooks; then hand each input gradient to
   the next node along its edge, summing when several arrive.
3. ``AccumulateGrad`` nodes add into ``leaf.grad``; ``autograd.grad`` captures instead.
4. Unless ``retain_graph``, each node frees what its forward saved once it has run.
"""

from __future__ import annotations

import heapq
from typing import Any

from .grad_mode import _state
from .graph import FREED_MSG, AccumulateGrad, Node

__all__ = ["run_backward"]


def gradient_edge(t: Any) -> tuple[Node, int]:
    """The (node, output_nr) a gradient for tensor ``t`` flows into."""
    if t.grad_fn is not None:
        return t.grad_fn, t._output_nr
    acc = t._accumulator
    if acc is None:
        acc = t._accumulator = AccumulateGrad(t)
    return acc, 0


def _add(a: Any, b: Any) -> Any:
    if a is None:
        return b
    if b is None:
        return a
    return a + b


def run_backward(
    roots: list[Any],
    grads: list[Any],
    retain_graph: bool,
    create_graph: bool,
    inputs: list[Any] | None = None,
    accumulate: bool = True,
    allow_unused: bool = False,
) -> list[Any] | None:
    """Backpropagate ``grads`` from ``roots``; with ``accumulate=False`` return grads of ``inputs``."""
    buffers: dict[Node, list[Any]] = {}
    for t, g in zip(roots, grads):
        node, nr = gradient_edge(t)
        buf = buffers.get(node)
        if buf is None:
            buf = buffers[node] = [None] * node._n_out
        buf[nr] = _add(buf[nr], g)

    # capture: (node, nr) -> index in the result (autograd.grad, or backward(inputs=...))
    capture: dict[tuple[Node, int], int] = {}
    if inputs is not None:
        for i, t in enumerate(inputs):
            capture[gradient_edge(t)] = i

    # 1. dependencies
    deps: dict[Node, int] = {}
    stack = list(buffers)
    seen = set(stack)
    while stack:
        node = stack.pop()
        for e in node._next:
            if e is None:
                continue
            n = e[0]
            deps[n] = deps.get(n, 0) + 1
            if n not in seen:
                seen.add(n)
                stack.append(n)

    results: list[Any] = [None] * (len(inputs) if inputs is not None else 0)
    found = [False] * len(results)
    tie = 0
    ready: list[tuple[float, int, Node]] = []
    for node in buffers:
        if deps.get(node, 0) == 0:
            ready.append((-node._seq, tie, node))
            tie += 1
    heapq.heapify(ready)

    prev_mode = _state.enabled
    _state.enabled = create_graph
    try:
        while ready:
            node = heapq.heappop(ready)[2]
            buf = buffers.pop(node, None)
            if buf is None:
                buf = [None] * node._n_out
            if capture:
                for nr in range(node._n_out):
                    idx = capture.get((node, nr))
                    if idx is not None:
                        g = _run_tensor_hooks(node, nr, buf[nr])
                        buf[nr] = g
                        results[idx] = g
                        found[idx] = True
            if type(node) is AccumulateGrad:
                if accumulate and buf[0] is not None and (inputs is None or (node, 0) in capture):
                    _accumulate(node, buf[0], create_graph)
                continue
            in_grads = _run_node(node, buf, retain_graph)
            for e, g in zip(node._next, in_grads):
                if e is None:
                    continue
                n, nr = e
                if g is not None:
                    b = buffers.get(n)
                    if b is None:
                        b = buffers[n] = [None] * n._n_out
                    b[nr] = g if b[nr] is None else b[nr] + g
                left = deps[n] - 1
                deps[n] = left
                if left == 0:
                    heapq.heappush(ready, (-n._seq, tie, n))
                    tie += 1
    finally:
        _state.enabled = prev_mode

    if inputs is not None and not accumulate:
        for i, ok in enumerate(found):
            if not ok and not allow_unused:
                raise RuntimeError(
                    "One of the differentiated Tensors appears to not have been used in the graph."
                    " Set allow_unused=True if this is the desired behavior."
                )
        return results
    return None


def _run_tensor_hooks(node: Node, nr: int, g: Any) -> Any:
    """Hooks registered with ``tensor.register_hook`` on a non-leaf, then ``retain_grad``."""
    hooks = node._tensor_hooks
    if hooks and g is not None:
        for h in list(hooks.get(nr, ())):
            r = h(g)
            if r is not None:
                g = r
    retain = node._retain
    if retain and g is not None:
        ref = retain.get(nr)
        t = ref() if ref is not None else None
        if t is not None:
            t.grad = g.detach().clone() if t.grad is None else t.grad + g.detach()
    return g


def _run_node(node: Node, buf: list[Any], retain_graph: bool) -> tuple[Any, ...]:
    if node._freed:
        raise RuntimeError(FREED_MSG)
    if node._tensor_hooks or node._retain:
        for nr in range(node._n_out):
            buf[nr] = _run_tensor_hooks(node, nr, buf[nr])
    if node._pre_hooks:
        for h in list(node._pre_hooks.values()):
            r = h(tuple(buf))
            if r is not None:
                buf = list(r)
    if node._n_out == 1 and buf[0] is None:
        out: tuple[Any, ...] = (None,) * len(node._next)
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


def _accumulate(acc: AccumulateGrad, g: Any, create_graph: bool) -> None:
    t = acc.variable
    if t is None:
        return
    meta = t._meta
    if meta is not None:
        for h in list(meta.get("hooks", {}).values()):
            r = h(g)
            if r is not None:
                g = r
    if g.dtype is not t.dtype:
        g = g.to(t.dtype)
    if t.grad is None:
        # The engine may hand one gradient tensor to several edges (add, expand): own a copy.
        t.grad = g if create_graph else g.detach().clone()
    elif create_graph or t.grad.requires_grad:
        t.grad = t.grad + g
    else:
        xp_add = t.grad._array.__iadd__
        xp_add(g._array)
    if meta is not None:
        for h in list(meta.get("post_acc_hooks", {}).values()):
            h(t)

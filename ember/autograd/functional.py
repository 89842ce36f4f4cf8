"""Higher-level derivatives (``torch.autograd.functional``): built on :func:`ember.autograd.grad`.

* ``vjp(f, x, v)``: ``v^T J``, one backward pass.
* ``jvp(f, x, v)``: ``J v``, by the double-backward trick: ``g(u) = J^T u`` is linear in a dummy
  ``u``, so differentiating ``u . ...`` once more with ``v`` gives ``J v``.
* ``jacobian``: one backward pass per output element (``vectorize`` is accepted; ember always
  loops). ``hessian``: the jacobian of the gradient.
* ``vhp``/``hvp``: ``v^T H`` / ``H v`` from a gradient with ``create_graph=True``.

Inputs and outputs are a Tensor or a tuple of Tensors; results come back in the same shape.
"""

from __future__ import annotations

from typing import Any, Callable

from .._tensor import Tensor
from . import grad as _autograd_grad
from .grad_mode import enable_grad, is_grad_enabled, set_grad_enabled

__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"]


def _as_tuple(x: Any, arg_name: str, fn_name: str) -> tuple[bool, tuple[Any, ...]]:
    is_tuple = isinstance(x, tuple)
    items = x if is_tuple else (x,)
    for i, el in enumerate(items):
        if not isinstance(el, Tensor):
            if is_tuple:
                raise TypeError(
                    f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple of "
                    f"Tensors but the value at index {i} has type {type(el)}."
                )
            raise TypeError(
                f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple of Tensors "
                f"but the given {arg_name} has type {type(el)}."
            )
    return is_tuple, items


def _back(res: Any, is_tuple: bool) -> Any:
    return res if is_tuple else res[0]


def _back2(res: Any, outer: bool, inner: bool) -> Any:
    if not inner:
        res = tuple(r[0] for r in res)
    return res if outer else res[0]


def _prep(inputs: tuple[Tensor, ...], create_graph: bool, need_graph: bool) -> tuple[Tensor, ...]:
    """Fresh inputs to differentiate against: kept in the caller's graph only for create_graph."""
    out = []
    for x in inputs:
        if create_graph and x.requires_grad:
            out.append(x.view_as(x))  # new node, still connected to the caller's graph
        else:
            out.append(x.detach().requires_grad_(need_graph))
    return tuple(out)


def _post(res: tuple[Any, ...], create_graph: bool) -> tuple[Any, ...]:
    if create_graph:
        return res
    return tuple(r.detach() if isinstance(r, Tensor) else _post(r, False) for r in res)


def _validate_v(v: tuple[Tensor, ...], other: tuple[Tensor, ...], is_tuple: bool) -> None:
    if len(other) != len(v):
        if is_tuple:
            raise RuntimeError(
                f"v is a tuple of invalid length: should be {len(other)} but got {len(v)}."
            )
        raise RuntimeError("The given v should contain a single Tensor.")
    for i, (a, b) in enumerate(zip(v, other)):
        if a.shape != b.shape:
            prepend = f"Entry {i} in " if is_tuple else ""
            raise RuntimeError(
                f"{prepend}v has invalid size: should be {b.size()} but got {a.size()}."
            )


def _check_outputs(outputs: tuple[Tensor, ...], strict: bool) -> None:
    if strict:
        for i, o in enumerate(outputs):
            if not o.requires_grad:
                raise RuntimeError(
                    f"Output {i} of the user-provided function does not require gradients."
                    " The outputs must be computed in a differentiable manner from the input"
                    " when running in strict mode."
                )


def _grad(outputs: tuple[Tensor, ...], inputs: tuple[Tensor, ...], grad_outputs: Any,
          create_graph: bool, retain_graph: bool | None = None) -> tuple[Any, ...]:
    """``autograd.grad`` that skips outputs not requiring grad and gives None for unused inputs."""
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o is not None and o.requires_grad]
    if not pairs:
        return (None,) * len(inputs)
    return tuple(_autograd_grad([o for o, _ in pairs], inputs, [g for _, g in pairs],
                                retain_graph=retain_graph, create_graph=create_graph,
                                allow_unused=True))


def _fill_zeros(grads: tuple[Any, ...], refs: tuple[Tensor, ...], strict: bool,
                create_graph: bool, message: str) -> tuple[Tensor, ...]:
    res = []
    for i, (g, r) in enumerate(zip(grads, refs)):
        if g is None:
            if strict:
                raise RuntimeError(message.format(i=i))
            g = r.new_zeros(r.shape)
        elif strict and create_graph and not g.requires_grad:
            raise RuntimeError(message.format(i=i))
        res.append(g)
    return tuple(res)


_INDEPENDENT = ("The output of the user-provided function is independent of input {i}. This is "
                "not allowed in strict mode.")


def vjp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    r"""``(func(inputs), v^T J)``: the vector-Jacobian product at ``inputs``.

    Examples::

        >>> import ember
        >>> from ember.autograd.functional import vjp
        >>> out, g = vjp(lambda x: x ** 2, ember.tensor([1.0, 2.0]), ember.tensor([1.0, 1.0]))
        >>> g
        tensor([2., 4.])
    """
    with enable_grad():
        is_in_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
        inputs = _prep(inputs, create_graph, need_graph=True)
        outputs = func(*inputs)
        is_out_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function", "vjp")
        _check_outputs(outputs, strict)
        if v is not None:
            _, v = _as_tuple(v, "v", "vjp")
            v = tuple(t.detach() for t in v)
            _validate_v(v, outputs, is_out_tuple)
        elif len(outputs) != 1 or outputs[0].numel() != 1:
            raise RuntimeError("The vector v can only be None if the user-provided function "
                               "returns a single Tensor with a single element.")
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        grads = _grad(outputs, inputs, v, create_graph)
        res = _fill_zeros(grads, inputs, strict, create_graph, _INDEPENDENT)
    return (_back(_post(outputs, create_graph), is_out_tuple),
            _back(_post(res, create_graph), is_in_tuple))


def jvp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    r"""``(func(inputs), J v)``: the Jacobian-vector product, by the double-backward trick.

    Examples::

        >>> import ember
        >>> from ember.autograd.functional import jvp
        >>> out, d = jvp(lambda x: x ** 2, ember.tensor([1.0, 2.0]), ember.tensor([1.0, 0.0]))
        >>> d
        tensor([2., 0.])
    """
    with enable_grad():
        is_in_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
        inputs = _prep(inputs, create_graph, need_graph=True)
        if v is not None:
            _, v = _as_tuple(v, "v", "jvp")
            v = tuple(t.detach() for t in v)
            _validate_v(v, inputs, is_in_tuple)
        elif len(inputs) != 1 or inputs[0].numel() != 1:
            raise RuntimeError("The vector v can only be None if the input to the user-provided "
                               "function is a single Tensor with a single element.")
        outputs = func(*inputs)
        is_out_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function", "jvp")
        _check_outputs(outputs, strict)
        # J^T u, linear in the dummy u; its gradient with respect to u along v is J v
        dummies = tuple(o.new_zeros(o.shape).requires_grad_(True) for o in outputs)
        g = _grad(outputs, inputs, dummies, create_graph=True)
        g = _fill_zeros(g, inputs, strict, create_graph, _INDEPENDENT)
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        if v is None:
            v = tuple(x.new_ones(x.shape) for x in inputs)
        grads = _grad(g, dummies, v, create_graph)
        res = _fill_zeros(grads, outputs, strict, create_graph,
                          "The gradient with respect to the input is independent of entry {i} "
                          "in the grad_outputs when using the double backward trick to compute "
                          "forward mode gradients. This is not allowed in strict mode.")
    return (_back(_post(outputs, create_graph), is_out_tuple),
            _back(_post(res, create_graph), is_out_tuple))


def jacobian(func: Callable[..., Any], inputs: Any, create_graph: bool = False,
             strict: bool = False, vectorize: bool = False,
             strategy: str = "reverse-mode") -> Any:
    r"""The Jacobian of ``func`` at ``inputs``: shape ``output.shape + input.shape`` per pair.

    Examples::

        >>> import ember
        >>> from ember.autograd.functional import jacobian
        >>> jacobian(lambda x: x ** 2, ember.tensor([1.0, 2.0]))
        tensor([[2., 0.],
                [0., 4.]])
    """
    if strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError(
            'Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your '
            'function has more outputs than inputs, "forward-mode" tends to be more performant. '
            'Otherwise, prefer to use "reverse-mode".'
        )
    if strategy == "forward-mode":
        if create_graph:
            raise NotImplementedError(
                "torch.autograd.functional.jacobian: `create_graph=True` "
                'and `strategy="forward-mode"` are not supported together (yet). '
                "Please either set `create_graph=False` or "
                '`strategy="reverse-mode"`.'
            )
        if strict:
            raise RuntimeError(
                "torch.autograd.functional.jacobian: `strict=True` "
                'and `strategy="forward-mode"` are not supported together (yet). '
                "Please either set `strict=False` or "
                '`strategy="reverse-mode"`.'
            )
        if not vectorize:
            raise NotImplementedError(
                "Computing Jacobian using forward-AD or forward-over-reverse Hessian is"
                "only implemented for `vectorize=True`."
            )
    with enable_grad():
        is_in_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _prep(inputs, create_graph, need_graph=True)
        outputs = func(*inputs)
        is_out_tuple, outputs = _as_tuple(outputs,
                                          "outputs of the user-provided function", "jacobian")
        _check_outputs(outputs, strict)
        if vectorize and strict:
            raise RuntimeError(
                "torch.autograd.functional.jacobian: `strict=True` "
                "and `vectorized=True` are not supported together. "
                "Please either set `strict=False` or "
                "`vectorize=False`."
            )
        from .. import stack  # noqa: PLC0415

        jac: list[tuple[Tensor, ...]] = []
        for i, out in enumerate(outputs):
            flat = out.reshape(-1)
            rows: list[list[Tensor]] = [[] for _ in inputs]
            for j in range(flat.numel()):
                g = _grad((flat[j],), inputs, None, create_graph, retain_graph=True)
                for k, (gk, x) in enumerate(zip(g, inputs)):
                    if gk is None:
                        if strict:
                            raise RuntimeError(
                                f"Output {i} of the user-provided function is independent of "
                                f"input {k}. This is not allowed in strict mode."
                            )
                        gk = x.new_zeros(x.shape)
                    rows[k].append(gk)
            jac.append(tuple(
                (stack(r) if r else x.new_zeros((0,) + tuple(x.shape))).reshape(
                    tuple(out.shape) + tuple(x.shape))
                for r, x in zip(rows, inputs)))
        res = tuple(_post(t, create_graph) for t in jac)
    return _back2(res, is_out_tuple, is_in_tuple)


def hessian(func: Callable[..., Any], inputs: Any, create_graph: bool = False,
            strict: bool = False, vectorize: bool = False,
            outer_jacobian_strategy: str = "reverse-mode") -> Any:
    r"""The Hessian of a scalar ``func`` at ``inputs`` (a tuple of tuples for several inputs).

    Examples::

        >>> import ember
        >>> from ember.autograd.functional import hessian
        >>> hessian(lambda x: (x ** 3).sum(), ember.tensor([1.0, 2.0]))
        tensor([[ 6.,  0.],
                [ 0., 12.]])
    """
    is_in_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode".')

    def single_output(*inp: Tensor) -> Tensor:
        out = func(*inp)
        is_out_tuple, t_out = _as_tuple(out, "outputs of the user-provided function", "hessian")
        _check_outputs(t_out, strict)
        if is_out_tuple or not isinstance(out, Tensor):
            raise RuntimeError("The function given to hessian should return a single Tensor")
        if out.numel() != 1:
            raise RuntimeError("The Tensor returned by the function given to hessian should "
                               "contain a single element")
        return out.squeeze()

    def jac_func(*inp: Tensor) -> tuple[Tensor, ...]:
        if outer_jacobian_strategy == "forward-mode":
            inp = tuple(t.requires_grad_(True) for t in inp)
        return jacobian(single_output, inp, create_graph=True)

    res = jacobian(jac_func, inputs, create_graph=create_graph, strict=strict,
                   vectorize=vectorize, strategy=outer_jacobian_strategy)
    return _back2(res, is_in_tuple, is_in_tuple)


def _second_order(name: str, func: Callable[..., Any], inputs: Any, v: Any, create_graph: bool,
                  strict: bool) -> tuple[Any, Any, Any, bool]:
    with enable_grad():
        is_in_tuple, inputs = _as_tuple(inputs, "inputs", name)
        inputs = _prep(inputs, create_graph, need_graph=True)
        if v is not None:
            _, v = _as_tuple(v, "v", name)
            v = tuple(t.detach() for t in v)
            _validate_v(v, inputs, is_in_tuple)
        elif len(inputs) != 1 or inputs[0].numel() != 1:
            raise RuntimeError("The vector v can only be None if the input to the user-provided "
                               "function is a single Tensor with a single element.")
        outputs = func(*inputs)
        is_out_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function", name)
        _check_outputs(outputs, strict)
        if is_out_tuple or not isinstance(outputs[0], Tensor):
            raise RuntimeError(f"The function given to {name} should return a single Tensor")
        if outputs[0].numel() != 1:
            raise RuntimeError(f"The Tensor returned by the function given to {name} should "
                               "contain a single element")
        jac = _grad(outputs, inputs, None, create_graph=True)
        jac = _fill_zeros(jac, inputs, strict, create_graph, _INDEPENDENT)
        if v is None:
            v = tuple(x.new_ones(x.shape) for x in inputs)
    return outputs, inputs, (jac, v), is_in_tuple


def vhp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    r"""``(func(inputs), v^T H)`` for a scalar ``func``.

    Examples::

        >>> import ember
        >>> from ember.autograd.functional import vhp
        >>> _, r = vhp(lambda x: (x ** 3).sum(), ember.tensor([1.0, 2.0]), ember.ones(2))
        >>> r
        tensor([ 6., 12.])
    """
    outputs, inputs, (jac, v), is_in_tuple = _second_order("vhp", func, inputs, v, create_graph,
                                                           strict)
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        grads = _grad(jac, inputs, v, create_graph)
        res = _fill_zeros(grads, inputs, strict, create_graph,
                          "The hessian of the user-provided function with respect to input {i} "
                          "is independent of the input. This is not allowed in strict mode.")
    return _post(outputs, create_graph)[0], _back(_post(res, create_graph), is_in_tuple)


def hvp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    r"""``(func(inputs), H v)`` for a scalar ``func`` (equal to ``vhp`` as H is symmetric, but
    computed, as in torch, by the double-backward trick).

    Examples::

        >>> import ember
        >>> from ember.autograd.functional import hvp
        >>> _, r = hvp(lambda x: (x ** 3).sum(), ember.tensor([1.0, 2.0]), ember.ones(2))
        >>> r
        tensor([ 6., 12.])
    """
    outputs, inputs, (jac, v), is_in_tuple = _second_order("hvp", func, inputs, v, create_graph,
                                                           strict)
    with enable_grad():
        dummies = tuple(x.new_zeros(x.shape).requires_grad_(True) for x in inputs)
        g = _grad(jac, inputs, dummies, create_graph=True)
        g = _fill_zeros(g, inputs, strict, create_graph, _INDEPENDENT)
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        grads = _grad(g, dummies, v, create_graph)
        res = _fill_zeros(grads, inputs, strict, create_graph,
                          "The hessian of the user-provided function is independent of entry "
                          "{i} in the grad_jacobian. This is not allowed in strict mode as it "
                          "prevents from using the double backward trick to replace forward "
                          "mode AD.")
    return _post(outputs, create_graph)[0], _back(_post(res, create_graph), is_in_tuple)

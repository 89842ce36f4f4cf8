"""Reverse-mode automatic differentiation: ``backward``, ``grad``, grad modes, ``Function``.

How it works is explained in README.md beside this file.
"""

from __future__ import annotations

from typing import Any, Sequence, cast

from . import graph
from .engine import run_backward
from .function import Function, FunctionCtx, once_differentiable
from .grad_mode import (enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled,
                        no_grad, set_grad_enabled)  # fmt: skip

__all__ = ["backward", "grad", "Function", "FunctionCtx", "once_differentiable", "no_grad",
           "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled",
           "is_inference_mode_enabled", "graph", "set_detect_anomaly", "detect_anomaly",
           "Variable", "gradcheck", "gradgradcheck"]  # fmt: skip


def _as_list(x: Any) -> list[Any]:
    from .._tensor import Tensor  # noqa: PLC0415

    if x is None:
        return []
    if isinstance(x, Tensor):
        return [x]
    return list(x)


def _make_grads(outputs: list[Any], grads: list[Any], create_graph: bool) -> list[Any]:
    from .._tensor import Tensor, _wrap  # noqa: PLC0415

    res = []
    for i, (out, g) in enumerate(zip(outputs, grads)):
        if g is None:
            if out._rg and out._array.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if not out.dtype.is_floating_point and not out.dtype.is_complex:
                raise RuntimeError(
                    "grad can be implicitly created only for real scalar outputs but got "
                    f"{out.dtype}"
                )
            from .._device import array_namespace  # noqa: PLC0415

            g = _wrap(array_namespace(out._array).ones_like(out._array))
        elif isinstance(g, Tensor):
            if g.shape != out.shape:
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape!r} and output[{i}]"
                    f" has a shape of {out.shape!r}."
                )
            if g.dtype.is_floating_point != out.dtype.is_floating_point:
                raise RuntimeError(
                    f"For complex Tensors, both grad_output and output are required to have the "
                    f"same dtype. Mismatch in dtype: grad_output[{i}] has a dtype of {g.dtype} and "
                    f"output[{i}] has a dtype of {out.dtype}."
                )
            if g.dtype != out.dtype:  # torch's engine casts each gradient to its input's dtype
                g = g.to(out.dtype)
            if not create_graph:
                g = g.detach()
        else:
            g = _wrap(_as_array(g, out))
        res.append(g)
    return res


def _as_array(g: Any, out: Any) -> Any:
    import numpy as np  # noqa: PLC0415

    return np.full(out._array.shape, g, dtype=out._array.dtype)


def backward(
    tensors: Any,
    grad_tensors: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    grad_variables: Any = None,
    inputs: Any = None,
) -> None:
    r"""Compute the gradients of ``tensors`` and accumulate them into the leaves' ``.grad``."""
    outs = _as_list(tensors)
    grads = _as_list(grad_tensors) if grad_tensors is not None else [None] * len(outs)
    if len(grads) != len(outs):
        raise RuntimeError(f"got {len(grads)} tensors and {len(outs)} gradients")
    for i, o in enumerate(outs):
        if not o._rg:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn"
            )
    if retain_graph is None:
        retain_graph = create_graph
    ins = _as_list(inputs) if inputs is not None else None
    if ins is not None and not ins:
        raise RuntimeError("'inputs' argument to backward() cannot be empty.")
    run_backward(outs, _make_grads(outs, grads, create_graph), retain_graph, create_graph,
                 inputs=ins, accumulate=True, allow_unused=True)  # fmt: skip


def grad(
    outputs: Any,
    inputs: Any,
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    only_inputs: bool = True,
    allow_unused: bool | None = None,
    is_grads_batched: bool = False,
    materialize_grads: bool = False,
) -> tuple[Any, ...]:
    r"""Gradients of ``outputs`` with respect to ``inputs``, returned instead of accumulated."""
    outs = _as_list(outputs)
    ins = _as_list(inputs)
    single = not isinstance(inputs, Sequence)
    grads = _as_list(grad_outputs) if grad_outputs is not None else [None] * len(outs)
    for i, o in enumerate(outs):
        if not o._rg:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn"
            )
    for t in ins:
        if not t._rg:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    if retain_graph is None:
        retain_graph = create_graph
    if allow_unused is None:
        allow_unused = materialize_grads
    res = cast("list[Any]", run_backward(  # a list, since accumulate=False
        outs, _make_grads(outs, grads, create_graph), retain_graph, create_graph, inputs=ins,
        accumulate=False, allow_unused=allow_unused))  # fmt: skip
    if materialize_grads:
        from .._factory import zeros_like  # noqa: PLC0415

        res = [r if r is not None else zeros_like(t) for r, t in zip(res, ins)]
    del single
    return tuple(res)


class set_detect_anomaly:
    """Accepted for compatibility; ember's errors already name the failing node."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self.mode = mode

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: object) -> None:
        pass


detect_anomaly = set_detect_anomaly


def Variable(data: Any, requires_grad: bool = False) -> Any:  # noqa: N802 - torch's legacy name
    """Legacy ``Variable(tensor)``: returns the tensor (optionally requiring grad)."""
    if requires_grad:
        data.requires_grad_(True)
    return data


def gradcheck(func: Any, inputs: Any, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3, raise_exception: bool = True, **kw: Any) -> bool:  # noqa: E501
    """Compare analytic gradients with central finite differences (use float64 inputs)."""
    import numpy as np  # noqa: PLC0415

    from .._tensor import Tensor  # noqa: PLC0415

    ins = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    outs = func(*ins)
    outs = (outs,) if isinstance(outs, Tensor) else tuple(outs)
    for oi, out in enumerate(outs):
        flat = out.reshape(-1)
        for k in range(flat.numel()):
            diff_in = [t for t in ins if isinstance(t, Tensor) and t.requires_grad]
            analytic = grad(flat[k], diff_in, retain_graph=True, allow_unused=True)
            for t, a in zip(diff_in, analytic):
                num = np.zeros(t._array.size)
                base = t._array.reshape(-1)
                for j in range(base.size):
                    old = base[j]
                    base[j] = old + eps
                    plus = _pick(func(*ins), oi, k)
                    base[j] = old - eps
                    minus = _pick(func(*ins), oi, k)
                    base[j] = old
                    num[j] = (plus - minus) / (2 * eps)
                an = np.zeros(t._array.size) if a is None else a._array.reshape(-1)
                if not np.allclose(an, num, atol=atol, rtol=rtol):
                    if raise_exception:
                        raise RuntimeError(
                            f"Jacobian mismatch for output {oi} with respect to input,\n"
                            f"numerical:{num}\nanalytical:{an}\n"
                        )
                    return False
    return True


def _pick(out: Any, oi: int, k: int) -> float:
    from .._tensor import Tensor  # noqa: PLC0415

    o = (out,) if isinstance(out, Tensor) else out
    return float(o[oi]._array.reshape(-1)[k])


def gradgradcheck(func: Any, inputs: Any, **kw: Any) -> bool:
    """Second-order check: ``gradcheck`` of the first derivatives."""
    from .._tensor import Tensor  # noqa: PLC0415

    ins = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)

    def first(*xs: Any) -> Any:
        out = func(*xs)
        return grad(out.sum(), [x for x in xs if x.requires_grad], create_graph=True)

    return gradcheck(first, ins, **kw)


def __getattr__(name: str) -> Any:
    # torch.autograd.functional is reachable without importing it; ember loads it on first use
    if name == "functional":
        import importlib  # noqa: PLC0415

        return importlib.import_module(f"{__name__}.functional")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

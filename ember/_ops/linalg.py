"""Matrix products: matmul/mm/bmm, addmm (behind ``nn.Linear``), einsum, outer, dot."""

from __future__ import annotations

import string
from typing import Any

import numpy as np

from .._tensor import Tensor, _wrap
from ..autograd.function import Op
from ..autograd.grad_mode import _state
from .shape import Reshape, reshape, squeeze, sum_to, t, transpose, unsqueeze

__all__ = ["matmul", "mm", "bmm", "addmm", "einsum", "outer", "ger", "dot", "mv", "inner",
           "baddbmm", "addmv", "tensordot", "vdot", "kron", "cross", "linear_op"]  # fmt: skip


def _shape_str(s: tuple[int, ...]) -> str:
    return "x".join(map(str, s))


def _same_dtype(a: Tensor, b: Tensor) -> None:
    if a._array.dtype != b._array.dtype:
        raise RuntimeError(
            f"expected m1 and m2 to have the same dtype, but got: {_cname(a)} != {_cname(b)}"
        )


def _cname(x: Tensor) -> str:
    return {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int", "int32": "int"}.get(x.dtype.name, x.dtype.name)  # noqa: E501


class Mm(Op):
    @staticmethod
    def forward(ctx: Any, a: Tensor, b: Tensor) -> Any:
        ctx.save_for_backward(a, b)
        return a._array @ b._array

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any, Any]:
        a, b = ctx.saved_tensors
        ga, gb = ctx.needs_input_grad
        if not _state.enabled:  # perf: no create_graph, so two GEMMs on the arrays, no ops
            g = grad._array
            return (_wrap(g @ b._array.T) if ga else None), (_wrap(_mat2_grad(a._array, g, b._array)) if gb else None)  # noqa: E501
        return (mm(grad, t(b)) if ga else None), (mm(t(a), grad) if gb else None)


class Bmm(Op):
    @staticmethod
    def forward(ctx: Any, a: Tensor, b: Tensor) -> Any:
        ctx.save_for_backward(a, b)
        return a._array @ b._array

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any, Any]:
        a, b = ctx.saved_tensors
        ga, gb = ctx.needs_input_grad
        return (
            matmul(grad, transpose(b, -1, -2)) if ga else None,
            matmul(transpose(a, -1, -2), grad) if gb else None,
        )


class Matmul(Bmm, node_name="UnsafeViewBackward0"):
    """Batched, broadcasting matmul; broadcast batch dims are summed back in backward."""

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any, Any]:
        a, b = ctx.saved_tensors
        ga, gb = Bmm.backward(ctx, grad)
        return (sum_to(ga, a.shape) if ga is not None else None), (sum_to(gb, b.shape) if gb is not None else None)  # noqa: E501


def mm(input: Tensor, mat2: Tensor) -> Tensor:
    """Matrix product of two 2-D tensors."""
    if input.ndim != 2 or mat2.ndim != 2:
        raise RuntimeError(f"{'self' if input.ndim != 2 else 'mat2'} must be a matrix")
    if input.shape[1] != mat2.shape[0]:
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({_shape_str(input.shape)} and "
            f"{_shape_str(mat2.shape)})"
        )
    _same_dtype(input, mat2)
    return Mm.apply(input, mat2)


def bmm(input: Tensor, mat2: Tensor) -> Tensor:
    """Batched matrix product of two 3-D tensors with equal batch size."""
    if input.ndim != 3 or mat2.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor" if input.ndim != 3 else "batch2 must be a 3D tensor")  # noqa: E501
    if input.shape[0] != mat2.shape[0] or input.shape[2] != mat2.shape[1]:
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: [{input.shape[0]}, "
            f"{input.shape[2]}] but got: [{mat2.shape[0]}, {mat2.shape[1]}]."
        )
    _same_dtype(input, mat2)
    return Bmm.apply(input, mat2)


def matmul(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
    r"""Matrix product with NumPy/torch broadcasting rules (1-D operands are vectors)."""
    a, b = input, other
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(
            f"both arguments to matmul need to be at least 1D, but they are {a.ndim}D and {b.ndim}D"
        )
    _same_dtype(a, b)
    if a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
        if a.ndim <= 2 and b.ndim <= 2:
            if a.ndim == 1 and b.ndim == 1:
                raise RuntimeError(
                    f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src "
                    f"[{b.shape[0]}] to have the same number of elements, but got {a.shape[0]} "
                    f"and {b.shape[0]} elements respectively"
                )
            sa = a.shape if a.ndim == 2 else (1, a.shape[0])
            sb = b.shape if b.ndim == 2 else (b.shape[0],)
            raise RuntimeError(
                f"mat1 and mat2 shapes cannot be multiplied ({_shape_str(sa)} and {_shape_str(sb)})"
            )
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: "
            f"[{a.shape[0] if a.ndim > 2 else 1}, {a.shape[-1]}] but got: "
            f"[{b.shape[0] if b.ndim > 2 else 1}, {b.shape[-2] if b.ndim > 1 else b.shape[0]}]."
        )
    if a.ndim == 2 and b.ndim == 2:
        r = Mm.apply(a, b)
    elif a.ndim == 1 and b.ndim == 1:
        r = dot(a, b)
    elif a.ndim == 1:
        r = squeeze(matmul(unsqueeze(a, 0), b), -2)
    elif b.ndim == 1:
        r = squeeze(matmul(a, unsqueeze(b, -1)), -1)
    elif b.ndim == 2 and a._array.flags.c_contiguous:
        # perf: fold the batch into one GEMM instead of a loop of small ones
        lead = a.shape[:-1]
        r = _UnsafeView.apply(Mm.apply(reshape(a, (-1, a.shape[-1])), b), shape=lead + (b.shape[-1],))
    elif a.ndim == 3 and b.ndim == 3 and a.shape[0] == b.shape[0]:
        r = Bmm.apply(a, b)
    else:
        r = Matmul.apply(a, b)
    if out is not None:
        from .elementwise import _out  # noqa: PLC0415

        return _out(r, out)
    return r


class _UnsafeView(Reshape, node_name="UnsafeViewBackward0"):
    pass


class Addmm(Op):
    """``bias + mat1 @ mat2``: the op behind ``nn.Linear`` (torch's input order, for hooks)."""

    @staticmethod
    def forward(ctx: Any, bias: Tensor | None, a: Tensor, b: Tensor, beta: Any = 1, alpha: Any = 1) -> Any:  # noqa: E501
        if ctx.recording:
            ctx.save_for_backward(a, b)
            ctx.bshape = bias._array.shape if bias is not None else None
            ctx.beta, ctx.alpha = beta, alpha
        out = a._array @ b._array
        if alpha != 1:
            out *= alpha
        if bias is not None:
            out += bias._array if beta == 1 else bias._array * beta
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any, Any, Any]:
        a, b = ctx.saved_tensors
        gbias, ga, gb = ctx.needs_input_grad
        if not _state.enabled:
            return _addmm_backward_arrays(ctx, grad._array, a._array, b._array)
        g = grad * ctx.alpha if ctx.alpha != 1 else grad
        return (
            sum_to(grad * ctx.beta if ctx.beta != 1 else grad, ctx.bshape) if gbias else None,
            mm(g, t(b)) if ga else None,
            mm(t(a), g) if gb else None,
        )


def _addmm_backward_arrays(ctx: Any, grad: Any, a: Any, b: Any) -> tuple[Any, Any, Any]:
    """Addmm's backward without ``create_graph``: BLAS calls on the arrays, no recorded ops."""
    gbias, ga, gb = ctx.needs_input_grad
    g = grad * ctx.alpha if ctx.alpha != 1 else grad
    rbias = None
    if gbias:
        gr = grad * ctx.beta if ctx.beta != 1 else grad
        if ctx.bshape == gr.shape[1:]:
            # perf: the bias gradient (a column sum) as a GEMV with ones, 2-3x faster than sum(0)
            from .shape import _xp  # noqa: PLC0415

            rbias = _wrap(_xp(gr).ones(gr.shape[0], dtype=gr.dtype) @ gr)
        else:
            rbias = sum_to(_wrap(gr), ctx.bshape)
    return rbias, (_wrap(g @ b.T) if ga else None), (_wrap(_mat2_grad(a, g, b)) if gb else None)


def _mat2_grad(a: Any, g: Any, b: Any) -> Any:
    """``a.T @ g``, the gradient of ``b`` in ``a @ b``, laid out in memory like ``b``.

    # perf: torch does the same. For ``nn.Linear``'s ``weight.t()`` the result is a transposed
    # view, so the weight's own gradient comes out contiguous and the leaf keeps it uncopied.
    """
    if b.flags.f_contiguous and not b.flags.c_contiguous:
        return (g.T @ a).T
    return a.T @ g


class MmNoBias(Mm, node_name="MmBackward0"):
    pass


def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """``beta * input + alpha * (mat1 @ mat2)``."""
    if mat1.shape[1] != mat2.shape[0]:
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({_shape_str(mat1.shape)} and "
            f"{_shape_str(mat2.shape)})"
        )
    return Addmm.apply(input, mat1, mat2, beta=beta, alpha=alpha)


def linear_op(input: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
    """``input @ weight.T + bias`` as torch records it: ``addmm(bias, input, weight.t())``."""
    x = input
    if x.shape[-1] != weight.shape[-1] if weight.ndim else True:
        sx = x.shape if x.ndim == 2 else (int(np.prod(x.shape[:-1])), x.shape[-1])
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({_shape_str(sx)} and "
            f"{_shape_str(tuple(reversed(weight.shape)))})"
        )
    if x._array.dtype != weight._array.dtype:
        raise RuntimeError(
            f"mat1 and mat2 must have the same dtype, but got {_pretty(x)} and {_pretty(weight)}"
        )
    wt = t(weight)
    if x.ndim == 2:
        return Addmm.apply(bias, x, wt) if bias is not None else MmNoBias.apply(x, wt)
    if x.ndim == 1:
        r = matmul(x, wt)
        return r + bias if bias is not None else r
    lead = x.shape[:-1]
    x2 = reshape(x, (-1, x.shape[-1]))
    r = Addmm.apply(bias, x2, wt) if bias is not None else MmNoBias.apply(x2, wt)
    return reshape(r, lead + (weight.shape[0],))


def _pretty(x: Tensor) -> str:
    return {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long"}.get(x.dtype.name, x.dtype.name)  # noqa: E501


def outer(input: Tensor, vec2: Tensor) -> Tensor:
    """Outer product of two vectors."""
    return unsqueeze(input, 1) * unsqueeze(vec2, 0)


ger = outer


def dot(input: Tensor, other: Tensor) -> Tensor:
    """Inner product of two 1-D tensors."""
    if input.ndim != 1 or other.ndim != 1:
        raise RuntimeError(
            f"1D tensors expected, but got {input.ndim}D and {other.ndim}D tensors"
        )
    return (input * other).sum()


vdot = dot


def inner(input: Tensor, other: Tensor) -> Tensor:
    """Sum product over the last dimension."""
    if input.ndim == 0 or other.ndim == 0:
        return input * other
    return matmul(input, transpose(other, -1, -2) if other.ndim > 1 else other)


def mv(input: Tensor, vec: Tensor) -> Tensor:
    """Matrix-vector product."""
    return matmul(input, vec)


def addmv(input: Tensor, mat: Tensor, vec: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """``beta * input + alpha * (mat @ vec)``."""
    return input * beta + matmul(mat, vec) * alpha


def baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:  # noqa: E501
    """``beta * input + alpha * bmm(batch1, batch2)``."""
    r = bmm(batch1, batch2)
    if alpha != 1:
        r = r * alpha
    return r + (input * beta if beta != 1 else input) if beta != 0 else r


def tensordot(a: Tensor, b: Tensor, dims: Any = 2) -> Tensor:
    """Contract ``dims`` dimensions of ``a`` with ``b``."""
    letters = iter(string.ascii_letters)
    if isinstance(dims, int):
        da, db = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    else:
        da, db = list(dims[0]), list(dims[1])
    sa = [next(letters) for _ in range(a.ndim)]
    sb = [next(letters) for _ in range(b.ndim)]
    for i, j in zip(da, db):
        sb[j] = sa[i]
    out = [c for i, c in enumerate(sa) if i not in da] + [c for j, c in enumerate(sb) if j not in db]
    return einsum(f"{''.join(sa)},{''.join(sb)}->{''.join(out)}", a, b)


def kron(input: Tensor, other: Tensor) -> Tensor:
    """Kronecker product."""
    a, b = input, other
    r = einsum("ij,kl->ikjl", a.reshape(a.shape[0], -1) if a.ndim > 1 else a.reshape(1, -1), b.reshape(b.shape[0], -1) if b.ndim > 1 else b.reshape(1, -1))  # noqa: E501
    if a.ndim == 1 and b.ndim == 1:
        return r.reshape(-1)
    return r.reshape(a.shape[0] * b.shape[0], -1)


def cross(input: Tensor, other: Tensor, dim: int | None = None) -> Tensor:
    """Cross product of 3-vectors along ``dim``."""
    d = dim if dim is not None else next(i for i, s in enumerate(input.shape) if s == 3)
    a0, a1, a2 = input.unbind(d)
    b0, b1, b2 = other.unbind(d)
    from .shape import stack  # noqa: PLC0415

    return stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], d)


# --- einsum -----------------------------------------------------------------------------------


def _parse_einsum(eq: str, shapes: list[tuple[int, ...]]) -> tuple[list[str], str]:
    eq = eq.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    ins = lhs.split(",")
    used = set(c for c in eq if c.isalpha())
    free = iter(c for c in string.ascii_letters if c not in used)
    ell = ""
    if "..." in eq:
        n = max(len(s) - (len(i) - 3) for i, s in zip(ins, shapes) if "..." in i)
        ell = "".join(next(free) for _ in range(n))
        ins = [i.replace("...", ell[len(ell) - (len(s) - (len(i) - 3)):]) if "..." in i else i for i, s in zip(ins, shapes)]  # noqa: E501
        rhs = rhs.replace("...", ell)
    if not arrow:
        counts: dict[str, int] = {}
        for i in ins:
            for c in i:
                counts[c] = counts.get(c, 0) + 1
        rhs = ell + "".join(sorted(c for c, k in counts.items() if k == 1 and c not in ell))
    return ins, rhs


class Einsum(Op):
    @staticmethod
    def forward(ctx: Any, *ops: Tensor, ins: tuple[str, ...] = (), out: str = "") -> Any:
        ctx.save_for_backward(*ops)
        ctx.ins, ctx.out = ins, out
        from .shape import _xp  # noqa: PLC0415

        return _xp(ops[0]._array).einsum(f"{','.join(ins)}->{out}", *(o._array for o in ops), optimize=len(ops) > 2)  # noqa: E501

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any, ...]:
        ops = ctx.saved_tensors
        res: list[Any] = []
        for i, (need, sub) in enumerate(zip(ctx.needs_input_grad, ctx.ins)):
            if not need:
                res.append(None)
                continue
            others = [o for j, o in enumerate(ops) if j != i]
            osubs = [s for j, s in enumerate(ctx.ins) if j != i]
            avail = set(ctx.out) | set("".join(osubs))
            # indices of this operand seen nowhere else were summed away: expand them back
            target = "".join(dict.fromkeys(c for c in sub if c in avail))
            g = Einsum.apply(grad, *others, ins=(ctx.out, *osubs), out=target)
            if target != sub:
                g = _expand_to(g, target, sub, ops[i].shape)
            res.append(g)
        return tuple(res)


def _expand_to(g: Tensor, have: str, want: str, shape: tuple[int, ...]) -> Tensor:
    # repeated indices in ``want`` (a diagonal) are rare in gradients; support the plain case
    uniq = "".join(dict.fromkeys(want))
    sizes = {c: s for c, s in zip(want, shape)}
    for c in uniq:
        if c not in have:
            g = unsqueeze(g, g.ndim)
            have += c
    perm = [have.index(c) for c in uniq]
    from .shape import expand, permute  # noqa: PLC0415

    g = permute(g, perm)
    if uniq != want:
        raise NotImplementedError("einsum backward with repeated indices in one operand")
    return expand(g, tuple(sizes[c] for c in want))


def einsum(equation: str, *operands: Any) -> Tensor:
    """Einstein summation, e.g. ``einsum('bij,bjk->bik', a, b)``."""
    if len(operands) == 1 and isinstance(operands[0], list | tuple):
        operands = tuple(operands[0])
    ins, out = _parse_einsum(equation, [o.shape for o in operands])
    if len(ins) != len(operands):
        raise RuntimeError(
            "einsum(): more operands were provided than specified in the equation"
            if len(operands) > len(ins)
            else "einsum(): fewer operands were provided than specified in the equation"
        )
    return Einsum.apply(*operands, ins=tuple(ins), out=out)

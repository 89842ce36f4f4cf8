"""Shape ops: views (view/reshape/permute/transpose/expand/squeeze), joins, splits, repeats.

View ops return NumPy views, so they share memory (and the version counter) with their input,
as torch's views do.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .._tensor import Tensor, _wrap
from ..autograd.function import Op
from ..autograd.grad_mode import _state

__all__ = [
    "sum_to", "reshape", "view", "permute", "transpose", "swapaxes", "swapdims", "t", "expand",
    "squeeze", "unsqueeze", "flatten", "unflatten", "cat", "concat", "concatenate", "stack",
    "hstack", "vstack", "split", "chunk", "unbind", "narrow", "repeat", "tile", "flip", "fliplr",
    "flipud", "roll", "tril", "triu", "movedim", "moveaxis", "broadcast_to", "expand_as",
    "view_as", "atleast_1d", "atleast_2d", "broadcast_tensors", "repeat_interleave",
    "diagonal", "diag", "diag_embed", "tensor_split",
]  # fmt: skip


def _shape_arg(shape: tuple[Any, ...]) -> tuple[int, ...]:
    """``f(2, 3)`` and ``f((2, 3))`` both mean shape (2, 3)."""
    if len(shape) == 1 and not isinstance(shape[0], int | np.integer | Tensor):
        shape = tuple(shape[0])
    return tuple(int(s) for s in shape)


def _dim(d: int, ndim: int) -> int:
    """Wrap a possibly negative dim, with torch's IndexError when it is out of range."""
    n = max(ndim, 1)
    if not -n <= d < n:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {d})"
        )
    return d + n if d < 0 else d


def broadcast_error(sa: Sequence[int], sb: Sequence[int]) -> RuntimeError:
    """torch's error for two shapes that do not broadcast."""
    n = max(len(sa), len(sb))
    pa = (1,) * (n - len(sa)) + tuple(sa)
    pb = (1,) * (n - len(sb)) + tuple(sb)
    for i in reversed(range(n)):
        if pa[i] != pb[i] and pa[i] != 1 and pb[i] != 1:
            return RuntimeError(
                f"The size of tensor a ({pa[i]}) must match the size of tensor b ({pb[i]}) at "
                f"non-singleton dimension {i}"
            )
    return RuntimeError(f"shapes {list(sa)} and {list(sb)} cannot be broadcast")


class SumTo(Op, node_name="SumBackward1"):
    """Sum ``a`` down to ``shape``: the backward of broadcasting."""

    @staticmethod
    def forward(ctx: Any, a: Tensor, shape: tuple[int, ...] = ()) -> Any:
        x = a._array
        ctx.shape = x.shape
        lead = x.ndim - len(shape)
        axes = tuple(range(lead)) + tuple(i + lead for i, s in enumerate(shape) if s == 1 and x.shape[i + lead] != 1)  # noqa: E501
        r = x.sum(axis=axes, keepdims=True) if axes else x
        return r.reshape(shape)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        return expand(grad, ctx.shape)


def sum_to(x: Tensor, shape: Sequence[int]) -> Tensor:
    """Sum ``x`` over broadcast dimensions so it has ``shape`` (the one place this is done)."""
    if x._array.shape == tuple(shape):
        return x
    return SumTo.apply(x, shape=tuple(shape))


class View(Op):
    is_view = True
    inplace_needs_copy = False

    @staticmethod
    def forward(ctx: Any, a: Tensor, shape: tuple[int, ...] = ()) -> Any:
        x = a._array
        ctx.shape = x.shape
        try:
            return x.reshape(shape, copy=False) if type(x) is np.ndarray else _view_cp(x, shape)
        except ValueError:
            if _numel(shape, x.size) != x.size:
                raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {x.size}") from None  # noqa: E501
            raise RuntimeError(
                "view size is not compatible with input tensor's size and stride (at least one "
                "dimension spans across two contiguous subspaces). Use .reshape(...) instead."
            ) from None

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        return reshape(grad, ctx.shape)


def _view_cp(x: Any, shape: tuple[int, ...]) -> Any:
    r = x.reshape(shape)
    if r.size and r.data.ptr != x.data.ptr:
        raise ValueError
    return r


def _numel(shape: tuple[int, ...], total: int) -> int:
    known = 1
    for s in shape:
        if s != -1:
            known *= s
    if shape.count(-1) == 1 and known and total % known == 0:
        return total
    return known


class Reshape(Op, node_name="ViewBackward0"):
    is_view = True

    @staticmethod
    def forward(ctx: Any, a: Tensor, shape: tuple[int, ...] = ()) -> Any:
        x = a._array
        ctx.shape = x.shape
        try:
            return x.reshape(shape)
        except ValueError:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {x.size}") from None  # noqa: E501

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        return reshape(grad, ctx.shape)


def view(input: Tensor, *shape: Any) -> Tensor:
    """A view of ``input`` with a new shape (no copy; RuntimeError when that is impossible)."""
    if len(shape) == 1 and not isinstance(shape[0], int | np.integer | tuple | list) and shape[0] is not None:  # noqa: E501
        from .._dtype import dtype as _dt  # noqa: PLC0415

        if isinstance(shape[0], _dt):
            return _wrap(input._array.view(shape[0].np))
    s = _shape_arg(shape)
    if s == input._array.shape:
        return View.apply(input, shape=s)
    return View.apply(input, shape=s)


def reshape(input: Tensor, *shape: Any) -> Tensor:
    """``input`` with a new shape: a view when the layout allows, else a copy."""
    return Reshape.apply(input, shape=_shape_arg(shape))


def view_as(input: Tensor, other: Tensor) -> Tensor:
    """``input.view(other.shape)``."""
    return view(input, other.shape)


class Permute(Op):
    is_view = True

    @staticmethod
    def forward(ctx: Any, a: Tensor, dims: tuple[int, ...] = ()) -> Any:
        ctx.dims = dims
        return a._array.transpose(dims)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        return Permute.apply(grad, dims=tuple(np.argsort(ctx.dims)))


def permute(input: Tensor, *dims: Any) -> Tensor:
    """Reorder the dimensions (a view)."""
    d = _shape_arg(dims)
    n = input._array.ndim
    if len(d) != n:
        raise RuntimeError(
            f"permute(sparse_coo): number of dimensions in the tensor input does not match the "
            f"length of the desired ordering of dimensions i.e. input.dim() = {n} is not equal to "
            f"len(dims) = {len(d)}"
        )
    d = tuple(_dim(i, n) for i in d)
    if len(set(d)) != n:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return Permute.apply(input, dims=d)


class Transpose(Op):
    is_view = True

    @staticmethod
    def forward(ctx: Any, a: Tensor, d0: int = 0, d1: int = 1) -> Any:
        ctx.d = (d0, d1)
        return a._array.swapaxes(d0, d1)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        return transpose(grad, *ctx.d)


class T(Transpose):
    pass


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """Swap two dimensions (a view)."""
    n = input._array.ndim
    return Transpose.apply(input, d0=_dim(dim0, n), d1=_dim(dim1, n))


swapaxes = swapdims = transpose


def t(input: Tensor) -> Tensor:
    """Transpose a tensor of at most 2 dimensions."""
    if input._array.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input.ndim}D")
    if input._array.ndim < 2:
        return View.apply(input, shape=input._array.shape)
    return T.apply(input, d0=0, d1=1)


def movedim(input: Tensor, source: Any, destination: Any) -> Tensor:
    """Move dimension(s) ``source`` to position(s) ``destination``."""
    n = input.ndim
    src = [source] if isinstance(source, int) else list(source)
    dst = [destination] if isinstance(destination, int) else list(destination)
    perm = list(range(n))
    s = [_dim(x, n) for x in src]
    d = [_dim(x, n) for x in dst]
    rest = [i for i in perm if i not in s]
    out: list[int | None] = [None] * n
    for si, di in zip(s, d):
        out[di] = si
    it = iter(rest)
    perm = [o if o is not None else next(it) for o in out]
    return permute(input, perm)


moveaxis = movedim


class Expand(Op):
    is_view = True

    @staticmethod
    def forward(ctx: Any, a: Tensor, shape: tuple[int, ...] = ()) -> Any:
        x = a._array
        ctx.shape = x.shape
        xp = np if type(x) is np.ndarray else _xp(x)
        return xp.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        return sum_to(grad, ctx.shape)


def _xp(a: Any) -> Any:
    from .._device import array_namespace  # noqa: PLC0415

    return array_namespace(a)


def expand(input: Tensor, *sizes: Any) -> Tensor:
    """Broadcast ``input`` to ``sizes`` without copying (``-1`` keeps a dimension)."""
    s = _shape_arg(sizes)
    x = input._array
    if len(s) < x.ndim:
        raise RuntimeError(
            f"expand(torch.FloatTensor{{{list(x.shape)}}}, size={list(s)}): the number of sizes "
            f"provided ({len(s)}) must be greater or equal to the number of dimensions in the "
            f"tensor ({x.ndim})"
        )
    lead = len(s) - x.ndim
    full = tuple(x.shape[i - lead] if v == -1 else v for i, v in enumerate(s))
    for i in range(x.ndim):
        if x.shape[i] != 1 and x.shape[i] != full[i + lead]:
            raise RuntimeError(
                f"The expanded size of the tensor ({full[i + lead]}) must match the existing size "
                f"({x.shape[i]}) at non-singleton dimension {i + lead}.  Target sizes: {list(s)}."
                f"  Tensor sizes: {list(x.shape)}"
            )
    if full == x.shape:
        return View.apply(input, shape=full)
    return Expand.apply(input, shape=full)


broadcast_to = expand


def expand_as(input: Tensor, other: Tensor) -> Tensor:
    """``input.expand(other.shape)``."""
    return expand(input, other.shape)


def broadcast_tensors(*tensors: Tensor) -> tuple[Tensor, ...]:
    """Expand all tensors to their common broadcast shape."""
    shape = np.broadcast_shapes(*(t.shape for t in tensors))
    return tuple(expand(t, shape) for t in tensors)


class Squeeze(Op, node_name="SqueezeBackward1"):
    is_view = True

    @staticmethod
    def forward(ctx: Any, a: Tensor, shape: tuple[int, ...] = ()) -> Any:
        ctx.shape = a._array.shape
        return a._array.reshape(shape)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        return reshape(grad, ctx.shape)


class Unsqueeze(Squeeze, node_name="UnsqueezeBackward0"):
    pass


def squeeze(input: Tensor, dim: Any = None) -> Tensor:
    """Remove size-1 dimensions (all, or those in ``dim``)."""
    shape = input._array.shape
    n = len(shape)
    if dim is None:
        dims = {i for i, s in enumerate(shape) if s == 1}
    else:
        dims = {_dim(d, n) for d in (dim if isinstance(dim, tuple | list) else (dim,))}
        dims = {d for d in dims if n and shape[d] == 1}
    return Squeeze.apply(input, shape=tuple(s for i, s in enumerate(shape) if i not in dims))


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    """Insert a size-1 dimension at ``dim``."""
    shape = input._array.shape
    d = _dim(dim, len(shape) + 1)
    return Unsqueeze.apply(input, shape=shape[:d] + (1,) + shape[d:])


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dimensions ``start_dim..end_dim`` into one."""
    shape = input._array.shape
    n = len(shape)
    if n == 0:
        return reshape(input, (1,))
    s, e = _dim(start_dim, n), _dim(end_dim, n)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return input
    return reshape(input, shape[:s] + (-1 if 0 not in shape else int(np.prod(shape[s:e + 1])),) + shape[e + 1:])  # noqa: E501


def unflatten(input: Tensor, dim: int, sizes: Sequence[int]) -> Tensor:
    """Split dimension ``dim`` into ``sizes``."""
    shape = input._array.shape
    d = _dim(dim, len(shape))
    return view(input, shape[:d] + tuple(sizes) + shape[d + 1:])


class Cat(Op):
    @staticmethod
    def forward(ctx: Any, *tensors: Tensor, dim: int = 0) -> Any:
        arrays = [t._array for t in tensors]
        ctx.sizes = [a.shape[dim] for a in arrays]
        ctx.dim = dim
        return _xp(arrays[0]).concatenate(arrays, axis=dim)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any, ...]:
        out, start = [], 0
        for need, size in zip(ctx.needs_input_grad, ctx.sizes):
            out.append(narrow(grad, ctx.dim, start, size) if need else None)
            start += size
        return tuple(out)


def cat(tensors: Sequence[Tensor], dim: int = 0, *, out: Tensor | None = None) -> Tensor:
    """Concatenate tensors along an existing dimension."""
    from .._dtype import result_type  # noqa: PLC0415

    if isinstance(tensors, Tensor):
        raise TypeError("cat(): argument 'tensors' (position 1) must be tuple of Tensors, not Tensor")  # noqa: E501
    ts = [t for t in tensors if not (t._array.ndim == 1 and t._array.shape[0] == 0)] or list(tensors)  # noqa: E501
    if not ts:
        raise RuntimeError("torch.cat(): expected a non-empty list of Tensors")
    rt = result_type(*ts) if any(t.dtype is not ts[0].dtype for t in ts) else ts[0].dtype
    ts = [t if t.dtype is rt else t.to(rt) for t in ts]
    n = ts[0]._array.ndim
    if n == 0:
        raise RuntimeError("zero-dimensional tensor (at position 0) cannot be concatenated")
    d = _dim(dim, n)
    ref = ts[0].shape
    for i, x in enumerate(ts[1:], 1):
        if x._array.ndim != n:
            raise RuntimeError(
                f"Tensors must have same number of dimensions: got {n} and {x._array.ndim}"
            )
        for k in range(n):
            if k != d and x.shape[k] != ref[k]:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {d}. Expected size {ref[k]} "
                    f"but got size {x.shape[k]} for tensor number {i} in the list."
                )
    r = Cat.apply(*ts, dim=d)
    if out is not None:
        from .elementwise import _out  # noqa: PLC0415

        return _out(r, out)
    return r


concat = concatenate = cat


def stack(tensors: Sequence[Tensor], dim: int = 0, *, out: Tensor | None = None) -> Tensor:
    """Join tensors along a new dimension."""
    ts = list(tensors)
    if not ts:
        raise RuntimeError("stack expects a non-empty TensorList")
    shape = ts[0].shape
    for i, x in enumerate(ts[1:], 1):
        if x.shape != shape:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(shape)} at entry 0 and "
                f"{list(x.shape)} at entry {i}"
            )
    d = _dim(dim, len(shape) + 1)
    if out is not None or any(t.dtype is not ts[0].dtype for t in ts):
        return cat([unsqueeze(x, d) for x in ts], d, out=out)
    return Stack.apply(*ts, dim=d)


class Stack(Op):
    @staticmethod
    def forward(ctx: Any, *tensors: Tensor, dim: int = 0) -> Any:
        ctx.dim = dim
        return _xp(tensors[0]._array).stack([t._array for t in tensors], axis=dim)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any, ...]:
        from .indexing import index  # noqa: PLC0415

        pre = (slice(None),) * ctx.dim
        return tuple(index(grad, (*pre, i)) if need else None for i, need in enumerate(ctx.needs_input_grad))  # noqa: E501


def hstack(tensors: Sequence[Tensor]) -> Tensor:
    """Concatenate horizontally (dim 1, or 0 for 1-D tensors)."""
    ts = atleast_1d(*tensors) if len(tensors) > 1 else (atleast_1d(tensors[0]),)
    return cat(ts, 0 if ts[0].ndim == 1 else 1)


def vstack(tensors: Sequence[Tensor]) -> Tensor:
    """Concatenate vertically, promoting 1-D tensors to rows."""
    return cat([atleast_2d(t) for t in tensors], 0)


def atleast_1d(*tensors: Tensor) -> Any:
    """Tensors of at least one dimension."""
    r = tuple(reshape(x, (1,)) if x.ndim == 0 else x for x in tensors)
    return r[0] if len(r) == 1 else r


def atleast_2d(*tensors: Tensor) -> Any:
    """Tensors of at least two dimensions."""
    r = tuple(reshape(x, (1, -1)) if x.ndim < 2 else x for x in tensors)
    return r[0] if len(r) == 1 else r


def narrow(input: Tensor, dim: int, start: int, length: int) -> Tensor:
    """The slice ``start:start+length`` of dimension ``dim`` (a view)."""
    from .indexing import index  # noqa: PLC0415

    d = _dim(dim, input.ndim)
    size = input.shape[d]
    start = int(start)
    if start < 0:
        start += size
    if start < 0 or start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    return index(input, (slice(None),) * d + (slice(start, start + int(length)),))


class Split(Op, node_name="SplitBackward0"):
    """The pieces of ``split``/``chunk``: views of the input, all outputs of one node (as torch
    records them), so that their gradients meet in one backward, a single concatenation.

    # perf: recorded piece by piece, each gradient would be padded with zeros to the input's
    # shape and the padded copies summed: several full-size passes instead of one.
    """

    is_view = True

    @staticmethod
    def backward(ctx: Any, *grads: Any) -> Any:
        d, sizes = ctx.dim, ctx.sizes
        if _state.enabled:  # create_graph: a differentiable cat, zeros for the unused pieces
            shape, xp = ctx.shape, ctx.xp
            return cat([g if g is not None else _wrap(xp.zeros(shape[:d] + (n,) + shape[d + 1:], dtype=ctx.dtype))  # noqa: E501
                        for g, n in zip(grads, sizes)], d)  # fmt: skip
        if all(g is not None for g in grads):
            return _wrap(_xp(grads[0]._array).concatenate([g._array for g in grads], axis=d))
        g0 = next(g._array for g in grads if g is not None)
        out = _xp(g0).zeros(ctx.shape, dtype=g0.dtype)
        start = 0
        for g, n in zip(grads, sizes):
            if g is not None:
                out[(slice(None),) * d + (slice(start, start + n),)] = g._array
            start += n
        return _wrap(out)


class SplitWithSizes(Split, node_name="SplitWithSizesBackward0"):
    pass


Split._node_cls._single = None  # several outputs: the engine takes its general path
SplitWithSizes._node_cls._single = None


def _split(x: Tensor, d: int, sizes: list[int], op: type[Split]) -> tuple[Tensor, ...]:
    """Views of ``x`` along ``d``, recorded (when ``x`` requires grad) as outputs of one node."""
    from ..autograd.engine import gradient_edge  # noqa: PLC0415

    a = x._array
    node: Any = None  # an op node: it stores what backward needs as attributes
    if _state.enabled and x._rg:
        node = op._node_cls()
        node.needs_input_grad = (True,)
        node._next = (gradient_edge(x),)
        node._n_out = len(sizes)
        node.dim, node.sizes, node.shape, node.dtype, node.xp = d, sizes, a.shape, a.dtype, _xp(a)
    vc = x._vc
    if vc is None:
        vc = x._vc = [0]
    out, start = [], 0
    for i, n in enumerate(sizes):
        t = _wrap(a[(slice(None),) * d + (slice(start, start + n),)], node is not None, node)
        t._vc, t._output_nr = vc, i
        out.append(t)
        start += n
    return tuple(out)


def _split_sizes(tensor: Tensor, split_size_or_sections: Any, d: int) -> list[int]:
    size = tensor.shape[d]
    if isinstance(split_size_or_sections, int | np.integer):
        step = int(split_size_or_sections)
        if step <= 0 and size:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {size}")  # noqa: E501
        return [min(step, size - i) for i in range(0, size, step)] if size else [0]
    sizes = [int(s) for s in split_size_or_sections]
    if sum(sizes) != size:
        raise RuntimeError(
            f"split_with_sizes expects split_sizes to sum exactly to {size} (input tensor's "
            f"size at dimension {d}), but got split_sizes={sizes}"
        )
    return sizes


def split(tensor: Tensor, split_size_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """Split into chunks of a given size, or of the given list of sizes."""
    d = _dim(dim, tensor.ndim)
    sizes = _split_sizes(tensor, split_size_or_sections, d)
    op = Split if isinstance(split_size_or_sections, int | np.integer) else SplitWithSizes
    return _split(tensor, d, sizes, op)


def tensor_split(input: Tensor, indices_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """Split into ``n`` nearly equal parts, or at the given indices."""
    d = _dim(dim, input.ndim)
    size = input.shape[d]
    if isinstance(indices_or_sections, int):
        n = indices_or_sections
        q, r = divmod(size, n)
        sizes = [q + 1] * r + [q] * (n - r)
    else:
        idx = [0, *list(indices_or_sections), size]
        sizes = [max(0, min(b, size) - min(a, size)) for a, b in zip(idx, idx[1:])]
    out, start = [], 0
    for n in _split_sizes(input, sizes, d):  # torch records these as one SliceBackward0 each
        out.append(narrow(input, d, start, n))
        start += n
    return tuple(out)


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """Split into ``chunks`` parts of size ``ceil(n / chunks)`` (the last may be smaller)."""
    if chunks <= 0:
        raise RuntimeError("chunk expects `chunks` to be greater than 0, got: " + str(chunks))
    size = input.shape[_dim(dim, input.ndim)]
    step = max(1, -(-size // chunks))
    return split(input, step, dim)


def unbind(input: Tensor, dim: int = 0) -> tuple[Tensor, ...]:
    """The slices along ``dim``, each without that dimension."""
    from .indexing import index  # noqa: PLC0415

    d = _dim(dim, input.ndim)
    return tuple(index(input, (slice(None),) * d + (i,)) for i in range(input.shape[d]))


class Repeat(Op):
    @staticmethod
    def forward(ctx: Any, a: Tensor, reps: tuple[int, ...] = ()) -> Any:
        x = a._array
        lead = len(reps) - x.ndim
        xs = x.reshape((1,) * lead + x.shape)
        ctx.in_shape, ctx.xs_shape, ctx.reps = x.shape, xs.shape, reps
        return _xp(x).tile(xs, reps)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        inter = []
        for r, s in zip(ctx.reps, ctx.xs_shape):
            inter += [r, s]
        g = reshape(grad, tuple(inter)).sum(tuple(range(0, len(inter), 2)))
        return reshape(g, ctx.in_shape)


def repeat(input: Tensor, *sizes: Any) -> Tensor:
    """Tile ``input`` ``sizes[i]`` times along each dimension (copies, unlike expand)."""
    s = _shape_arg(sizes)
    if len(s) < input.ndim:
        raise RuntimeError(
            "Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor"  # noqa: E501
        )
    return Repeat.apply(input, reps=s)


def tile(input: Tensor, dims: Sequence[int]) -> Tensor:
    """Like ``repeat``, padding ``dims`` with ones on the left."""
    d = tuple(dims)
    d = (1,) * (input.ndim - len(d)) + d
    return repeat(input, d)


def repeat_interleave(input: Tensor, repeats: Any, dim: int | None = None) -> Tensor:
    """Repeat each element ``repeats`` times."""
    from .indexing import index_select  # noqa: PLC0415

    x = input if dim is not None else reshape(input, (-1,))
    d = _dim(dim, x.ndim) if dim is not None else 0
    r = repeats._array if isinstance(repeats, Tensor) else repeats
    idx = np.repeat(np.arange(x.shape[d]), r)
    return index_select(x, d, _wrap(idx))


class Flip(Op):
    @staticmethod
    def forward(ctx: Any, a: Tensor, dims: tuple[int, ...] = ()) -> Any:
        ctx.dims = dims
        return _xp(a._array).flip(a._array, dims).copy()

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        return Flip.apply(grad, dims=ctx.dims)


def flip(input: Tensor, *dims: Any) -> Tensor:
    """Reverse the order of elements along ``dims`` (copies, as torch does)."""
    d = _shape_arg(dims)
    return Flip.apply(input, dims=tuple(_dim(i, input.ndim) for i in d))


def fliplr(input: Tensor) -> Tensor:
    """Flip dimension 1."""
    return flip(input, (1,))


def flipud(input: Tensor) -> Tensor:
    """Flip dimension 0."""
    return flip(input, (0,))


class Roll(Op):
    @staticmethod
    def forward(ctx: Any, a: Tensor, shifts: Any = 0, dims: Any = None) -> Any:
        ctx.shifts, ctx.dims = shifts, dims
        return _xp(a._array).roll(a._array, shifts, dims)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        s = ctx.shifts
        neg = tuple(-i for i in s) if isinstance(s, tuple | list) else -s
        return Roll.apply(grad, shifts=neg, dims=ctx.dims)


def roll(input: Tensor, shifts: Any, dims: Any = None) -> Tensor:
    """Rotate elements along ``dims`` by ``shifts`` (flattened when ``dims`` is None)."""
    if dims is None:
        return reshape(Roll.apply(reshape(input, (-1,)), shifts=shifts, dims=0), input.shape)
    s = tuple(shifts) if isinstance(shifts, tuple | list) else shifts
    d = tuple(dims) if isinstance(dims, tuple | list) else dims
    return Roll.apply(input, shifts=s, dims=d)


class Tril(Op):
    @staticmethod
    def forward(ctx: Any, a: Tensor, diagonal: int = 0, upper: bool = False) -> Any:
        ctx.k, ctx.upper = diagonal, upper
        xp = _xp(a._array)
        return xp.triu(a._array, diagonal) if upper else xp.tril(a._array, diagonal)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        return Tril.apply(grad, diagonal=ctx.k, upper=ctx.upper)


class Triu(Tril):
    pass


def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    """The lower triangle (elements above ``diagonal`` zeroed)."""
    if input.ndim < 2:
        raise RuntimeError("tril: input tensor must have at least 2 dimensions")
    return Tril.apply(input, diagonal=diagonal, upper=False)


def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    """The upper triangle (elements below ``diagonal`` zeroed)."""
    if input.ndim < 2:
        raise RuntimeError("triu: input tensor must have at least 2 dimensions")
    return Triu.apply(input, diagonal=diagonal, upper=True)


class Diagonal(Op):
    is_view = True

    @staticmethod
    def forward(ctx: Any, a: Tensor, offset: int = 0, d1: int = 0, d2: int = 1) -> Any:
        ctx.args, ctx.shape = (offset, d1, d2), a._array.shape
        return a._array.diagonal(offset, d1, d2)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        return _DiagonalGrad.apply(grad, shape=ctx.shape, args=ctx.args)


class _DiagonalGrad(Op, node_name="DiagonalBackwardBackward0"):
    @staticmethod
    def forward(ctx: Any, g: Tensor, shape: tuple[int, ...] = (), args: tuple[int, ...] = ()) -> Any:  # noqa: E501
        ctx.args = args
        z = _xp(g._array).zeros(shape, g._array.dtype)
        d = z.diagonal(*args)
        d.flags.writeable = True
        d[...] = g._array
        return z

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        return Diagonal.apply(grad, offset=ctx.args[0], d1=ctx.args[1], d2=ctx.args[2])


def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The diagonal of the ``dim1``/``dim2`` planes, as the last dimension."""
    n = input.ndim
    return Diagonal.apply(input, offset=offset, d1=_dim(dim1, n), d2=_dim(dim2, n))


def diag_embed(input: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """Batched diagonal matrices from the last dimension of ``input``."""
    n = input.shape[-1] + builtins_abs(offset)
    shape = tuple(input.shape[:-1]) + (n, n)
    return _DiagonalGrad.apply(input, shape=shape, args=(offset, len(shape) - 2, len(shape) - 1))


def builtins_abs(x: int) -> int:
    return x if x >= 0 else -x


def diag(input: Tensor, diagonal: int = 0) -> Tensor:
    """A 1-D input becomes a diagonal matrix; a 2-D input gives its diagonal."""
    if input.ndim == 1:
        return diag_embed(input, diagonal, 0, 1)
    if input.ndim == 2:
        from .elementwise import mul  # noqa: PLC0415

        return mul(Diagonal.apply(input, offset=diagonal, d1=0, d2=1), 1)
    raise RuntimeError("diag(): Supports 1D or 2D tensors. Got " + f"{input.ndim}D")

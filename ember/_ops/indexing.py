"""Indexing: ``x[idx]``, ``x[idx] = v``, gather/scatter, index_select, masked_fill, nonzero."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor, _wrap
from ..autograd.function import Op
from .shape import _dim, _xp, sum_to

__all__ = ["index", "index_put", "gather", "scatter", "scatter_add", "index_select", "index_add",
           "masked_fill", "masked_select", "nonzero", "argwhere", "take", "take_along_dim",
           "scatter_reduce", "index_copy", "index_fill"]  # fmt: skip

_BASIC = (int, slice, type(None), type(Ellipsis))


def convert_index(idx: Any) -> tuple[tuple[Any, ...], bool]:
    """Turn a Python index into one NumPy understands; also say whether it is basic (a view)."""
    if not isinstance(idx, tuple):
        idx = (idx,)
    out = []
    basic = True
    for i in idx:
        if isinstance(i, _BASIC) and not isinstance(i, bool):
            if isinstance(i, slice) and any(isinstance(v, Tensor) for v in (i.start, i.stop, i.step)):
                i = slice(*(int(v) if isinstance(v, Tensor) else v for v in (i.start, i.stop, i.step)))  # noqa: E501
            out.append(i)
        elif isinstance(i, Tensor):
            a = i._array
            if a.dtype.kind not in "iub":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            out.append(a)
            basic = False
        elif isinstance(i, np.integer):
            out.append(int(i))
        elif isinstance(i, list | tuple | range | np.ndarray | bool):  # torch accepts range
            a = np.asarray([int(v) if isinstance(v, Tensor) else v for v in i] if isinstance(i, list | tuple) else i)  # noqa: E501
            if a.dtype.kind == "f":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            out.append(a)
            basic = False
        else:
            raise IndexError(
                "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables "
                "are valid indices (got " + type(i).__name__ + ")"
            )
    return tuple(out), basic


def _getitem(x: Any, idx: tuple[Any, ...]) -> Any:
    try:
        return x[idx]
    except IndexError as e:
        msg = str(e).replace("axis", "dimension")
        raise IndexError(msg) from None


class Slice(Op):
    """Basic indexing (ints, slices, None, Ellipsis): a view."""

    is_view = True

    @staticmethod
    def forward(ctx: Any, a: Tensor, idx: tuple[Any, ...] = ()) -> Any:
        ctx.shape, ctx.idx = a._array.shape, idx
        # A trailing Ellipsis makes NumPy return a 0-d view instead of a scalar copy.
        if not any(i is Ellipsis for i in idx):
            idx = (*idx, Ellipsis)
        return _getitem(a._array, idx)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        return IndexGrad.apply(grad, shape=ctx.shape, idx=ctx.idx, basic=True)


class Select(Slice):
    pass


class Index(Op):
    """Advanced indexing (integer or bool arrays): a copy."""

    @staticmethod
    def forward(ctx: Any, a: Tensor, idx: tuple[Any, ...] = ()) -> Any:
        ctx.shape, ctx.idx = a._array.shape, idx
        return _getitem(a._array, idx)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        return IndexGrad.apply(grad, shape=ctx.shape, idx=ctx.idx, basic=False)


class IndexGrad(Op, node_name="IndexBackwardBackward0"):
    """Scatter-add a gradient back into zeros of the indexed tensor's shape."""

    @staticmethod
    def forward(ctx: Any, g: Tensor, shape: tuple[int, ...] = (), idx: Any = (), basic: bool = True) -> Any:  # noqa: E501
        ctx.idx, ctx.basic = idx, basic
        x = g._array
        xp = _xp(x)
        z = xp.zeros(shape, dtype=x.dtype)
        if basic:
            z[idx] = x
        elif xp is np:
            np.add.at(z, idx, x)
        else:
            _xp_add_at(z, idx, x)
        return z

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        return (Slice if ctx.basic else Index).apply(grad, idx=ctx.idx)


def _xp_add_at(z: Any, idx: Any, x: Any) -> None:
    import cupyx  # type: ignore[import-not-found]  # noqa: PLC0415 - only reached with CuPy arrays

    cupyx.scatter_add(z, idx, x)


def index(input: Tensor, idx: Any) -> Tensor:
    """``input[idx]`` with torch's semantics."""
    nidx, basic = convert_index(idx)
    if basic:
        op = Select if any(type(i) is int for i in nidx) and not any(isinstance(i, slice) for i in nidx) else Slice  # noqa: E501
        if input._array.ndim == 0 and any(type(i) is int for i in nidx):
            raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")  # noqa: E501
        return op.apply(input, idx=nidx)
    return Index.apply(input, idx=nidx)


class IndexPut(Op):
    """``a[idx] = v`` out of place (the in-place form writes the result back)."""

    inplace_needs_copy = False

    @staticmethod
    def forward(ctx: Any, a: Tensor, v: Tensor, idx: Any = (), accumulate: bool = False) -> Any:
        ctx.idx, ctx.vshape, ctx.accumulate = idx, v._array.shape, accumulate
        out = a._array.copy()
        if accumulate:
            np.add.at(out, idx, v._array)
        else:
            out[idx] = v._array
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any, Any]:
        ga, gv = ctx.needs_input_grad
        grad_a = grad_v = None
        if ga:
            grad_a = grad if ctx.accumulate else IndexPut.apply(grad, grad.new_zeros(()), idx=ctx.idx)
        if gv:
            grad_v = sum_to(_getitem_t(grad, ctx.idx), ctx.vshape)
        return grad_a, grad_v


def _getitem_t(g: Tensor, idx: tuple[Any, ...]) -> Tensor:
    basic = all(isinstance(i, _BASIC) for i in idx)
    return (Slice if basic else Index).apply(g, idx=idx)


def index_put(input: Tensor, indices: tuple[Any, ...], values: Tensor, accumulate: bool = False) -> Tensor:  # noqa: E501
    """Out-of-place ``input[indices] = values`` (or ``+=`` with ``accumulate``)."""
    nidx, _ = convert_index(tuple(indices))
    return IndexPut.apply(input, values.to(input.dtype), idx=nidx, accumulate=accumulate)


class Gather(Op):
    @staticmethod
    def forward(ctx: Any, a: Tensor, index: Tensor, dim: int = 0) -> Any:
        ctx.shape, ctx.dim, ctx.index = a._array.shape, dim, index
        return _xp(a._array).take_along_axis(a._array, index._array, axis=dim)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any, Any]:
        z = grad.new_zeros(ctx.shape)
        return scatter_add(z, ctx.dim, ctx.index, grad), None


def gather(input: Tensor, dim: int, index: Tensor, *, sparse_grad: bool = False) -> Tensor:
    """Pick values along ``dim`` at ``index``: ``out[i][j] = input[i][index[i][j]]`` for dim=1."""
    d = _dim(dim, input.ndim)
    if index.ndim != input.ndim:
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    for k in range(input.ndim):
        if k != d and index.shape[k] > input.shape[k]:
            raise RuntimeError(
                f"Size does not match at dimension {k} expected index {list(index.shape)} to be "
                f"no larger than self {list(input.shape)} apart from dimension {d}"
            )
    if index._array.size and (index._array.max() >= input.shape[d] or index._array.min() < -input.shape[d]):  # noqa: E501
        raise RuntimeError(f"index {int(index._array.max())} is out of bounds for dimension {d} with size {input.shape[d]}")  # noqa: E501
    if index.shape[:d] + index.shape[d + 1:] != input.shape[:d] + input.shape[d + 1:]:
        sl = tuple(slice(0, s) if k != d else slice(None) for k, s in enumerate(index.shape))
        input = input[sl]
    return Gather.apply(input, index, dim=d)


def take_along_dim(input: Tensor, indices: Tensor, dim: int | None = None) -> Tensor:
    """``gather`` with broadcasting of ``indices``."""
    if dim is None:
        return gather(input.reshape(-1), 0, indices.reshape(-1))
    return gather(input, dim, indices)


def _full_index(index: Any, dim: int) -> tuple[Any, ...]:
    xp = _xp(index)
    grids = list(xp.indices(index.shape, sparse=True))
    grids[dim] = index
    return tuple(grids)


class Scatter(Op):
    @staticmethod
    def forward(ctx: Any, a: Tensor, index: Tensor, src: Tensor | None, dim: int = 0, value: Any = None, reduce: Any = None) -> Any:  # noqa: E501
        ctx.dim, ctx.index = dim, index
        out = a._array.copy()
        idx = _full_index(index._array, dim)
        s = value if src is None else src._array[tuple(slice(0, n) for n in index.shape)]
        if reduce is None:
            out[idx] = s
        elif reduce in ("add", "sum"):
            np.add.at(out, idx, s)
        elif reduce in ("multiply", "prod"):
            np.multiply.at(out, idx, s)
        elif reduce == "amax":
            np.maximum.at(out, idx, s)
        elif reduce == "amin":
            np.minimum.at(out, idx, s)
        else:
            raise RuntimeError(f"reduce argument must be either add or multiply, got {reduce}")
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any, ...]:
        ga, _, gs = ctx.needs_input_grad
        grad_a = scatter(grad, ctx.dim, ctx.index, 0.0) if ga else None
        grad_s = gather(grad, ctx.dim, ctx.index) if gs else None
        return grad_a, None, grad_s


def scatter(input: Tensor, dim: int, index: Tensor, src: Any = None, *, value: Any = None, reduce: str | None = None) -> Tensor:  # noqa: E501
    """Write ``src`` (or ``value``) into ``input`` at ``index`` along ``dim`` (out of place)."""
    d = _dim(dim, input.ndim)
    if not isinstance(src, Tensor):
        value, src = (src if value is None else value), None
    elif src.dtype is not input.dtype:
        src = src.to(input.dtype)
    return Scatter.apply(input, index, src, dim=d, value=value, reduce=reduce)


class ScatterAdd(Op):
    @staticmethod
    def forward(ctx: Any, a: Tensor, index: Tensor, src: Tensor, dim: int = 0) -> Any:
        ctx.dim, ctx.index = dim, index
        out = a._array.copy()
        s = src._array[tuple(slice(0, n) for n in index.shape)]
        idx = _full_index(index._array, dim)
        if _xp(out) is np:
            np.add.at(out, idx, s)
        else:
            _xp_add_at(out, idx, s)
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any, ...]:
        ga, _, gs = ctx.needs_input_grad
        return (grad if ga else None), None, (gather(grad, ctx.dim, ctx.index) if gs else None)


def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """Add ``src`` into ``input`` at ``index`` along ``dim`` (out of place)."""
    return ScatterAdd.apply(input, index, src.to(input.dtype), dim=_dim(dim, input.ndim))


def scatter_reduce(input: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, *, include_self: bool = True) -> Tensor:  # noqa: E501
    """Reduce ``src`` into ``input`` at ``index`` (sum, prod, amax, amin, mean)."""
    if reduce == "sum":
        return scatter_add(input, dim, index, src)
    if reduce == "mean":
        s = scatter_add(input if include_self else input * 0, dim, index, src)
        cnt = scatter_add(input.new_ones(input.shape) if include_self else input.new_zeros(input.shape), dim, index, src.new_ones(src.shape))  # noqa: E501
        return s / cnt.clamp(min=1)
    base = input if include_self else input.clone()
    return _wrap(Scatter.forward(_NoCtx(), base, index, src, dim=_dim(dim, input.ndim), reduce=reduce))


class _NoCtx:
    recording = False

    def __setattr__(self, k: str, v: Any) -> None:
        pass


class IndexSelect(Op):
    @staticmethod
    def forward(ctx: Any, a: Tensor, index: Tensor, dim: int = 0) -> Any:
        ctx.shape, ctx.dim, ctx.index = a._array.shape, dim, index
        return _xp(a._array).take(a._array, index._array, axis=dim)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any, Any]:
        return index_add(grad.new_zeros(ctx.shape), ctx.dim, ctx.index, grad), None


def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:
    """The entries of ``input`` at ``index`` (1-D) along ``dim``."""
    d = _dim(dim, input.ndim)
    if index.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    if index._array.size and (int(index._array.max()) >= input.shape[d] or int(index._array.min()) < -input.shape[d]):  # noqa: E501
        raise IndexError("index out of range in self")
    return IndexSelect.apply(input, index, dim=d)


class IndexAdd(Op):
    @staticmethod
    def forward(ctx: Any, a: Tensor, index: Tensor, src: Tensor, dim: int = 0, alpha: Any = 1) -> Any:  # noqa: E501
        ctx.dim, ctx.index, ctx.alpha = dim, index, alpha
        out = a._array.copy()
        idx = (slice(None),) * dim + (index._array,)
        s = src._array if alpha == 1 else src._array * alpha
        if _xp(out) is np:
            np.add.at(out, idx, s)
        else:
            _xp_add_at(out, idx, s)
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any, ...]:
        ga, _, gs = ctx.needs_input_grad
        gsrc = index_select(grad, ctx.dim, ctx.index) if gs else None
        if gsrc is not None and ctx.alpha != 1:
            gsrc = gsrc * ctx.alpha
        return (grad if ga else None), None, gsrc


def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha: Any = 1) -> Tensor:
    """Add ``source`` slices into ``input`` at ``index`` along ``dim`` (out of place)."""
    return IndexAdd.apply(input, index, source, dim=_dim(dim, input.ndim), alpha=alpha)


def index_copy(input: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:
    """Copy ``source`` slices into ``input`` at ``index`` along ``dim`` (out of place)."""
    d = _dim(dim, input.ndim)
    return index_put(input, (slice(None),) * d + (index,), source)


def index_fill(input: Tensor, dim: int, index: Tensor, value: Any) -> Tensor:
    """Fill the slices at ``index`` along ``dim`` with ``value`` (out of place)."""
    d = _dim(dim, input.ndim)
    v = value if isinstance(value, Tensor) else input.new_tensor(value)
    return index_put(input, (slice(None),) * d + (index,), v)


class MaskedFill(Op):
    inplace_needs_copy = False

    @staticmethod
    def forward(ctx: Any, a: Tensor, mask: Tensor, value: Tensor | None, scalar: Any = None) -> Any:  # noqa: E501
        ctx.mask, ctx.shape = mask, a._array.shape
        v = scalar if value is None else value._array
        m = mask._array
        xp = _xp(a._array)
        out = xp.where(m, xp.asarray(v, dtype=a._array.dtype), a._array)
        if out.shape != a._array.shape:
            raise RuntimeError(
                f"masked_fill_ only supports boolean masks, but got mask with shape {list(m.shape)}"
                f" not broadcastable to {list(a.shape)}"
            )
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any, ...]:
        ga, _, gv = ctx.needs_input_grad
        z = grad.new_zeros(())
        from .elementwise import where  # noqa: PLC0415

        return (
            where(ctx.mask, z, grad) if ga else None,
            None,
            where(ctx.mask, grad, z).sum() if gv else None,
        )


def masked_fill(input: Tensor, mask: Tensor, value: Any) -> Tensor:
    """``value`` where ``mask`` is True, else ``input`` (out of place)."""
    if mask.dtype.name != "bool":
        cname = {"float32": "float", "float64": "double", "int64": "long int", "int32": "int", "uint8": "unsigned char", "float16": "c10::Half"}.get(mask.dtype.name, mask.dtype.name)  # noqa: E501
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype {cname}")  # noqa: E501
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError(
                "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                f"{value.ndim} dimension(s)."
            )
        return MaskedFill.apply(input, mask, value.to(input.dtype))
    return MaskedFill.apply(input, mask, None, scalar=value)


def masked_select(input: Tensor, mask: Tensor) -> Tensor:
    """The 1-D tensor of ``input``'s elements where ``mask`` is True."""
    from .shape import broadcast_tensors  # noqa: PLC0415

    x, m = broadcast_tensors(input, mask)
    return index(x, m)


def nonzero(input: Tensor, *, as_tuple: bool = False) -> Any:
    """Indices of the non-zero elements: an ``(n, ndim)`` int64 tensor, or a tuple of 1-D ones."""
    idx = _xp(input._array).nonzero(input._array if input.ndim else input._array.reshape(1))
    if as_tuple:
        return tuple(_wrap(i.astype(np.int64)) for i in idx)
    return _wrap(_xp(input._array).stack(idx, axis=1).astype(np.int64) if idx else np.zeros((0, 0), np.int64))  # noqa: E501


def argwhere(input: Tensor) -> Tensor:
    """``nonzero(input)``."""
    return nonzero(input)


def take(input: Tensor, index: Tensor) -> Tensor:
    """Elements of the flattened ``input`` at ``index``."""
    return index_select(input.reshape(-1), 0, index.reshape(-1)).reshape(index.shape)


# --- select, sliding windows, and other rearrangements built on the ops above ------------------


def select(input: Tensor, dim: int, index: int) -> Tensor:
    """The slice at ``index`` along ``dim``, without that dimension (a view)."""
    if input.ndim == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = _dim(dim, input.ndim)
    n = input.shape[d]
    i = int(index)
    if not -n <= i < n:
        raise IndexError(f"select(): index {i} out of range for tensor of size "
                         f"{list(input.shape)} at dimension {d}")  # fmt: skip
    return Select.apply(input, idx=(slice(None),) * d + (i + n if i < 0 else i,))


def ravel(input: Tensor) -> Tensor:
    """The elements as a 1-D tensor (a view when the layout allows)."""
    return input.reshape(-1)


class Unfold(Op):
    """``x.unfold(dim, size, step)``: the windows of ``size`` along ``dim``, every ``step``
    elements, as a new last dimension; a strided view of the input."""

    is_view = True

    @staticmethod
    def forward(ctx: Any, a: Tensor, dim: int = 0, size: int = 1, step: int = 1) -> Any:
        ctx.args, ctx.shape = (dim, size, step), a._array.shape
        x = a._array
        win = np.lib.stride_tricks.sliding_window_view(x, size, axis=dim, writeable=x.flags.writeable)  # noqa: E501
        return win[(slice(None),) * dim + (slice(None, None, step),)]

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        return _UnfoldGrad.apply(grad, shape=ctx.shape, args=ctx.args)


class _UnfoldGrad(Op, node_name="UnfoldBackwardBackward0"):
    """Add each window's gradient back where the window came from (windows may overlap)."""

    @staticmethod
    def forward(ctx: Any, g: Tensor, shape: tuple[int, ...] = (), args: tuple[int, ...] = ()) -> Any:  # noqa: E501
        ctx.args = args
        dim, size, step = args
        ga = g._array
        z = _xp(ga).zeros(shape, ga.dtype)
        n = ga.shape[dim]
        lead = (slice(None),) * dim
        for j in range(size):  # one strided add per window offset, not per element
            z[lead + (slice(j, j + step * (n - 1) + 1, step),)] += ga[..., j]
        return z

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        dim, size, step = ctx.args
        return Unfold.apply(grad, dim=dim, size=size, step=step)


def unfold(input: Tensor, dimension: int, size: int, step: int) -> Tensor:
    """``Tensor.unfold``: sliding windows of ``size`` along ``dimension``, ``step`` apart."""
    if input.ndim == 0:
        if size > 1:
            raise RuntimeError(f"maximum size for tensor at dimension 0 is 1 but size is {size}")
        return input.reshape(1)
    d = _dim(dimension, input.ndim)
    n = input.shape[d]
    if size > n:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {n} but size is {size}")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    return Unfold.apply(input, dim=d, size=int(size), step=int(step))


class Rot90(Op):
    @staticmethod
    def forward(ctx: Any, a: Tensor, k: int = 1, dims: tuple[int, int] = (0, 1)) -> Any:
        ctx.k, ctx.dims = k, dims
        return _xp(a._array).rot90(a._array, k, dims).copy()  # torch returns a new tensor

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        return Rot90.apply(grad, k=-ctx.k, dims=ctx.dims)


def rot90(input: Tensor, k: int = 1, dims: Any = (0, 1)) -> Tensor:
    """Rotate by 90 degrees ``k`` times in the plane of ``dims``, from the first toward the
    second."""
    dims = list(dims)
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if input.ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {input.ndim}")
    d0, d1 = _dim(dims[0], input.ndim), _dim(dims[1], input.ndim)
    if d0 == d1:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {d0} and dim1 = {d1}")  # noqa: E501
    return Rot90.apply(input, k=int(k) % 4, dims=(d0, d1))


def diff(input: Tensor, n: int = 1, dim: int = -1, prepend: Tensor | None = None, append: Tensor | None = None) -> Tensor:  # noqa: E501
    """The ``n``-th forward difference along ``dim`` (XOR for bool tensors)."""
    from .elementwise import logical_xor  # noqa: PLC0415
    from .shape import cat  # noqa: PLC0415

    if input.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    d = _dim(dim, input.ndim)
    x = input
    if prepend is not None or append is not None:
        x = cat([t for t in (prepend, x, append) if t is not None], d)
    for _ in range(n):
        m = x.shape[d]
        if m == 0:
            break
        hi, lo = x.narrow(d, 1, m - 1), x.narrow(d, 0, m - 1)
        x = logical_xor(hi, lo) if x.dtype.name == "bool" else hi - lo
    return x


def _nsplit(input: Tensor, sections: Any, dim: int, name: str, min_dims: int) -> tuple[Tensor, ...]:  # noqa: E501
    from .shape import tensor_split  # noqa: PLC0415

    if input.ndim < min_dims:
        raise RuntimeError(f"torch.{name} requires a tensor with at least {min_dims} dimension, "
                           f"but got a tensor with {input.ndim} dimensions!")  # fmt: skip
    if isinstance(sections, int | np.integer):
        size = input.shape[dim]
        if sections == 0 or size % sections:
            raise RuntimeError(f"torch.{name} attempted to split along dimension {dim}, but the "
                               f"size of the dimension {size} is not divisible by the split_size "
                               f"{sections}!")  # fmt: skip
    return tensor_split(input, sections, dim)


def vsplit(input: Tensor, indices_or_sections: Any) -> tuple[Tensor, ...]:
    """``tensor_split`` along dim 0 (which must divide evenly for an int)."""
    return _nsplit(input, indices_or_sections, 0, "vsplit", 2)


def hsplit(input: Tensor, indices_or_sections: Any) -> tuple[Tensor, ...]:
    """``tensor_split`` along dim 1 (dim 0 for a 1-D tensor)."""
    return _nsplit(input, indices_or_sections, 1 if input.ndim > 1 else 0, "hsplit", 1)


def dsplit(input: Tensor, indices_or_sections: Any) -> tuple[Tensor, ...]:
    """``tensor_split`` along dim 2."""
    return _nsplit(input, indices_or_sections, 2, "dsplit", 3)


def split_with_sizes(input: Tensor, split_sizes: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """Split into pieces of the given sizes along ``dim``."""
    from .shape import split  # noqa: PLC0415

    return split(input, list(split_sizes), dim)


class MaskedScatter(Op):
    @staticmethod
    def forward(ctx: Any, a: Tensor, source: Tensor, mask: Any = None) -> Any:
        ctx.mask, ctx.shape, ctx.src_shape = mask, a._array.shape, source._array.shape
        out = a._array.copy()
        out[mask] = source._array.reshape(-1)[: int(mask.sum())]
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        from .shape import cat  # noqa: PLC0415

        m = _wrap(ctx.mask)
        gx = masked_fill(grad, m, 0.0) if ctx.needs_input_grad[0] else None
        gs = None
        if ctx.needs_input_grad[1]:
            picked = index(grad, m)
            rest = int(np.prod(ctx.src_shape)) - picked.shape[0]
            gs = cat([picked, picked.new_zeros((rest,))]).reshape(ctx.src_shape)
        return gx, gs


def masked_scatter(input: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    """A copy of ``input`` whose elements where ``mask`` is True take ``source``'s elements
    in order."""
    from .elementwise import _SCALAR_TYPE  # noqa: PLC0415

    def scalar_type(t: Tensor) -> str:
        return _SCALAR_TYPE.get(t.dtype.name, {"int64": "Long", "int32": "Int"}.get(t.dtype.name, t.dtype.name.capitalize()))  # noqa: E501

    if mask.dtype.name != "bool":
        raise RuntimeError(f"masked_scatter_ only supports boolean masks, but got mask with dtype {scalar_type(mask)}")  # noqa: E501
    if source.dtype is not input.dtype:  # (sic: torch's message has no space after "got")
        raise RuntimeError("masked_scatter: expected self and source to have same dtypes but got"
                           f"{scalar_type(input)} and {scalar_type(source)}")  # fmt: skip
    shape = np.broadcast_shapes(tuple(input.shape), tuple(mask.shape))
    m = _xp(input._array).broadcast_to(_xp(input._array).asarray(mask._array), shape)
    if int(m.sum()) > source.numel():
        raise RuntimeError("Number of elements of source < number of ones in mask")
    x = input.expand(shape) if tuple(input.shape) != shape else input
    return MaskedScatter.apply(x, source, mask=m)


def diagonal_mask(shape: tuple[int, ...], wrap: bool) -> np.ndarray:
    """The positions ``fill_diagonal_`` writes: a bool array of ``shape``."""
    if len(shape) < 2:
        raise RuntimeError("dimensions must larger than 1")
    if len(shape) > 2 and len(set(shape)) != 1:
        raise RuntimeError("all dimensions of input must be of equal length")
    m = np.zeros(shape, bool)
    np.fill_diagonal(m, True, wrap=wrap)
    return m


__all__ += ["select", "ravel", "rot90", "diff", "vsplit", "hsplit", "dsplit", "split_with_sizes",
            "masked_scatter"]  # fmt: skip


# --- scatter-into-a-copy forms of the views, and put ------------------------------------------


class SelectScatter(Op):
    """A copy of ``a`` with ``a[idx]`` replaced by ``src``; the gradient splits along the same
    index: ``src`` gets ``grad[idx]``, ``a`` the rest."""

    @staticmethod
    def forward(ctx: Any, a: Tensor, src: Tensor, idx: tuple[Any, ...] = ()) -> Any:
        ctx.idx = idx
        out = a._array.copy()
        out[idx] = src._array
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        idx = ctx.idx
        basic = all(isinstance(i, int | slice) for i in idx)
        g_src = (Slice if basic else Index).apply(grad, idx=idx) if ctx.needs_input_grad[1] else None
        g_in = None
        if ctx.needs_input_grad[0]:
            zeros = grad.new_zeros(()).expand(g_src.shape if g_src is not None else grad[idx].shape)
            g_in = SelectScatter.apply(grad, zeros, idx=idx)
        return g_in, g_src


class SliceScatter(SelectScatter):
    pass


class DiagonalScatter(SelectScatter):
    pass


def _scatter_into(input: Tensor, src: Tensor, idx: tuple[Any, ...], op: type[Op] = SelectScatter) -> Tensor:  # noqa: E501
    return op.apply(input, src.to(input.dtype), idx=idx)


def select_scatter(input: Tensor, src: Tensor, dim: int, index: int) -> Tensor:
    """A copy of ``input`` with ``select(dim, index)`` replaced by ``src``."""
    d = _dim(dim, input.ndim)
    expected = input.select(d, index).shape
    if tuple(src.shape) != tuple(expected):
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size = "
                           f"{list(src.shape)}, slice size = {list(expected)}")  # fmt: skip
    return _scatter_into(input, src, (slice(None),) * d + (int(index),))


def slice_scatter(input: Tensor, src: Tensor, dim: int = 0, start: int | None = None,
                  end: int | None = None, step: int = 1) -> Tensor:  # fmt: skip
    """A copy of ``input`` with the slice ``start:end:step`` of ``dim`` replaced by ``src``."""
    d = _dim(dim, input.ndim)
    idx = (slice(None),) * d + (slice(start, end, step),)
    expected = input[idx].shape
    if tuple(src.shape) != tuple(expected):
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size = "
                           f"{list(src.shape)}, slice size = {list(expected)}")  # fmt: skip
    return _scatter_into(input, src, idx, SliceScatter)


def diagonal_scatter(input: Tensor, src: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:  # noqa: E501
    """A copy of ``input`` with ``diagonal(offset, dim1, dim2)`` replaced by ``src``."""
    d1, d2 = _dim(dim1, input.ndim), _dim(dim2, input.ndim)
    expected = input.diagonal(offset, d1, d2).shape
    if tuple(src.shape) != tuple(expected):
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size = "
                           f"{list(src.shape)}, slice size = {list(expected)}")  # fmt: skip
    n = expected[-1]
    rows = np.arange(n) + max(-offset, 0)
    cols = np.arange(n) + max(offset, 0)
    # the diagonal as advanced indices on (d1, d2); torch puts the diagonal last, so move src's
    # last dim to where NumPy puts the indexed dims (first, as d1 and d2 are split by slices)
    idx: list[Any] = [slice(None)] * input.ndim
    idx[d1], idx[d2] = rows, cols
    adjacent = d2 == d1 + 1 or d1 == d2 + 1
    pos = builtins_min(d1, d2) if adjacent else 0
    return _scatter_into(input, src.movedim(-1, pos), tuple(idx), DiagonalScatter)


def builtins_min(a: int, b: int) -> int:
    return a if a < b else b


def put(input: Tensor, index: Tensor, source: Tensor, accumulate: bool = False) -> Tensor:
    """A copy of ``input`` whose elements at flat ``index`` take ``source``'s values (or add
    them, with ``accumulate``)."""
    n = input.numel()
    flat_idx = index._array.reshape(-1)
    if flat_idx.size and (flat_idx.max() >= n or flat_idx.min() < -n):
        bad = int(flat_idx.max() if flat_idx.max() >= n else flat_idx.min())
        raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} elements.")
    flat = input.reshape(-1)
    out = index_put(flat, (_wrap(flat_idx % n if n else flat_idx),), source.reshape(-1), accumulate)
    return out.reshape(input.shape)


__all__ += ["select_scatter", "slice_scatter", "diagonal_scatter"]


def diagflat(input: Tensor, offset: int = 0) -> Tensor:
    """A 2-D matrix with the flattened ``input`` on diagonal ``offset``."""
    from .shape import diag_embed  # noqa: PLC0415

    return diag_embed(input.reshape(-1), offset)


__all__ += ["diagflat"]

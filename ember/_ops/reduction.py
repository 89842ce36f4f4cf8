"""Reductions: sum/mean/var/std/prod, max/min (with indices), logsumexp, norm, cumsum, sort..."""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from .._dtype import int64
from .._tensor import Tensor, _wrap
from ..autograd.function import Op
from .shape import _dim, _xp, expand, reshape

__all__ = [
    "sum", "mean", "nansum", "var", "std", "var_mean", "std_mean", "prod", "max", "min", "amax",
    "amin", "aminmax", "argmax", "argmin", "logsumexp", "norm", "cumsum", "cumprod", "all", "any",
    "topk", "sort", "argsort", "unique", "count_nonzero", "median", "cummax", "kthvalue",
    "dist", "msort", "nanmean", "mode", "bincount", "histc", "unique_consecutive", "quantile",
    "nanquantile", "nanmedian", "cummin", "logcumsumexp", "renorm", "trace", "addbmm", "cov",
    "corrcoef", "cdist",
]  # fmt: skip


def _dims(dim: Any, ndim: int) -> tuple[int, ...] | None:
    """Normalise ``dim`` (None, int, or a sequence) to a sorted tuple of non-negative axes."""
    if dim is None:
        return None
    if isinstance(dim, int | np.integer):
        return (_dim(int(dim), ndim),)
    ds = tuple(_dim(int(d), ndim) for d in dim)
    if len(set(ds)) != len(ds):
        raise RuntimeError(f"dim {ds[0]} appears multiple times in the list of dims")
    return ds if ds else None


def _kept_shape(shape: tuple[int, ...], dims: tuple[int, ...] | None) -> tuple[int, ...]:
    if dims is None:
        return (1,) * len(shape)
    return tuple(1 if i in dims else s for i, s in enumerate(shape))


class Sum(Op):
    inplace_needs_copy = False

    @staticmethod
    def forward(ctx: Any, a: Tensor, dims: Any = None, keepdim: bool = False, dtype: Any = None) -> Any:  # noqa: E501
        x = a._array
        ctx.shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        return x.sum(axis=dims, keepdims=keepdim, dtype=dtype)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        if not ctx.keepdim and ctx.shape:
            grad = reshape(grad, _kept_shape(ctx.shape, ctx.dims))
        return expand(grad, ctx.shape)


class SumDim(Sum, node_name="SumBackward1"):
    pass


def _acc_dtype(x: Tensor, dtype: Any) -> Any:
    if dtype is not None:
        return dtype.np
    # torch: sums of bool and integer tensors accumulate in int64
    return np.int64 if x.dtype._cat < 2 else None


def sum(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    r"""Sum of all elements, or over ``dim`` (an int or a tuple of ints)."""
    x = input if dtype is None or input.dtype is dtype else input.to(dtype)
    dims = _dims(dim, x._array.ndim)
    op = Sum if dim is None else SumDim
    return op.apply(x, dims=dims, keepdim=keepdim, dtype=_acc_dtype(x, None))


def nansum(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """``sum`` treating NaN as zero."""
    from .elementwise import isnan, where  # noqa: PLC0415

    return sum(where(isnan(input), input.new_zeros(()), input), dim, keepdim, dtype=dtype)


class Mean(Op):
    @staticmethod
    def forward(ctx: Any, a: Tensor, dims: Any = None, keepdim: bool = False) -> Any:
        x = a._array
        ctx.shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        n = x.size if dims is None else int(np.prod([x.shape[d] for d in dims]))
        ctx.n = n
        with np.errstate(invalid="ignore", divide="ignore"):
            return x.mean(axis=dims, keepdims=keepdim) if n else x.sum(axis=dims, keepdims=keepdim) * np.nan  # noqa: E501

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        if not ctx.keepdim and ctx.shape:
            grad = reshape(grad, _kept_shape(ctx.shape, ctx.dims))
        return expand(grad / ctx.n, ctx.shape)


class MeanDim(Mean, node_name="MeanBackward1"):
    pass


def _need_float(input: Tensor, name: str) -> None:
    if input.dtype._cat < 2:
        n = input.dtype.name
        cap = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}.get(n, n)  # noqa: E501
        raise RuntimeError(
            f"{name}(): could not infer output dtype. Input dtype must be either a floating point "
            f"or complex dtype. Got: {cap}"
        )


def mean(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    r"""Arithmetic mean of all elements, or over ``dim``."""
    x = input.to(dtype) if dtype is not None else input
    _need_float(x, "mean")
    return (Mean if dim is None else MeanDim).apply(x, dims=_dims(dim, x._array.ndim), keepdim=keepdim)  # noqa: E501


def nanmean(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    """``mean`` ignoring NaN."""
    from .elementwise import isnan, logical_not  # noqa: PLC0415

    keep = logical_not(isnan(input))
    return nansum(input, dim, keepdim) / sum(keep, dim, keepdim)


class Var(Op):
    @staticmethod
    def forward(ctx: Any, a: Tensor, dims: Any = None, correction: Any = 1, keepdim: bool = False) -> Any:  # noqa: E501
        x = a._array
        ctx.save_for_backward(a)
        ctx.dims, ctx.correction, ctx.keepdim = dims, correction, keepdim
        n = x.size if dims is None else int(np.prod([x.shape[d] for d in dims]))
        ctx.n = n
        with np.errstate(invalid="ignore", divide="ignore"):
            if n - correction <= 0:
                m = x.mean(axis=dims, keepdims=True)
                return (((x - m) ** 2).sum(axis=dims, keepdims=keepdim) / max(n - correction, 0)).astype(x.dtype)  # noqa: E501
            return x.var(axis=dims, ddof=correction, keepdims=keepdim)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        (a,) = ctx.saved_tensors
        if not ctx.keepdim and a.ndim:
            grad = reshape(grad, _kept_shape(a.shape, ctx.dims))
        m = mean(a, ctx.dims, keepdim=True)
        return grad * (a - m) * (2.0 / (ctx.n - ctx.correction))


def _correction(unbiased: Any, correction: Any) -> Any:
    if correction is not None:
        return correction
    return 1 if unbiased is None or unbiased else 0


def var(input: Tensor, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *, correction: Any = None) -> Tensor:  # noqa: E501
    r"""Variance (unbiased by default: ``correction=1``) of all elements or over ``dim``."""
    if isinstance(dim, bool):
        unbiased, dim = dim, None
    _need_float(input, "std and var")
    return Var.apply(input, dims=_dims(dim, input.ndim), correction=_correction(unbiased, correction), keepdim=keepdim)  # noqa: E501


def std(input: Tensor, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *, correction: Any = None) -> Tensor:  # noqa: E501
    r"""Standard deviation (unbiased by default)."""
    from .elementwise import sqrt  # noqa: PLC0415

    return sqrt(var(input, dim, unbiased, keepdim, correction=correction))


def var_mean(input: Tensor, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *, correction: Any = None) -> tuple[Tensor, Tensor]:  # noqa: E501
    """``(var, mean)`` in one call."""
    return var(input, dim, unbiased, keepdim, correction=correction), mean(input, dim, keepdim)


def std_mean(input: Tensor, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *, correction: Any = None) -> tuple[Tensor, Tensor]:  # noqa: E501
    """``(std, mean)`` in one call."""
    return std(input, dim, unbiased, keepdim, correction=correction), mean(input, dim, keepdim)


class Prod(Op):
    save_output = True

    @staticmethod
    def forward(ctx: Any, a: Tensor, dim: Any = None, keepdim: bool = False, dtype: Any = None) -> Any:  # noqa: E501
        ctx.save_for_backward(a)
        ctx.dim, ctx.keepdim = dim, keepdim
        return a._array.prod(axis=dim, keepdims=keepdim, dtype=dtype)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        (a,) = ctx.saved_tensors
        x = a._array
        d = ctx.dim
        out = ctx.output
        if not ctx.keepdim and x.ndim:
            kept = _kept_shape(x.shape, None if d is None else (d,))
            grad, out = reshape(grad, kept), reshape(out, kept)
        if (x != 0).all():
            return expand(grad * out, x.shape) / a  # differentiable again (double backward)
        # product of all the other elements: exclusive cumulative products from both sides
        flat = x.reshape(-1) if d is None else x
        ax = 0 if d is None else d
        xp = _xp(x)
        ones = xp.ones_like(xp.take(flat, [0], axis=ax))
        left = xp.cumprod(xp.concatenate([ones, xp.take(flat, range(flat.shape[ax] - 1), axis=ax)], axis=ax), axis=ax)  # noqa: E501
        rev = xp.flip(flat, ax)
        right = xp.flip(xp.cumprod(xp.concatenate([ones, xp.take(rev, range(flat.shape[ax] - 1), axis=ax)], axis=ax), axis=ax), ax)  # noqa: E501
        others = (left * right).reshape(x.shape)
        return expand(grad, x.shape) * _wrap(others)


def prod(input: Tensor, dim: int | None = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:  # noqa: E501
    """Product of all elements, or along ``dim``."""
    x = input.to(dtype) if dtype is not None else input
    d = None if dim is None else _dim(dim, x.ndim)
    return Prod.apply(x, dim=d, keepdim=keepdim, dtype=_acc_dtype(x, None))


class _AmaxAmin(Op, node_name="AmaxBackward0"):
    @staticmethod
    def forward(ctx: Any, a: Tensor, dims: Any = None, keepdim: bool = False, fn: str = "max") -> Any:  # noqa: E501
        x = a._array
        out = x.max(axis=dims, keepdims=True) if fn == "max" else x.min(axis=dims, keepdims=True)
        if ctx.recording:
            ctx.save_for_backward(a)
            ctx.out_kd, ctx.dims, ctx.keepdim = out, dims, keepdim
        return out if keepdim else out.reshape([s for i, s in enumerate(x.shape) if dims is not None and i not in dims])  # noqa: E501

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        (a,) = ctx.saved_tensors
        # torch: the gradient is shared evenly between tied extrema
        hit = (a._array == ctx.out_kd).astype(a._array.dtype)
        hit /= hit.sum(axis=ctx.dims, keepdims=True)
        if not ctx.keepdim and a.ndim:
            grad = reshape(grad, _kept_shape(a.shape, ctx.dims))
        return grad * _wrap(hit)


def _empty_check(x: Tensor, name: str, dims: Any) -> None:
    if x._array.size == 0 and (dims is None or builtins.any(x.shape[d] == 0 for d in dims)):
        raise IndexError(
            f"{name}(): Expected reduction dim to be specified for input.numel() == 0. Specify the "
            "reduction dim with the 'dim' argument."
            if dims is None
            else f"{name}(): Expected reduction dim {dims[0]} to have non-zero size."
        )


class _MaxAll(_AmaxAmin, node_name="MaxBackward1"):
    pass


class _MinAll(_AmaxAmin, node_name="MinBackward1"):
    pass


class _Amin(_AmaxAmin, node_name="AminBackward0"):
    pass


def amax(input: Tensor, dim: Any = (), keepdim: bool = False) -> Tensor:
    """Maximum over ``dim`` (all dims when empty); ties share the gradient."""
    dims = _dims(dim, input.ndim) if dim != () else None
    _empty_check(input, "amax", dims)
    return _AmaxAmin.apply(input, dims=dims, keepdim=keepdim, fn="max")


def amin(input: Tensor, dim: Any = (), keepdim: bool = False) -> Tensor:
    """Minimum over ``dim`` (all dims when empty)."""
    dims = _dims(dim, input.ndim) if dim != () else None
    _empty_check(input, "amin", dims)
    return _Amin.apply(input, dims=dims, keepdim=keepdim, fn="min")


def aminmax(input: Tensor, *, dim: int | None = None, keepdim: bool = False) -> Any:
    """``(min, max)`` as a named tuple."""
    from .. import return_types  # noqa: PLC0415 - loads on first use

    d = () if dim is None else dim
    return return_types.aminmax((amin(input, d, keepdim), amax(input, d, keepdim)))


def _extreme(input: Tensor, dim: Any, keepdim: bool, fn: str, other: Any = None) -> Any:
    from .. import return_types  # noqa: PLC0415 - loads on first use
    from .elementwise import maximum, minimum  # noqa: PLC0415

    if isinstance(dim, Tensor):
        return (maximum if fn == "max" else minimum)(input, dim)
    if dim is None:
        _empty_check(input, fn, None)
        return (_MaxAll if fn == "max" else _MinAll).apply(input, dims=None, keepdim=False, fn=fn)
    d = _dim(dim, input.ndim)
    if input.ndim and input.shape[d] == 0:
        raise IndexError(f"{fn}(): Expected reduction dim {d} to have non-zero size.")
    arg = argmax if fn == "max" else argmin
    idx = arg(input, d, keepdim=True)
    from .indexing import gather  # noqa: PLC0415

    values = gather(input, d, idx) if input.ndim else input.clone()
    if not keepdim and input.ndim:
        values, idx = values.squeeze(d), idx.squeeze(d)
    return (return_types.max if fn == "max" else return_types.min)((values, idx))


def max(input: Tensor, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A001
    """Largest element; with ``dim``, the named tuple ``(values, indices)``; with a Tensor, ``maximum``."""  # noqa: E501
    return _extreme(input, dim, keepdim, "max")


def min(input: Tensor, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A001
    """Smallest element; with ``dim``, the named tuple ``(values, indices)``."""
    return _extreme(input, dim, keepdim, "min")


def _arg(input: Tensor, dim: Any, keepdim: bool, f: str) -> Tensor:
    x = input._array
    if dim is None:
        if x.size == 0:
            raise RuntimeError(f"{f}(): Expected reduction dim to be specified for input.numel() == 0.")  # noqa: E501
        r = getattr(x.reshape(-1), f)()
        return _wrap(_xp(x).asarray(r, dtype=np.int64).reshape((1,) * x.ndim if keepdim else ()))
    d = _dim(dim, x.ndim)
    if x.ndim == 0:
        return _wrap(_xp(x).zeros((), np.int64))
    r = getattr(x, f)(axis=d, keepdims=keepdim)
    return _wrap(_xp(x).asarray(r).astype(np.int64, copy=False))  # 1-D input: NumPy gives a scalar


def argmax(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """Index of the largest element (first of ties), flattened or along ``dim``."""
    return _arg(input, dim, keepdim, "argmax")


def argmin(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """Index of the smallest element."""
    return _arg(input, dim, keepdim, "argmin")


def logsumexp(input: Tensor, dim: Any, keepdim: bool = False) -> Tensor:
    r""":math:`\log \sum \exp(x)` over ``dim``, computed stably."""
    from .elementwise import exp, log, where, isinf  # noqa: PLC0415

    x = input if input.dtype._cat >= 2 else input.to(_default())
    m = amax(x, dim, keepdim=True).detach()
    m = where(isinf(m), m.new_zeros(()), m)
    r = log(sum(exp(x - m), dim, keepdim=True)) + m
    return r if keepdim else r.squeeze(_dims(dim, x.ndim))


def _default() -> Any:
    from .._dtype import get_default_dtype  # noqa: PLC0415

    return get_default_dtype()


class Norm(Op, node_name="LinalgVectorNormBackward0"):
    save_output = True

    @staticmethod
    def forward(ctx: Any, a: Tensor, dims: Any = None, keepdim: bool = False) -> Any:
        x = a._array
        ctx.save_for_backward(a)
        ctx.dims, ctx.keepdim = dims, keepdim
        xp = _xp(x)
        return xp.sqrt((x * x).sum(axis=dims, keepdims=keepdim))

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        (a,) = ctx.saved_tensors
        out = ctx.output
        if not ctx.keepdim and a.ndim:
            kept = _kept_shape(a.shape, ctx.dims)
            grad, out = reshape(grad, kept), reshape(out, kept)
        from .elementwise import where  # noqa: PLC0415

        safe = where(out == 0, out.new_ones(()), out)
        return grad * a / safe


def norm(input: Tensor, p: Any = "fro", dim: Any = None, keepdim: bool = False, dtype: Any = None) -> Tensor:  # noqa: E501
    """Vector p-norm (2 by default) of all elements or over ``dim``."""
    from .elementwise import abs as _abs  # noqa: PLC0415

    x = input.to(dtype) if dtype is not None else input
    dims = _dims(dim, x.ndim)
    if p in ("fro", 2, 2.0, None):
        return Norm.apply(x, dims=dims, keepdim=keepdim)
    if p == float("inf"):
        return amax(_abs(x), dim if dim is not None else (), keepdim)
    if p == float("-inf"):
        return amin(_abs(x), dim if dim is not None else (), keepdim)
    if p == 0:
        return sum((x != 0).to(x.dtype), dims, keepdim)
    if p == "nuc":
        raise NotImplementedError("nuclear norm is not implemented in ember")
    return sum(_abs(x) ** p, dims, keepdim) ** (1.0 / p)


def dist(input: Tensor, other: Tensor, p: float = 2) -> Tensor:
    """p-norm of ``input - other``."""
    return norm(input - other, p)


class Cumsum(Op):
    @staticmethod
    def forward(ctx: Any, a: Tensor, dim: int = 0, dtype: Any = None) -> Any:
        ctx.dim = dim
        return a._array.cumsum(axis=dim, dtype=dtype)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        from .shape import flip  # noqa: PLC0415

        d = ctx.dim
        return flip(Cumsum.apply(flip(grad, (d,)), dim=d), (d,))


def cumsum(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    """Cumulative sum along ``dim``."""
    x = input.to(dtype) if dtype is not None else input
    if x.ndim == 0:
        return x.clone()
    return Cumsum.apply(x, dim=_dim(dim, x.ndim), dtype=_acc_dtype(x, None))


def cumprod(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    """Cumulative product along ``dim`` (gradient assumes no zeros in the input)."""
    x = input.to(dtype) if dtype is not None else input
    d = _dim(dim, x.ndim)
    if not x.requires_grad:
        return _wrap(x._array.cumprod(axis=d, dtype=_acc_dtype(x, None)))
    from .elementwise import exp, log  # noqa: PLC0415

    sign = _wrap(np.where(x._array < 0, -1, 1).cumprod(axis=d).astype(x._array.dtype))
    return exp(cumsum(log(x.abs()), d)) * sign


def _cum_extreme(input: Tensor, dim: int, f: Any, name: str) -> Any:
    from .. import return_types  # noqa: PLC0415 - loads on first use

    d = _dim(dim, input.ndim)
    x = input._array
    vals = f.accumulate(x, axis=d)
    n = x.shape[d]
    pos = np.arange(n).reshape([-1 if i == d else 1 for i in range(x.ndim)])
    hit = np.where(x == vals, pos, 0)
    idx = np.maximum.accumulate(hit, axis=d).astype(np.int64)
    from .indexing import gather  # noqa: PLC0415

    return getattr(return_types, name)((gather(input, d, _wrap(idx)), _wrap(idx)))


def cummax(input: Tensor, dim: int) -> Any:
    """Running maximum and its index along ``dim``."""
    return _cum_extreme(input, dim, np.maximum, "cummax")


def all(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: A001
    """True when every element (along ``dim``) is non-zero."""
    return _wrap(_xp(input._array).asarray(input._array.all(axis=_dims(dim, input.ndim), keepdims=keepdim)))  # noqa: E501


def any(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: A001
    """True when some element (along ``dim``) is non-zero."""
    return _wrap(_xp(input._array).asarray(input._array.any(axis=_dims(dim, input.ndim), keepdims=keepdim)))  # noqa: E501


def count_nonzero(input: Tensor, dim: Any = None) -> Tensor:
    """Number of non-zero elements."""
    return _wrap(_xp(input._array).asarray(np.count_nonzero(input._array, axis=_dims(dim, input.ndim)), dtype=np.int64))  # noqa: E501


def _sort_idx(x: Any, d: int, descending: bool, stable: bool) -> Any:
    xp = _xp(x)
    if descending:
        # stable descending order: sort the negation (NaN stays largest, as in torch)
        key = -x if x.dtype.kind != "b" else ~x
        return xp.argsort(key, axis=d, kind="stable")
    return xp.argsort(x, axis=d, kind="stable")


def sort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> Any:
    """Sorted values and their indices along ``dim``."""
    from .. import return_types  # noqa: PLC0415 - loads on first use
    from .indexing import gather  # noqa: PLC0415

    if input.ndim == 0:
        return return_types.sort((input.clone(), _wrap(np.zeros((), np.int64))))
    d = _dim(dim, input.ndim)
    idx = _wrap(_sort_idx(input._array, d, descending, stable).astype(np.int64))
    return return_types.sort((gather(input, d, idx), idx))


def argsort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
    """Indices that sort ``input`` along ``dim``."""
    if input.ndim == 0:
        return _wrap(np.zeros((), np.int64))
    d = _dim(dim, input.ndim)
    return _wrap(_sort_idx(input._array, d, descending, stable).astype(np.int64))


def msort(input: Tensor) -> Tensor:
    """Sort along dim 0."""
    return sort(input, 0).values


def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:  # noqa: A002
    """The ``k`` largest (or smallest) values along ``dim`` and their indices."""
    from .. import return_types  # noqa: PLC0415 - loads on first use
    from .indexing import gather  # noqa: PLC0415

    d = _dim(dim, input.ndim)
    n = input.shape[d] if input.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError("selected index k out of range")
    x = input._array if input.ndim else input._array.reshape(1)
    idx = _sort_idx(x, d, largest, True)
    idx = _xp(x).take(idx, range(k), axis=d).astype(np.int64)
    it = _wrap(idx if input.ndim else idx.reshape(()))
    vals = gather(input, d, it) if input.ndim else input.clone()
    return return_types.topk((vals, it))


def kthvalue(input: Tensor, k: int, dim: int = -1, keepdim: bool = False) -> Any:
    """The k-th smallest value along ``dim`` and its index."""
    from .. import return_types  # noqa: PLC0415 - loads on first use

    s = sort(input, dim)
    d = _dim(dim, input.ndim)
    v, i = s.values.narrow(d, k - 1, 1), s.indices.narrow(d, k - 1, 1)
    if not keepdim:
        v, i = v.squeeze(d), i.squeeze(d)
    return return_types.kthvalue((v, i))


def median(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Any:
    """The lower median, of all elements or (with indices) along ``dim``."""
    from .. import return_types  # noqa: PLC0415 - loads on first use

    if dim is None:
        flat = input.reshape(-1)
        return sort(flat).values[(flat.shape[0] - 1) // 2]
    d = _dim(dim, input.ndim)
    r = kthvalue(input, (input.shape[d] + 1) // 2, d, keepdim)
    return return_types.median((r.values, r.indices))


def mode(input: Tensor, dim: int = -1, keepdim: bool = False) -> Any:
    """Most frequent value along ``dim`` (smallest of ties) and an index of it."""
    from .. import return_types  # noqa: PLC0415 - loads on first use

    d = _dim(dim, input.ndim)
    x = np.moveaxis(input._array, d, -1)
    flat = x.reshape(-1, x.shape[-1])
    vals, idxs = [], []
    for row in flat:
        u, c = np.unique(row, return_counts=True)
        v = u[np.argmax(c)]
        vals.append(v)
        idxs.append(np.nonzero(row == v)[0][-1])
    shape = x.shape[:-1]
    v = _wrap(np.array(vals, dtype=x.dtype).reshape(shape))
    i = _wrap(np.array(idxs, dtype=np.int64).reshape(shape))
    if keepdim:
        v, i = v.unsqueeze(d), i.unsqueeze(d)
    return return_types.mode((v, i))


def unique(input: Tensor, sorted: bool = True, return_inverse: bool = False, return_counts: bool = False, dim: int | None = None) -> Any:  # noqa: A002, E501
    """The distinct elements (sorted), optionally with inverse indices and counts."""
    x = input._array
    res = np.unique(np.asarray(x) if _xp(x) is np else x.get(), return_inverse=return_inverse, return_counts=return_counts, axis=dim)  # noqa: E501
    if not (return_inverse or return_counts):
        return _wrap(res).to(input.device)
    out = [_wrap(res[0]).to(input.device)]
    if return_inverse:
        inv = res[1].reshape(x.shape if dim is None else (x.shape[dim],)).astype(np.int64)
        out.append(_wrap(inv).to(input.device))
    if return_counts:
        out.append(_wrap(res[-1].astype(np.int64)).to(input.device))
    return tuple(out)


def unique_consecutive(input: Tensor, return_inverse: bool = False, return_counts: bool = False, dim: int | None = None) -> Any:  # noqa: E501
    """Collapse runs of equal consecutive elements."""
    x = input._array.reshape(-1)
    if x.size == 0:
        return _wrap(x.copy())
    keep = np.concatenate([[True], x[1:] != x[:-1]])
    vals = _wrap(x[keep])
    extra = []
    if return_inverse:
        extra.append(_wrap((np.cumsum(keep) - 1).reshape(input.shape).astype(np.int64)))
    if return_counts:
        starts = np.nonzero(keep)[0]
        extra.append(_wrap(np.diff(np.append(starts, x.size)).astype(np.int64)))
    return (vals, *extra) if extra else vals


def bincount(input: Tensor, weights: Tensor | None = None, minlength: int = 0) -> Tensor:
    """Count occurrences of each non-negative integer."""
    w = None if weights is None else weights._array
    r = np.bincount(input._array, w, minlength)
    return _wrap(r if w is not None else r.astype(np.int64))


def histc(input: Tensor, bins: int = 100, min: float = 0, max: float = 0) -> Tensor:  # noqa: A002
    """Histogram with equal-width bins between ``min`` and ``max`` (the data range when equal)."""
    x = input._array
    lo, hi = (float(x.min()), float(x.max())) if min == max else (min, max)
    h, _ = np.histogram(x, bins=bins, range=(lo, hi))
    return _wrap(h.astype(x.dtype))


_ = int64


# --- quantiles, NaN-ignoring medians, running minima and log-sum-exps, renorm, trace ----------

_QUANTILE_MODES = ("linear", "lower", "higher", "midpoint", "nearest")


def _return_type(name: str, fields: tuple[str, ...] = ("values", "indices")) -> Any:
    from .. import return_types  # noqa: PLC0415 - loads on first use

    if not hasattr(return_types, name):
        setattr(return_types, name, return_types._make(name, fields))
    return getattr(return_types, name)


def _quantile(input: Tensor, q: Any, dim: Any, keepdim: bool, interpolation: str, name: str,
              ignore_nan: bool) -> Tensor:  # fmt: skip
    from .elementwise import where  # noqa: PLC0415
    from .indexing import gather  # noqa: PLC0415

    if input._array.dtype.kind != "f":
        raise RuntimeError(f"{name}() input tensor must be either float or double dtype")
    if isinstance(q, Tensor):
        if q.ndim > 1:
            raise RuntimeError(f"{name}() q must be a scalar or 1D tensor")
        if q.dtype is not input.dtype:
            raise RuntimeError(f"{name}() q tensor must be same dtype as the input tensor")
        qa = np.asarray(q.cpu()._array, np.float64).reshape(-1)
    else:
        qa = np.asarray([float(q)])
    if ((qa < 0) | (qa > 1)).any():
        if isinstance(q, Tensor):
            raise RuntimeError(f"{name}() q values must be in the range [0, 1]")
        raise RuntimeError(f"{name}() q must be in the range [0, 1] but got {q}")
    if interpolation not in _QUANTILE_MODES:
        raise RuntimeError(f"{name}() interpolation must be one of linear, lower, higher, "
                           f"midpoint or nearest, but got {interpolation}")  # fmt: skip
    if input.numel() == 0:
        raise RuntimeError(f"{name}() input tensor must be non-empty")
    x = input.reshape(-1) if dim is None or input.ndim == 0 else input
    d = 0 if dim is None or input.ndim == 0 else _dim(dim, input.ndim)
    s = sort(x, d).values  # NaN sorts last
    isnan = np.isnan(np.asarray(s._array))
    n = s.shape[d]
    k = n - isnan.sum(axis=d, keepdims=True) if ignore_nan else np.full(isnan.shape[:d] + (1,) + isnan.shape[d + 1:], n)  # noqa: E501
    ranks = qa.reshape([-1 if i == d else 1 for i in range(s.ndim)]) * np.maximum(k - 1, 0)
    lo = np.floor(ranks)
    if interpolation == "lower":
        hi = lo
    elif interpolation == "higher":
        lo = hi = np.ceil(ranks)
    elif interpolation == "nearest":
        lo = hi = np.round(ranks)
    else:
        hi = np.ceil(ranks)
    below = gather(s, d, _wrap(lo.astype(np.int64)))
    res = below
    if interpolation in ("linear", "midpoint"):
        w = np.full(ranks.shape, 0.5) if interpolation == "midpoint" else ranks - lo
        above = gather(s, d, _wrap(hi.astype(np.int64)))
        res = below + (above - below) * _wrap(w.astype(s._array.dtype))
    if not ignore_nan and isnan.any():
        res = where(_wrap(isnan.any(axis=d, keepdims=True)), _wrap(np.asarray(np.nan, s._array.dtype)), res)  # noqa: E501
    scalar_q = not isinstance(q, Tensor) or q.ndim == 0
    if dim is None:
        qshape = () if scalar_q else (len(qa),)
        return res.reshape(qshape + ((1,) * input.ndim if keepdim else ()))
    if scalar_q:
        return res if keepdim else res.squeeze(d)
    res = res.movedim(d, 0)
    return res.unsqueeze(d + 1) if keepdim else res


def quantile(input: Tensor, q: Any, dim: int | None = None, keepdim: bool = False, *, interpolation: str = "linear") -> Tensor:  # noqa: E501
    """The ``q``-th quantiles (``q`` a float or 1-D tensor in [0, 1]), of all elements or along
    ``dim``; NaN where a reduced row holds a NaN."""
    return _quantile(input, q, dim, keepdim, interpolation, "quantile", False)


def nanquantile(input: Tensor, q: Any, dim: int | None = None, keepdim: bool = False, *, interpolation: str = "linear") -> Tensor:  # noqa: E501
    """``quantile`` ignoring NaN (NaN only where a reduced row is all NaN)."""
    return _quantile(input, q, dim, keepdim, interpolation, "nanquantile", True)


def nanmedian(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Any:
    """The lower median ignoring NaN, of all elements or (with indices) along ``dim``."""
    from .indexing import gather  # noqa: PLC0415

    if dim is None:
        flat = input.reshape(-1)
        if flat.shape[0] == 0:
            return _wrap(np.asarray(np.nan, input._array.dtype))
        k = int(flat.shape[0] - np.isnan(np.asarray(flat._array)).sum())
        return sort(flat).values[builtins.max(k - 1, 0) // 2]
    d = _dim(dim, input.ndim)
    x = input if input.ndim else input.reshape(1)
    s = sort(x, d)
    k = x.shape[d] - np.isnan(np.asarray(x._array)).sum(axis=d, keepdims=True)
    idx = _wrap((np.maximum(k - 1, 0) // 2).astype(np.int64))
    v, i = gather(s.values, d, idx), gather(s.indices, d, idx)
    if not keepdim or input.ndim == 0:
        v, i = v.squeeze(d), i.squeeze(d)
    return _return_type("nanmedian")((v, i))


def cummin(input: Tensor, dim: int) -> Any:
    """Running minimum and its index along ``dim``."""
    return _cum_extreme(input, dim, np.minimum, "cummin")


class Logcumsumexp(Op):
    @staticmethod
    def forward(ctx: Any, a: Tensor, dim: int = 0) -> Any:
        ctx.dim = dim
        if ctx.recording:
            ctx.save_for_backward(a)
        return _xp(a._array).logaddexp.accumulate(a._array, axis=dim)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        # d y_i / d x_j = exp(x_j - y_i) for j <= i, so grad_x_j = sum_{i >= j} g_i exp(x_j - y_i):
        # a reversed logcumsumexp of log|g| - y, split by the sign of g to stay in log space.
        from .elementwise import exp, log, where  # noqa: PLC0415
        from .shape import flip  # noqa: PLC0415

        (x,) = ctx.saved_tensors
        d = ctx.dim
        y = Logcumsumexp.apply(x, dim=d).detach()
        ninf = _wrap(np.asarray(-np.inf, x._array.dtype))

        def part(mask: Tensor, g: Tensor) -> Tensor:
            lg = where(mask, log(where(mask, g, g.new_ones(()))), ninf) - y
            return exp(flip(Logcumsumexp.apply(flip(lg, (d,)), dim=d), (d,)) + x)

        return part(grad > 0, grad) - part(grad < 0, -grad)


def logcumsumexp(input: Tensor, dim: int) -> Tensor:
    """``log(cumsum(exp(input), dim))`` without overflow."""
    if input._array.dtype.kind not in "fc":
        raise RuntimeError(f"\"logcumsumexp_out_cpu\" not implemented for '{input.dtype.name.capitalize()}'")  # noqa: E501
    if input.ndim == 0:
        return input.clone()
    return Logcumsumexp.apply(input, dim=_dim(dim, input.ndim))


def renorm(input: Tensor, p: float, dim: int, maxnorm: float) -> Tensor:
    """Rescale each slice along ``dim`` whose ``p``-norm exceeds ``maxnorm`` to norm ``maxnorm``."""
    from .elementwise import where  # noqa: PLC0415

    if p <= 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
    if input.ndim <= 1:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {input.ndim} dimensions")  # noqa: E501
    d = _dim(dim, input.ndim)
    norms = norm(input, p, tuple(i for i in range(input.ndim) if i != d), keepdim=True)
    factor = where(norms > maxnorm, maxnorm / (norms + 1e-7), norms.new_ones(()))
    return input * factor


class Trace(Op):
    @staticmethod
    def forward(ctx: Any, a: Tensor) -> Any:
        ctx.shape = a._array.shape
        return _xp(a._array).asarray(a._array.trace())

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        n, m = ctx.shape
        return grad * _wrap(_xp(grad._array).eye(n, m, dtype=grad._array.dtype))


def trace(input: Tensor) -> Tensor:
    """Sum of the main diagonal of a matrix."""
    if input.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.ndim}")
    return Trace.apply(input if input._array.dtype.kind in "fc" else input.to(int64))


def addbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:  # noqa: E501
    """``beta * input + alpha * sum_b(batch1[b] @ batch2[b])``."""
    from .linalg import bmm  # noqa: PLC0415

    if batch1.ndim != 3:
        raise RuntimeError(f"batch1 must be a 3D tensor, got {batch1.ndim}D")
    if batch2.ndim != 3:
        raise RuntimeError(f"batch2 must be a 3D tensor, got {batch2.ndim}D")
    prod_ = sum(bmm(batch1, batch2), 0)
    if alpha != 1:
        prod_ = prod_ * alpha
    if beta == 0:  # torch ignores input then (NaN in it does not propagate)
        return prod_
    return (input * beta if beta != 1 else input) + prod_


def sum_to_size(input: Tensor, *size: Any) -> Tensor:
    """Sum ``input`` down to ``size`` (which must expand to ``input``'s shape)."""
    from .shape import _shape_arg, sum_to  # noqa: PLC0415

    shape = _shape_arg(size)
    lead = input.ndim - len(shape)
    if lead < 0 or builtins.any(s != 1 and s != n for s, n in zip(shape, input.shape[lead:])):
        raise RuntimeError(f"size {{{list(shape)}}} is not expandable to size "
                           f"{{{list(input.shape)}}}.")  # fmt: skip
    return sum_to(input, shape) if tuple(input.shape) != shape else input


def cov(input: Tensor, *, correction: int = 1, fweights: Tensor | None = None, aweights: Tensor | None = None) -> Tensor:  # noqa: E501
    """Covariance of the variables in the rows of ``input`` (observations in columns)."""
    if input.ndim > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an input with {input.ndim} dimensions")  # noqa: E501
    x = input if input._array.dtype.kind in "fc" else input.double()
    x = x.reshape(1, -1) if x.ndim < 2 else x
    n_obs = x.shape[1]
    w = None
    if fweights is not None:
        w = fweights
    if aweights is not None:
        w = aweights if w is None else w * aweights
    if w is None:
        avg = mean(x, 1, keepdim=True)
        norm_ = n_obs - correction
        xc = x - avg
        c = (xc @ xc.t()) / builtins.max(norm_, 0)
    else:
        w = w.to(x.dtype)
        w_sum = sum(w)
        avg = sum(x * w, 1, keepdim=True) / w_sum
        if correction == 0:
            norm_ = w_sum
        elif aweights is None:
            norm_ = w_sum - correction
        else:
            norm_ = w_sum - correction * sum(w * aweights.to(x.dtype)) / w_sum
        xc = x - avg
        c = ((xc * w) @ xc.t()) / norm_.clamp(min=0)
    return c.squeeze()  # as torch: one variable gives a 0-d result


def corrcoef(input: Tensor) -> Tensor:
    """Pearson correlation coefficients of the rows of ``input``."""
    c = cov(input)
    if c.ndim == 0:
        return c / c
    d = c.diagonal()
    std_ = d.sqrt()
    return (c / std_.unsqueeze(1) / std_.unsqueeze(0)).clamp(-1, 1)


def cdist(x1: Tensor, x2: Tensor, p: float = 2.0, compute_mode: str = "use_mm_for_euclid_dist_if_necessary") -> Tensor:  # noqa: E501
    """``p``-norm distances between the rows of ``x1`` (..., P, M) and of ``x2`` (..., R, M):
    a (..., P, R) tensor."""
    if x1.ndim < 2 or x2.ndim < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X1 got: {x1.ndim}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} X2: {x2.shape[-1]}")  # noqa: E501
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    return norm(diff, p, -1)

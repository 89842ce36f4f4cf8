"""Sparse COO tensors: ``sparse_coo_tensor``, ``to_sparse``/``to_dense``, ``coalesce``, ``sparse @ dense``.

A :class:`SparseTensor` holds an int64 index array of shape ``(sparse_dim, nnz)`` (NumPy or CuPy,
never in the graph) and a values :class:`~ember.Tensor` of shape ``(nnz, *dense_dims)``, which
carries autograd: gradients reach the values (and, through ``mm``, the dense operand). Its
``_array`` is the values' array, so dtype and device read as for any tensor; shape comes from
the stored size. Only the operations defined here understand the layout.
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from . import _dtype as D
from ._device import array_namespace, to_device
from ._tensor import Size, Tensor, _wrap
from .autograd.function import Op

__all__ = ["SparseTensor", "sparse_coo_tensor", "to_sparse", "mm", "spmm", "sparse_sum"]

_new = object.__new__


# --- ops: scatter into dense, gather from dense, sparse x dense --------------------------------
class _SparseToDense(Op, node_name="ToDenseBackward0"):
    """Values ``(nnz, *dense)`` scattered (summing duplicates) into a dense ``size`` array."""

    @staticmethod
    def forward(ctx: Any, values: Tensor, indices: Any = None, size: tuple = (), coalesced: bool = False) -> Any:  # noqa: E501
        ctx.indices = indices
        v = values._array
        xp = array_namespace(v)
        out = xp.zeros(size, dtype=v.dtype)
        if coalesced:  # perf: unique positions: a plain fancy assignment
            out[tuple(indices)] = v
        else:
            xp.add.at(out, tuple(indices), v)
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any]:
        return (_GatherCoo.apply(grad, indices=ctx.indices),)


class _GatherCoo(Op, node_name="SparseMaskBackward0"):
    """The entries of a dense tensor at COO ``indices``: shape ``(nnz, *dense)``."""

    @staticmethod
    def forward(ctx: Any, dense: Tensor, indices: Any = None) -> Any:
        ctx.indices, ctx.size = indices, dense._array.shape
        return dense._array[tuple(indices)]

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any]:
        return (_SparseToDense.apply(grad, indices=ctx.indices, size=ctx.size),)


class _CoalesceValues(Op, node_name="CoalesceBackward0"):
    """Sum the values that share a position: ``out[inverse[i]] += values[i]``."""

    @staticmethod
    def forward(ctx: Any, values: Tensor, inverse: Any = None, n: int = 0) -> Any:
        ctx.inverse = inverse
        v = values._array
        xp = array_namespace(v)
        out = xp.zeros((n, *v.shape[1:]), dtype=v.dtype)
        xp.add.at(out, inverse, v)
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any]:
        return (_GatherCoo.apply(grad, indices=(ctx.inverse,)),)


class _SpMM(Op, node_name="SparseAddmmBackward0"):
    """``S @ D`` for a 2-D COO ``S`` given by ``(rows, cols, values)`` and a dense 2-D ``D``."""

    @staticmethod
    def forward(ctx: Any, values: Tensor, dense: Tensor, rows: Any = None, cols: Any = None, m: int = 0) -> Any:  # noqa: E501
        v, d = values._array, dense._array
        if ctx.recording:
            ctx.save_for_backward(values, dense)
            ctx.rows, ctx.cols, ctx.k = rows, cols, d.shape[0]
        xp = array_namespace(v, d)
        out = xp.zeros((m, d.shape[1]), dtype=np.result_type(v.dtype, d.dtype))
        if xp is not np:  # CuPy: one atomic scatter-add kernel
            xp.add.at(out, rows, v[:, None] * d[cols])
            return out
        return _segment_rows_sum(out, rows, cols, v, d)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Any, Any]:
        values, dense = ctx.saved_tensors
        need_v, need_d = ctx.needs_input_grad
        g_v = g_d = None
        if need_v:  # d(S@D)/dS_ij = D_j: the dense gradient sampled at the nonzeros
            g_v = (_GatherCoo.apply(grad, indices=(ctx.rows,)) * _GatherCoo.apply(dense, indices=(ctx.cols,))).sum(-1)  # noqa: E501
        if need_d:  # S^T @ grad: the same op with rows and columns swapped
            g_d = _SpMM.apply(values, grad, rows=ctx.cols, cols=ctx.rows, m=ctx.k)
        return g_v, g_d


def _segment_rows_sum(out: Any, rows: Any, cols: Any, v: Any, d: Any) -> Any:
    """``out[rows[i]] += v[i] * d[cols[i]]`` on NumPy, by sorted segments.

    # perf: np.add.at over (nnz, n) rows is ~3x slower than sorting the rows once and summing each
    # run with np.add.reduceat along the contiguous axis (so on the transposed products); a
    # coalesced tensor's rows are sorted already.
    """
    if rows.size == 0:
        return out
    if rows.size > 1 and not bool((rows[1:] >= rows[:-1]).all()):
        order = np.argsort(rows, kind="stable")
        rows, cols, v = rows[order], cols[order], v[order]
    prod_t = np.take(d.T, cols, axis=1)  # (n, nnz): each product row is contiguous
    prod_t *= v.astype(prod_t.dtype, copy=False)
    starts = np.flatnonzero(np.concatenate(([True], rows[1:] != rows[:-1])))
    out[rows[starts]] = np.add.reduceat(prod_t, starts, axis=1).T
    return out


# --- the tensor ----------------------------------------------------------------------------
class SparseTensor(Tensor):
    r"""A sparse COO tensor (``layout=torch.sparse_coo``); build one with :func:`sparse_coo_tensor`."""

    __slots__ = ("_sp_indices", "_sp_values", "_sp_size", "_sp_coalesced")
    _sp_indices: Any  # int64 (sparse_dim, nnz) NumPy/CuPy array
    _sp_values: Tensor  # (nnz, *dense_dims), carries autograd
    _sp_size: tuple[int, ...]
    _sp_coalesced: bool
    is_sparse = True
    layout = property(lambda self: _sparse_coo())

    @staticmethod
    def _make(indices: Any, values: Tensor, size: tuple, coalesced: bool) -> SparseTensor:
        t = _new(SparseTensor)
        t._array = values._array
        t._rg = False
        t.grad_fn = None
        t._grad = None
        t._vc = None
        t._output_nr = 0
        t._accumulator = None
        t._meta = None
        t._sp_indices, t._sp_values, t._sp_size, t._sp_coalesced = indices, values, tuple(size), coalesced  # noqa: E501
        return t

    # shape and layout
    @property
    def shape(self) -> Size:
        return Size(self._sp_size)

    def size(self, dim: int | None = None) -> Any:
        return Size(self._sp_size) if dim is None else self._sp_size[dim]

    @property
    def ndim(self) -> int:
        return len(self._sp_size)

    def dim(self) -> int:
        return len(self._sp_size)

    def numel(self) -> int:
        return Size(self._sp_size).numel()

    def sparse_dim(self) -> int:
        return int(self._sp_indices.shape[0])

    def dense_dim(self) -> int:
        return len(self._sp_size) - self.sparse_dim()

    def _nnz(self) -> int:
        return int(self._sp_indices.shape[1])

    def is_coalesced(self) -> bool:
        return self._sp_coalesced

    def is_contiguous(self, memory_format: Any = None) -> bool:
        raise RuntimeError("is_contiguous is not implemented for sparse tensors")  # torch: same

    # autograd lives on the values
    @property
    def requires_grad(self) -> bool:
        return self._sp_values._rg

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        self._sp_values.requires_grad = value

    @property
    def grad(self) -> Tensor | None:
        g = self._sp_values._grad
        if g is None:
            return None
        if self._sp_coalesced:
            return SparseTensor._make(self._sp_indices, g, self._sp_size, True)
        # torch: the gradient is d(loss)/d(matrix) on the coalesced pattern; duplicates of one
        # position all received that same value, so keep one of each
        idx, first = self._unique_positions(return_first=True)
        return SparseTensor._make(idx, _wrap(g._array[first]), self._sp_size, True)

    @grad.setter
    def grad(self, value: Any) -> None:
        self._sp_values._grad = None if value is None else value._sp_values

    @property
    def is_leaf(self) -> bool:
        return self._sp_values.grad_fn is None

    def requires_grad_(self, requires_grad: bool = True) -> SparseTensor:
        self._sp_values.requires_grad_(requires_grad)
        return self

    def detach(self) -> SparseTensor:
        return SparseTensor._make(self._sp_indices, self._sp_values.detach(), self._sp_size, self._sp_coalesced)  # noqa: E501

    # parts
    def indices(self) -> Tensor:
        if not self._sp_coalesced:
            raise RuntimeError("Cannot get indices on an uncoalesced tensor, please call .coalesce() first")  # noqa: E501
        return _wrap(self._sp_indices)

    def values(self) -> Tensor:
        if not self._sp_coalesced:
            raise RuntimeError("Cannot get values on an uncoalesced tensor, please call .coalesce() first")  # noqa: E501
        return self._sp_values

    def _indices(self) -> Tensor:
        return _wrap(self._sp_indices)

    def _values(self) -> Tensor:
        return self._sp_values

    def coalesce(self) -> SparseTensor:
        r"""The same tensor with sorted, unique indices (duplicates summed)."""
        if self._sp_coalesced:
            return self
        if self._sp_indices.shape[1] == 0:
            return SparseTensor._make(self._sp_indices, self._sp_values, self._sp_size, True)
        new_idx, inverse = self._unique_positions()
        values = _CoalesceValues.apply(self._sp_values, inverse=inverse, n=int(new_idx.shape[1]))
        return SparseTensor._make(new_idx, values, self._sp_size, True)

    def _unique_positions(self, return_first: bool = False) -> tuple[Any, Any]:
        """Sorted unique index columns, and each entry's slot among them (or each slot's first)."""
        idx = self._sp_indices
        xp = array_namespace(idx)
        sp = self._sp_size[: idx.shape[0]]
        linear = xp.ravel_multi_index(tuple(idx), sp) if sp else xp.zeros(idx.shape[1], np.int64)
        uniq, first, inverse = xp.unique(linear, return_index=True, return_inverse=True)
        new_idx = xp.stack(xp.unravel_index(uniq, sp)) if sp else xp.zeros((0, 1), np.int64)
        return new_idx.astype(np.int64), first if return_first else inverse.reshape(-1)

    def to_dense(self, dtype: Any = None, *, masked_grad: bool = True) -> Tensor:
        r"""The dense tensor, differentiable with respect to the values."""
        out = _SparseToDense.apply(self._sp_values, indices=self._sp_indices, size=self._sp_size, coalesced=self._sp_coalesced)  # noqa: E501
        return out if dtype is None else out.to(dtype)

    def to_sparse(self, *args: Any, **kwargs: Any) -> SparseTensor:
        return self

    # conversions keep the layout
    def _map_values(self, fn: Any) -> SparseTensor:
        v = fn(self._sp_values)
        idx = to_device(self._sp_indices, v.device) if v.device != self.device else self._sp_indices
        return SparseTensor._make(idx, v, self._sp_size, self._sp_coalesced)

    def to(self, *args: Any, **kwargs: Any) -> SparseTensor:
        return self._map_values(lambda v: v.to(*args, **kwargs))

    def cpu(self, memory_format: Any = None) -> SparseTensor:
        return self._map_values(lambda v: v.cpu())

    def cuda(self, device: Any = None, non_blocking: bool = False, memory_format: Any = None) -> SparseTensor:  # noqa: E501
        return self._map_values(lambda v: v.cuda(device))

    def float(self) -> SparseTensor:  # noqa: A003
        return self._map_values(lambda v: v.float())

    def double(self) -> SparseTensor:
        return self._map_values(lambda v: v.double())

    def half(self) -> SparseTensor:
        return self._map_values(lambda v: v.half())

    def clone(self, *, memory_format: Any = None) -> SparseTensor:
        return SparseTensor._make(self._sp_indices.copy(), self._sp_values.clone(), self._sp_size, self._sp_coalesced)  # noqa: E501

    # arithmetic that keeps the pattern
    def __mul__(self, other: Any) -> Any:
        if isinstance(other, Tensor) and other.ndim > 0:
            return self.to_dense() * other
        return self._map_values(lambda v: v * other)

    __rmul__ = __mul__

    def __truediv__(self, other: Any) -> Any:
        return self._map_values(lambda v: v / other)

    def __neg__(self) -> SparseTensor:
        return self._map_values(lambda v: -v)

    def __add__(self, other: Any) -> Any:
        if isinstance(other, SparseTensor):
            if other._sp_size != self._sp_size:
                raise RuntimeError(f"add: expected 'self' and 'other' to have same size, but self has size {list(self._sp_size)} while other has size {list(other._sp_size)} (FYI: op2-sparse addition does not currently support broadcasting)")  # noqa: E501
            from ._ops.shape import cat  # noqa: PLC0415

            xp = array_namespace(self._sp_indices)
            idx = xp.concatenate([self._sp_indices, other._sp_indices], axis=1)
            return SparseTensor._make(idx, cat([self._sp_values, other._sp_values]), self._sp_size, False).coalesce()  # noqa: E501
        if isinstance(other, Tensor):
            raise RuntimeError("add(sparse, dense) is not supported. Use add(dense, sparse) instead.")  # noqa: E501
        return NotImplemented

    def __radd__(self, other: Any) -> Any:
        # dense + sparse: Python asks the subclass first, so this runs before Tensor.__add__
        return other + self.to_dense() if isinstance(other, Tensor) else NotImplemented

    def sum(self, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:  # noqa: A003
        if dim is None:
            return self._sp_values.sum(dtype=dtype) if dtype is not None else self._sp_values.sum()
        return self.to_dense().sum(dim, keepdim)

    # products
    def __matmul__(self, other: Any) -> Tensor:
        return mm(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        if other.ndim == 1:  # v @ S = S^T @ v
            return mm(self.t(), other)
        return mm(self.t(), other.mT).mT  # D @ S = (S^T @ D^T)^T

    def mm(self, mat2: Tensor) -> Tensor:
        return mm(self, mat2)

    matmul = mm  # type: ignore[assignment]  # sparse matmul takes no out=

    def t(self) -> SparseTensor:
        if self.sparse_dim() != 2 or self.dense_dim() != 0:
            raise RuntimeError(f"t() expects a tensor with <= 2 sparse and 0 dense dimensions, but self is {self.sparse_dim()} sparse and {self.dense_dim()} dense")  # noqa: E501
        idx = self._sp_indices[::-1].copy()
        return SparseTensor._make(idx, self._sp_values, self._sp_size[::-1], False)

    # mypy 1.19 flags any keyword-only __repr__ override
    def __repr__(self, *, tensor_contents: Any = None) -> str:  # type: ignore[override]
        return _sparse_repr(self)

    __str__ = __repr__

    def __len__(self) -> int:
        return self._sp_size[0]

    def __reduce_ex__(self, proto: Any) -> Any:
        return (_rebuild, (np.asarray(self._sp_indices), self._sp_values.detach(), self._sp_size))


def _rebuild(indices: Any, values: Tensor, size: tuple) -> SparseTensor:
    return sparse_coo_tensor(indices, values, size)


def _sparse_coo() -> Any:
    import ember  # noqa: PLC0415

    return ember.sparse_coo


def _sparse_repr(t: SparseTensor) -> str:
    """torch's sparse repr: indices, values, then size/nnz/dtype/layout/grad on their own line."""
    from ._dtype import get_default_dtype  # noqa: PLC0415
    from ._tensor_str import PRINT_OPTS, _tensor_str  # noqa: PLC0415

    def body(a: Any, indent: int) -> str:
        a = np.asarray(a if isinstance(a, np.ndarray) else a.get())
        if a.size == 0:
            return f"[], size={tuple(a.shape)}"
        return _tensor_str(a, indent)

    ip, vp = "indices=tensor(", "values=tensor("
    text = (f"tensor({ip}{body(t._sp_indices, 7 + len(ip))}),\n"
            f"{' ' * 7}{vp}{body(t._sp_values._array, 7 + len(vp))})")  # fmt: skip
    suffixes = [f"device='{t.device}'"] if t.is_cuda else []
    suffixes += [f"size={tuple(t._sp_size)}", f"nnz={t._nnz()}"]
    name = t.dtype.name
    default = get_default_dtype().name
    if name not in (default, "complex128" if default == "float64" else "complex64", "int64", "bool"):  # noqa: E501
        suffixes.append(f"dtype=torch.{name}")
    suffixes.append("layout=torch.sparse_coo")
    v = t._sp_values
    if v.grad_fn is not None:
        suffixes.append(f"grad_fn=<{v.grad_fn.name()}>")
    elif v._rg:
        suffixes.append("requires_grad=True")
    # torch: the first suffix always starts a new line; the rest wrap at the line width
    out, line = [text, ",\n" + " " * 7 + suffixes[0]], 7 + len(suffixes[0])
    for s in suffixes[1:]:
        if line + len(s) + 2 > PRINT_OPTS.linewidth:
            out.append(",\n" + " " * 7 + s)
            line = 7 + len(s)
        else:
            out.append(", " + s)
            line += len(s) + 2
    return "".join(out) + ")"


# --- construction --------------------------------------------------------------------------
def _as_tensor(x: Any, dtype: Any = None) -> Tensor:
    from ._factory import tensor  # noqa: PLC0415

    if isinstance(x, Tensor):
        return x if dtype is None or x.dtype is dtype else x.to(dtype)
    return tensor(x, dtype=dtype)


def sparse_coo_tensor(indices: Any, values: Any, size: Any = None, *, dtype: D.dtype | None = None,
                      device: Any = None, pin_memory: bool = False, requires_grad: bool = False,
                      check_invariants: bool | None = None, is_coalesced: bool | None = None) -> SparseTensor:  # noqa: E501  # fmt: skip
    r"""A sparse COO tensor with ``values[i]`` at ``indices[:, i]`` (duplicates are summed later).

    Args:
        indices (array_like): int indices, shape ``(sparse_dim, nnz)``.
        values (array_like): values, shape ``(nnz, *dense_dims)``.
        size (list, tuple, or ``ember.Size``, optional): the shape; inferred from the largest
            index otherwise.

    Examples::

        >>> from ember._sparse import sparse_coo_tensor
        >>> s = sparse_coo_tensor([[0, 1], [2, 0]], [3.0, 4.0], (2, 3))
        >>> s.to_dense()
        tensor([[0., 0., 3.],
                [4., 0., 0.]])
    """
    idx_t = indices if isinstance(indices, Tensor) else _as_tensor(np.asarray(indices, np.int64))
    if idx_t.dtype._cat != 1:
        raise RuntimeError("indices must be an int64 tensor")
    vals = _as_tensor(values, dtype)
    if device is not None:
        vals = vals.to(device)
    idx = to_device(idx_t._array.astype(np.int64, copy=False), vals.device)
    if idx.ndim != 2:
        raise RuntimeError(f"indices must be sparse_dim x nnz, but got: {list(idx.shape)}")
    nnz, sparse_dim = idx.shape[1], idx.shape[0]
    if vals.ndim == 0 or vals.shape[0] != nnz:
        raise RuntimeError(f"indices and values must have same nnz, but got nnz from indices: {nnz}, nnz from values: {vals.shape[0] if vals.ndim else 1}")  # noqa: E501
    dense_shape = tuple(vals.shape[1:])
    if size is None:
        xp = array_namespace(idx)
        sp = tuple(int(m) + 1 for m in xp.max(idx, axis=1)) if nnz else (0,) * sparse_dim
        size = sp + dense_shape
    size = tuple(builtins.int(s) for s in size)
    if len(size) != sparse_dim + len(dense_shape):
        raise RuntimeError(f"'len(size) == sparse_dim + dense_dim' is not satisfied: len(size) = {len(size)}, sparse_dim = {sparse_dim}, dense_dim = {len(dense_shape)}")  # noqa: E501
    _check_bounds(idx, size, sparse_dim)
    if requires_grad:
        vals = vals.detach().requires_grad_(True) if vals.grad_fn is not None else vals.requires_grad_(True)  # noqa: E501
    return SparseTensor._make(idx, vals, size, bool(is_coalesced) or nnz <= 1)


def _check_bounds(idx: Any, size: tuple, sparse_dim: int) -> None:
    if idx.shape[1] == 0:
        return
    lo, hi = idx.min(axis=1), idx.max(axis=1)
    for d in range(sparse_dim):
        if int(lo[d]) < 0:
            raise RuntimeError(f"found negative index {int(lo[d])} for dim {d}")
        if int(hi[d]) >= size[d]:
            raise RuntimeError(f"size is inconsistent with indices: for dim {d}, size is {size[d]} but found index {int(hi[d])}")  # noqa: E501


def to_sparse(input: Tensor, sparse_dim: int | None = None) -> SparseTensor:
    r"""``input.to_sparse()``: the nonzero entries of a dense tensor as a coalesced COO tensor."""
    if isinstance(input, SparseTensor):
        return input
    a = input._array
    xp = array_namespace(a)
    sd = a.ndim if sparse_dim is None else sparse_dim
    mask = a != 0 if sd == a.ndim else (a != 0).reshape(*a.shape[:sd], -1).any(-1)
    idx = xp.stack(xp.nonzero(mask)).astype(np.int64) if sd else xp.zeros((0, 1), np.int64)
    values = _GatherCoo.apply(input, indices=idx)
    return SparseTensor._make(idx.reshape(sd, -1), values, tuple(a.shape), True)


def mm(sparse: Tensor, dense: Tensor) -> Tensor:
    r"""``sparse @ dense`` for a 2-D sparse COO matrix and a dense matrix (or vector).

    Gradients flow to the dense operand and to the sparse operand's values.
    """
    if not isinstance(sparse, SparseTensor):
        if isinstance(dense, SparseTensor):
            return sparse @ dense.to_dense()
        from ._ops.linalg import mm as dense_mm  # noqa: PLC0415

        return dense_mm(sparse, dense)
    if sparse.sparse_dim() != 2 or sparse.dense_dim() != 0:
        raise RuntimeError(f"addmm: matrices expected, got {sparse.sparse_dim()}D tensor")
    if isinstance(dense, SparseTensor):
        dense = dense.to_dense()
    vec = dense.ndim == 1
    d = dense.unsqueeze(1) if vec else dense
    if d.ndim != 2:
        raise RuntimeError(f"addmm: matrices expected, got {d.ndim}D tensor")
    m, k = sparse._sp_size
    if d.shape[0] != k:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({m}x{k} and {d.shape[0]}x{d.shape[1]})")  # noqa: E501
    if dense.dtype is not sparse.dtype:
        raise RuntimeError(f"expected scalar type {_cname(sparse.dtype)} but found {_cname(dense.dtype)}")  # noqa: E501
    idx = sparse._sp_indices
    out = _SpMM.apply(sparse._sp_values, d, rows=idx[0], cols=idx[1], m=m)
    return out.squeeze(1) if vec else out


spmm = mm


def _cname(dt: D.dtype) -> str:
    return {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long"}.get(dt.name, dt.name)  # noqa: E501


def sparse_sum(input: Tensor, dim: Any = None, dtype: Any = None) -> Tensor:
    r"""``torch.sparse.sum``: the sum of the values (over all dims), or of the dense form."""
    if not isinstance(input, SparseTensor):
        return input.sum() if dim is None else input.sum(dim)
    return input.sum(dim, dtype=dtype)

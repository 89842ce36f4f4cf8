r"""``ember.linalg``: norms, inverses, solves and decompositions (``torch.linalg``).

Forwards call NumPy's LAPACK wrappers (batched over leading dims). Backwards are written with
ember ops (``matmul``, ``inv``, ``solve``...), so ``create_graph=True`` records them too.

The gradients, for ``A`` square and ``g`` the incoming gradient (real case):

- ``inv``:    ``X = A^{-1}``,      ``gA = -X^T g X^T``
- ``det``:    ``d = det A``,       ``gA = g d A^{-T}``
- ``solve``:  ``X = A^{-1} B``,    ``gB = A^{-T} g``, ``gA = -gB X^T``
- ``cholesky``: ``A = L L^T``,     ``gA = L^{-T} Φ(L^T gL) L^{-1}`` (Φ: lower half, diagonal halved,
  symmetrised)
- ``eigh``:   ``A = V diag(w) V^T``, ``gA = V (diag(gw) + skew(V^T gV) / (w_j - w_i)) V^T``
- ``qr`` and ``svd``: see ``_qr_backward_tall`` and ``_svd_backward`` (checked against torch)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import _dtype as D
from ._ops import elementwise as E
from ._ops import reduction as R
from ._ops import shape as S
from ._ops.linalg import matmul
from ._tensor import _LEGACY, Tensor, _wrap
from .autograd.function import Function, Op
from .autograd.grad_mode import _state
from .return_types import _make

__all__ = ["LinAlgError", "vector_norm", "matrix_norm", "norm", "inv", "inv_ex", "det", "slogdet",
           "solve", "cholesky", "cholesky_ex", "qr", "svd", "svdvals", "eigh", "eigvalsh", "pinv",
           "matrix_rank", "cross", "vecdot", "matmul", "diagonal", "multi_dot", "matrix_power"]  # fmt: skip


class LinAlgError(RuntimeError):
    """A matrix was singular or not positive-definite (``torch.linalg.LinAlgError``)."""


_slogdet_t = _make("linalg_slogdet", ("sign", "logabsdet"))
_qr_t = _make("linalg_qr", ("Q", "R"))
_svd_t = _make("linalg_svd", ("U", "S", "Vh"))
_eigh_t = _make("linalg_eigh", ("eigenvalues", "eigenvectors"))
_inv_ex_t = _make("linalg_inv_ex", ("inverse", "info"))
_cholesky_ex_t = _make("linalg_cholesky_ex", ("L", "info"))


# --- argument checks (torch's messages) --------------------------------------------------------


def _float_in(A: Tensor, name: str) -> None:
    if not (A.dtype.is_floating_point or A.dtype.is_complex):
        raise RuntimeError(
            f"{name}: Expected a floating point or complex tensor as input. "
            f"Got {_LEGACY.get(A.dtype.name, A.dtype.name)}"
        )
    if A.dtype.is_complex and A.requires_grad and _state.enabled:
        raise NotImplementedError(f"ember: {name} has no gradient for complex inputs yet")


def _matrices(A: Tensor, name: str, square: bool = True) -> None:
    if A.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor A must have at least 2 dimensions.")
    if square and A.shape[-1] != A.shape[-2]:
        raise RuntimeError(
            f"{name}: A must be batches of square matrices, but they are "
            f"{A.shape[-2]} by {A.shape[-1]} matrices"
        )
    _float_in(A, name)


def _mT(x: Tensor) -> Tensor:
    return S.transpose(x, -2, -1)


def _batch_prefix(bad: np.ndarray) -> str:
    """torch names the first failing matrix of a batch: ``(Batch element 3): ``."""
    if bad.ndim == 0:
        return ""
    return f"(Batch element {int(np.flatnonzero(bad.reshape(-1))[0])}): "


def _singular_pivot(a: np.ndarray) -> np.ndarray:
    """LAPACK getrf's ``info`` per matrix: the 1-based index of the first zero pivot of partial
    pivoting LU, 0 when there is none. Only runs to word an error, so a loop over columns is fine."""
    u = a.astype(np.float64, copy=True).reshape(-1, *a.shape[-2:])
    n = u.shape[-1]
    info = np.zeros(u.shape[0], dtype=np.int64)
    rows = np.arange(u.shape[0])
    for k in range(n):
        p = k + np.abs(u[:, k:, k]).argmax(axis=1)
        u[rows, k], u[rows, p] = u[rows, p].copy(), u[rows, k].copy()
        piv = u[:, k, k]
        zero = piv == 0
        info[zero & (info == 0)] = k + 1
        f = u[:, k + 1:, k] / np.where(zero, 1.0, piv)[:, None]
        u[:, k + 1:, :] -= f[:, :, None] * u[:, k, None, :]
    return info.reshape(a.shape[:-2])


# --- norms ---------------------------------------------------------------------------------


def vector_norm(x: Tensor, ord: Any = 2, dim: Any = None, keepdim: bool = False, *,
                dtype: Any = None) -> Tensor:
    r"""``(sum |x|^ord)^(1/ord)`` over ``dim`` (all elements by default); ``ord`` may be ``inf``."""
    if isinstance(ord, str):
        raise TypeError(
            "linalg_vector_norm(): argument 'ord' (position 2) must be Number, not str"
        )
    _float_in(x, "linalg.vector_norm")
    if dtype is not None:
        if D.promote_types(x.dtype, dtype) != dtype:
            raise RuntimeError(
                f"linalg.vector_norm: the dtype of the input ({_LEGACY[x.dtype.name]}) should be "
                f"convertible without narrowing to the specified dtype ({_LEGACY[dtype.name]})"
            )
        x = x.to(dtype)
    dims = R._dims(dim, x.ndim)
    if ord == 2:
        return R.Norm.apply(x, dims=dims, keepdim=keepdim)
    return LinalgVectorNorm.apply(x, ord=float(ord), dims=dims, keepdim=keepdim)


class LinalgVectorNorm(Op):
    """Any ``ord`` but 2 (which is ``reduction.Norm``): the gradient follows torch's
    ``norm_backward`` case by case, zero where the norm is zero."""

    save_output = True

    @staticmethod
    def forward(ctx: Any, a: Tensor, ord: float = 1.0, dims: Any = None, keepdim: bool = False) -> Any:  # noqa: E501
        ctx.save_for_backward(a)
        ctx.ord, ctx.dims, ctx.keepdim = ord, dims, keepdim
        ax = np.abs(a._array)
        if ord == math.inf:
            return ax.max(axis=dims, keepdims=keepdim)
        if ord == -math.inf:
            return ax.min(axis=dims, keepdims=keepdim)
        if ord == 0:
            return (ax != 0).sum(axis=dims, keepdims=keepdim).astype(ax.dtype)
        if ord == 1:
            return ax.sum(axis=dims, keepdims=keepdim)
        return (ax**ord).sum(axis=dims, keepdims=keepdim) ** (1.0 / ord)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        (a,) = ctx.saved_tensors
        p, out = ctx.ord, ctx.output
        if not ctx.keepdim and a.ndim:
            kept = R._kept_shape(a.shape, ctx.dims)
            grad, out = S.reshape(grad, kept), S.reshape(out, kept)
        if p == 0:
            return E.mul(a, 0)
        if p == 1:
            return E.sign(a) * grad
        if math.isinf(p):
            mask = (E.abs(a) == out).to(a.dtype)
            return E.sign(a) * (grad / R.sum(mask, ctx.dims, True)) * mask
        zero = out == 0
        if p < 1:
            scaled = E.where(a == 0, a.new_zeros(()), E.sign(a) * E.abs(a) ** (p - 1))
            return scaled * grad * out ** (1 - p)
        scaled = E.sign(a) * E.abs(a) ** (p - 1) if p < 2 else a * E.abs(a) ** (p - 2)
        scale = E.where(zero, out.new_zeros(()), grad / E.where(zero, out.new_ones(()), out) ** (p - 1))  # noqa: E501
        return scaled * scale


def _sum_abs_then(A: Tensor, sum_dim: int, red_dim: int, keepdim: bool, f: Any) -> Tensor:
    r = f(R.sum(E.abs(A), sum_dim, True), red_dim, True)
    return r if keepdim else S.squeeze(r, (sum_dim, red_dim))


def matrix_norm(A: Tensor, ord: Any = "fro", dim: Any = (-2, -1), keepdim: bool = False, *,
                dtype: Any = None) -> Tensor:
    r"""Frobenius (``'fro'``), nuclear (``'nuc'``), ``±1``, ``±2`` or ``±inf`` norm of matrices."""
    if A.ndim < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")  # noqa: E501
    if not isinstance(dim, tuple | list) or len(dim) != 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {dim}")
    _float_in(A, "linalg.matrix_norm")
    if dtype is not None:
        A = A.to(dtype)
    d0, d1 = (d % A.ndim for d in dim)
    if ord == "fro":
        return R.norm(A, 2, (d0, d1), keepdim)
    inf = math.inf
    if ord in (1, -1, inf, -inf):
        f = R.amax if ord > 0 else R.amin
        # ±1: extreme column sum; ±inf: extreme row sum
        return _sum_abs_then(A, d0, d1, keepdim, f) if abs(ord) == 1 else _sum_abs_then(A, d1, d0, keepdim, f)  # noqa: E501
    if ord in ("nuc", 2, -2):
        s = svdvals(S.movedim(A, (d0, d1), (-2, -1)))
        r = R.sum(s, -1) if ord == "nuc" else (R.amax if ord == 2 else R.amin)(s, -1)
        if keepdim:
            for d in sorted((d0, d1)):
                r = S.unsqueeze(r, d)
        return r
    raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")


def norm(A: Tensor, ord: Any = None, dim: Any = None, keepdim: bool = False, *,
         dtype: Any = None) -> Tensor:
    r"""``vector_norm`` or ``matrix_norm``, chosen by ``ord`` and ``dim`` as torch does."""
    if dim is not None:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        if len(dims) == 2 and (ord is not None or isinstance(dim, tuple | list)):
            return matrix_norm(A, "fro" if ord is None else ord, dims, keepdim, dtype=dtype)
        if isinstance(ord, str):
            raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {dim}")
        return vector_norm(A, 2 if ord is None else ord, dims, keepdim, dtype=dtype)
    if ord is None:
        return vector_norm(A, 2, None, keepdim, dtype=dtype)
    if A.ndim == 2:
        return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype)
    if A.ndim == 1 and not isinstance(ord, str):
        return vector_norm(A, ord, None, keepdim, dtype=dtype)
    raise RuntimeError(
        f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got {A.ndim}D."  # noqa: E501
    )


# --- inverse, determinant, solve -------------------------------------------------------------


class LinalgInvEx(Op, node_name="LinalgInvExBackward0"):
    save_output = True

    @staticmethod
    def forward(ctx: Any, a: Tensor) -> Any:
        x = a._array
        try:
            return np.linalg.inv(x)
        except np.linalg.LinAlgError:
            info = _singular_pivot(x)
            raise LinAlgError(
                f"linalg.inv: {_batch_prefix(info != 0)}The diagonal element "
                f"{int(info[info != 0].reshape(-1)[0]) if info.ndim else int(info)} is zero, the "
                "inversion could not be completed because the input matrix is singular."
            ) from None

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        xt = _mT(ctx.output)
        return -matmul(matmul(xt, grad), xt)


def inv(A: Tensor, *, out: Tensor | None = None) -> Tensor:
    r"""The inverse of each square matrix in ``A``; raises ``LinAlgError`` when one is singular."""
    _matrices(A, "linalg.inv")
    return LinalgInvEx.apply(A)


def inv_ex(A: Tensor, *, check_errors: bool = False) -> Any:
    """``(inverse, info)`` with ``info`` all zeros: a singular matrix raises as in ``inv`` (torch
    reports it through a nonzero ``info`` unless ``check_errors=True``)."""
    r = inv(A)
    return _inv_ex_t((r, _wrap(np.zeros(A.shape[:-2], dtype=np.int32))))


def _cofactor(a: np.ndarray) -> np.ndarray:
    """``det(A) A^{-T}`` without inverting A, via the SVD (so a singular A is fine)."""
    u, s, vh = np.linalg.svd(a)
    eye = np.eye(s.shape[-1], dtype=bool)
    others = np.prod(np.where(eye, 1, s[..., None, :]), axis=-1)  # prod_{j != i} s_j
    sgn = np.linalg.det(u) * np.linalg.det(vh)
    return (sgn[..., None, None] * u * others[..., None, :]) @ vh


class LinalgDet(Op, node_name="LinalgDetBackward0"):
    save_output = True

    @staticmethod
    def forward(ctx: Any, a: Tensor) -> Any:
        ctx.save_for_backward(a)
        return np.linalg.det(a._array)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        (a,) = ctx.saved_tensors
        g = S.unsqueeze(S.unsqueeze(grad, -1), -1)
        if _state.enabled:  # create_graph: d A^{-T} with ember ops (A must be invertible)
            return g * S.unsqueeze(S.unsqueeze(ctx.output, -1), -1) * _mT(inv(a))
        # the cofactor matrix from the SVD: exact for singular A too, where d A^{-T} is 0 * inf
        return g * _wrap(_cofactor(a._array).astype(a._array.dtype))


def det(A: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Determinant of each square matrix in ``A``."""
    _matrices(A, "linalg.det")
    return LinalgDet.apply(A)


class LinalgSlogdet(Function):
    @staticmethod
    def forward(ctx: Any, a: Tensor) -> Any:
        ctx.save_for_backward(a)
        sign, logabs = np.linalg.slogdet(a._array)
        dt = a._array.dtype
        return _wrap(np.asarray(sign, dtype=dt)), _wrap(np.asarray(logabs, dtype=dt))

    @staticmethod
    def backward(ctx: Any, gsign: Tensor, glogabs: Tensor) -> Any:
        (a,) = ctx.saved_tensors  # sign is piecewise constant: only logabsdet has a gradient
        return S.unsqueeze(S.unsqueeze(glogabs, -1), -1) * _mT(inv(a))


def _rename(fn: Any, name: str) -> None:
    fn._backward_cls.__name__ = fn._backward_cls.__qualname__ = name


_rename(LinalgSlogdet, "LinalgSlogdetBackward0")


def slogdet(A: Tensor, *, out: Any = None) -> Any:
    r"""``(sign, log|det|)`` of each square matrix: ``det = sign * exp(logabsdet)`` without
    overflow."""
    _matrices(A, "linalg.slogdet")
    return _slogdet_t(LinalgSlogdet.apply(A))


class LinalgSolveEx(Op, node_name="LinalgSolveExBackward0"):
    """``X = A^{-1} B`` (``left``) or ``X = B A^{-1}``; a ``vector`` B is one column."""

    save_output = True

    @staticmethod
    def forward(ctx: Any, a: Tensor, b: Tensor, left: bool = True, vector: bool = False) -> Any:
        ctx.save_for_backward(a, b)
        ctx.left, ctx.vector = left, vector
        x, y = a._array, b._array
        if vector:
            y = y[..., None]
        try:
            if left:
                r = np.linalg.solve(x, y)
            else:
                r = np.swapaxes(np.linalg.solve(np.swapaxes(x, -1, -2), np.swapaxes(y, -1, -2)), -1, -2)  # noqa: E501
        except np.linalg.LinAlgError:
            raise LinAlgError(
                "torch.linalg.solve: The solver failed because the input matrix is singular."
            ) from None
        return r[..., 0] if vector else r

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        a, b = ctx.saved_tensors
        ga, gb = ctx.needs_input_grad
        g, x = grad, ctx.output
        if ctx.vector:
            g, x = S.unsqueeze(g, -1), S.unsqueeze(x, -1)
        if ctx.left:  # A^T gB = g,  gA = -gB X^T
            g_b = solve(_mT(a), g)
            g_a = -matmul(g_b, _mT(x)) if ga else None
        else:  # gB A^T = g,  gA = -X^T gB
            g_b = solve(_mT(a), g, left=False)
            g_a = -matmul(_mT(x), g_b) if ga else None
        if ctx.vector:
            g_b = S.squeeze(g_b, -1)
        return (S.sum_to(g_a, a.shape) if ga else None), (S.sum_to(g_b, b.shape) if gb else None)


def solve(A: Tensor, B: Tensor, *, left: bool = True, out: Tensor | None = None) -> Tensor:
    r"""``X`` with ``A X = B`` (``X A = B`` when ``left=False``); ``B`` may be a (batch of)
    vector(s). Batch dimensions broadcast."""
    _matrices(A, "linalg.solve")
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and B.shape == A.shape[:-1])
    k = B.shape[-1] if vector or not left else B.shape[-2]
    if k != A.shape[-1]:
        shape_b = f"{B.shape[-1]}x1" if vector else f"{B.shape[-2]}x{B.shape[-1]}"
        eq = "AX = B" if left else "XA = B"
        raise RuntimeError(
            f"linalg.solve: Incompatible shapes of A and B for the equation {eq} "
            f"({A.shape[-2]}x{A.shape[-1]} and {shape_b})"
        )
    return LinalgSolveEx.apply(A, B, left=left, vector=vector)


# --- decompositions --------------------------------------------------------------------------


class LinalgCholeskyEx(Op, node_name="LinalgCholeskyExBackward0"):
    save_output = True

    @staticmethod
    def forward(ctx: Any, a: Tensor, upper: bool = False) -> Any:
        x = a._array
        ctx.upper = upper
        try:
            L = np.linalg.cholesky(x)
        except np.linalg.LinAlgError:
            raise LinAlgError(_cholesky_message(x)) from None
        return np.ascontiguousarray(np.swapaxes(L, -1, -2)) if upper else L

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        L, g = ctx.output, grad
        if ctx.upper:
            L, g = _mT(L), _mT(g)
        g = S.tril(matmul(_mT(L), g))
        g = 0.5 * (g + _mT(S.tril(g, -1)))
        linv = inv(L)
        return matmul(matmul(_mT(linv), g), linv)


def _cholesky_message(x: np.ndarray) -> str:
    """Find the first leading minor that is not positive-definite (error path only)."""
    flat = x.reshape(-1, *x.shape[-2:])
    for i, m in enumerate(flat):
        for k in range(1, m.shape[-1] + 1):
            try:
                np.linalg.cholesky(m[:k, :k])
            except np.linalg.LinAlgError:
                prefix = f"(Batch element {i}): " if x.ndim > 2 else ""
                return (
                    f"linalg.cholesky: {prefix}The factorization could not be completed because the "  # noqa: E501
                    f"input is not positive-definite (the leading minor of order {k} is not "
                    "positive-definite)."
                )
    return "linalg.cholesky: The factorization could not be completed."


def cholesky(A: Tensor, *, upper: bool = False, out: Tensor | None = None) -> Tensor:
    r"""Lower-triangular ``L`` with ``A = L L^T`` (``upper=True``: ``U = L^T``); only the lower
    half of ``A`` is read."""
    _matrices(A, "linalg.cholesky")
    return LinalgCholeskyEx.apply(A, upper=upper)


def cholesky_ex(A: Tensor, *, upper: bool = False, check_errors: bool = False) -> Any:
    """``(L, info)``; raises where torch would report a nonzero ``info``."""
    return _cholesky_ex_t((cholesky(A, upper=upper), _wrap(np.zeros(A.shape[:-2], dtype=np.int32))))  # noqa: E501


class LinalgQr(Function):
    @staticmethod
    def forward(ctx: Any, a: Tensor, mode: str = "reduced") -> Any:
        x = a._array
        ctx.mode = mode
        ctx.set_materialize_grads(False)
        if mode == "r":
            r = np.linalg.qr(x, mode="r")
            return _wrap(np.empty(0, dtype=x.dtype)), _wrap(r)
        q, r = np.linalg.qr(x, mode=mode)
        q, r = _wrap(q), _wrap(r)
        ctx.save_for_backward(a, q, r)
        return q, r

    @staticmethod
    def backward(ctx: Any, gq: Tensor | None, gr: Tensor | None) -> Any:
        if ctx.mode == "r":
            raise RuntimeError(
                "The derivative of linalg.qr depends on Q, which is not computed when mode='r'. "
                "Please use linalg.qr(A, mode='reduced') if you are going to differentiate "
                "through linalg.qr."
            )
        a, q, r = ctx.saved_tensors
        m, n = a.shape[-2], a.shape[-1]
        if ctx.mode == "complete" and m > n:
            raise RuntimeError(
                "The QR decomposition is not differentiable when mode='complete' and nrows > ncols."
            )
        if gq is None and gr is None:
            return None, None
        if m >= n:
            return _qr_backward_tall(gq, gr, q, r), None
        # wide: A = [X | Y] with X = Q U square and Y = Q V; V's gradient flows into Q too
        y = a[..., m:]
        gu = gr[..., :m] if gr is not None else None
        gy = matmul(q, gr[..., m:]) if gr is not None else E.mul(y, 0)
        gq2 = matmul(y, _mT(gr[..., m:])) if gr is not None else None
        if gq is not None:
            gq2 = gq if gq2 is None else gq + gq2
        return S.cat([_qr_backward_tall(gq2, gu, q, r[..., :m]), gy], -1), None


def _qr_backward_tall(gq: Tensor | None, gr: Tensor | None, q: Tensor, r: Tensor) -> Tensor:
    """``A = QR`` with ``m >= n``: ``M = R gR^T - gQ^T Q``,
    ``gA = (gQ + Q copyltu(M)) R^{-T}`` where ``copyltu`` mirrors M's lower triangle upwards."""
    m_ = matmul(r, _mT(gr)) if gr is not None else None
    if gq is not None:
        m_ = -matmul(_mT(gq), q) if m_ is None else m_ - matmul(_mT(gq), q)
    sym = S.tril(m_) + _mT(S.tril(m_, -1))
    b = matmul(q, sym) if gq is None else gq + matmul(q, sym)
    return solve(_mT(r), b, left=False)  # b R^{-T}


_rename(LinalgQr, "LinalgQrBackward0")


def qr(A: Tensor, mode: str = "reduced", *, out: Any = None) -> Any:
    """``(Q, R)`` with ``A = Q R``, ``Q`` orthonormal columns and ``R`` upper triangular."""
    if A.ndim < 2:
        raise RuntimeError("linalg.qr: The input tensor A must have at least 2 dimensions.")
    if mode not in ("reduced", "r", "complete"):
        raise RuntimeError(
            f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), "
            "'r', or 'complete'"
        )
    _float_in(A, "linalg.qr")
    return _qr_t(LinalgQr.apply(A, mode=mode))


class LinalgSvd(Function):
    @staticmethod
    def forward(ctx: Any, a: Tensor, full_matrices: bool = True) -> Any:
        u, s, vh = (_wrap(x) for x in np.linalg.svd(a._array, full_matrices=full_matrices))
        ctx.set_materialize_grads(False)
        ctx.save_for_backward(u, s, vh)
        return u, s, vh

    @staticmethod
    def backward(ctx: Any, gu: Tensor | None, gs: Tensor | None, gvh: Tensor | None) -> Any:
        u, s, vh = ctx.saved_tensors
        k = s.shape[-1]  # full_matrices: only the first k columns of U (rows of Vh) matter
        u, vh = u[..., :k], vh[..., :k, :]
        gu = gu[..., :k] if gu is not None else None
        gvh = gvh[..., :k, :] if gvh is not None else None
        return _svd_backward(gu, gs, gvh, u, s, vh), None


def _svd_backward(gu: Tensor | None, gs: Tensor | None, gvh: Tensor | None, u: Tensor,
                  s: Tensor, vh: Tensor) -> Tensor:
    """torch's ``svd_backward`` (real case): with ``E_ij = s_j^2 - s_i^2`` and ``skew(X) = X - X^T``,
    ``gA = U [(skew(U^T gU) S + S skew(Vh gVh^T)) / E + diag(gS)] Vh``, plus the parts of gU, gVh
    outside the spans of U, V when A is not square. Assumes distinct singular values."""
    m, n = u.shape[-2], vh.shape[-1]
    if gu is None and gvh is None:
        gs_ = gs if gs is not None else E.mul(s, 0)
        return matmul(u * S.unsqueeze(gs_, -2), vh)
    s2 = s * s
    e = S.unsqueeze(s2, -2) - S.unsqueeze(s2, -1)
    eye = _wrap(np.eye(s.shape[-1], dtype=bool))
    e = E.where(eye, e.new_ones(()), e)
    uhgu = None if gu is None else matmul(_mT(u), gu)
    vhgv = None if gvh is None else matmul(vh, _mT(gvh))
    if uhgu is not None:
        uhgu = uhgu - _mT(uhgu)
    if vhgv is not None:
        vhgv = vhgv - _mT(vhgv)
    if uhgu is not None and vhgv is not None:
        ret = (uhgu * S.unsqueeze(s, -2) + S.unsqueeze(s, -1) * vhgv) / e
    elif uhgu is not None:
        ret = (uhgu / e) * S.unsqueeze(s, -2)
    else:
        ret = S.unsqueeze(s, -1) * (vhgv / e)
    if gs is not None:
        ret = ret + S.diag_embed(gs)
    if m > n and gu is not None:
        ga = matmul(u, ret)
        gusinv = gu / S.unsqueeze(s, -2)
        ga = ga + gusinv - matmul(u, matmul(_mT(u), gusinv))
        return matmul(ga, vh)
    if m < n and gvh is not None:
        ga = matmul(ret, vh)
        sinvgvh = gvh / S.unsqueeze(s, -1)
        ga = ga + sinvgvh - matmul(matmul(sinvgvh, _mT(vh)), vh)
        return matmul(u, ga)
    return matmul(u, matmul(ret, vh))


_rename(LinalgSvd, "LinalgSvdBackward0")


def svd(A: Tensor, full_matrices: bool = True, *, driver: Any = None, out: Any = None) -> Any:
    """``(U, S, Vh)`` with ``A = U diag(S) Vh`` and ``S`` descending."""
    if A.ndim < 2:
        raise RuntimeError("linalg.svd: The input tensor A must have at least 2 dimensions.")
    _float_in(A, "linalg.svd")
    return _svd_t(LinalgSvd.apply(A, full_matrices=full_matrices))


class LinalgSvdvals(Op, node_name="LinalgSvdBackward0"):
    @staticmethod
    def forward(ctx: Any, a: Tensor) -> Any:
        if not ctx.recording:
            return np.linalg.svd(a._array, compute_uv=False)
        u, s, vh = np.linalg.svd(a._array, full_matrices=False)
        ctx.u, ctx.vh = _wrap(u), _wrap(vh)
        return s

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        return matmul(ctx.u * S.unsqueeze(grad, -2), ctx.vh)  # U diag(g) Vh


def svdvals(A: Tensor, *, driver: Any = None, out: Tensor | None = None) -> Tensor:
    """The singular values of ``A``, descending."""
    if A.ndim < 2:
        raise RuntimeError("linalg.svdvals: The input tensor A must have at least 2 dimensions.")
    _float_in(A, "linalg.svdvals")
    return LinalgSvdvals.apply(A)


class LinalgEigh(Function):
    @staticmethod
    def forward(ctx: Any, a: Tensor, uplo: str = "L") -> Any:
        w, v = np.linalg.eigh(a._array, UPLO=uplo)
        w, v = _wrap(w), _wrap(v)
        ctx.save_for_backward(w, v)
        return w, v

    @staticmethod
    def backward(ctx: Any, gw: Tensor, gv: Tensor) -> Any:
        w, v = ctx.saved_tensors
        vt = _mT(v)
        vgv = matmul(vt, gv)
        vgv = 0.5 * (vgv - _mT(vgv))  # project onto skew-symmetric matrices
        e = S.unsqueeze(w, -2) - S.unsqueeze(w, -1)  # e[i, j] = w_j - w_i
        n = w.shape[-1]
        eye = _wrap(np.eye(n, dtype=bool))
        inner = E.where(eye, S.diag_embed(gw), vgv / E.where(eye, e.new_ones(()), e))
        return matmul(matmul(v, inner), vt), None


_rename(LinalgEigh, "LinalgEighBackward0")


def eigh(A: Tensor, UPLO: str = "L", *, out: Any = None) -> Any:
    r"""``(eigenvalues, eigenvectors)`` of symmetric matrices, eigenvalues ascending; only the
    ``UPLO`` triangle of ``A`` is read."""
    _matrices(A, "linalg.eigh")
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    return _eigh_t(LinalgEigh.apply(A, uplo=UPLO))


def eigvalsh(A: Tensor, UPLO: str = "L", *, out: Any = None) -> Tensor:
    """The eigenvalues of symmetric matrices, ascending."""
    return eigh(A, UPLO)[0]


def _rtol(A: Tensor, atol: Any, rtol: Any) -> Any:
    if rtol is None:
        rtol = D.finfo(A.dtype).eps * max(A.shape[-2:]) if atol is None or atol == 0 else 0.0
    return 0.0 if atol is None else atol, rtol


class LinalgPinv(Op, node_name="LinalgPinvBackward0"):
    save_output = True

    @staticmethod
    def forward(ctx: Any, a: Tensor, atol: Any = 0.0, rtol: Any = 0.0) -> Any:
        ctx.save_for_backward(a)
        x = a._array
        u, s, vh = np.linalg.svd(x, full_matrices=False)
        atol = atol._array[..., None] if isinstance(atol, Tensor) else atol
        rtol = rtol._array[..., None] if isinstance(rtol, Tensor) else rtol
        cut = np.maximum(atol, rtol * s[..., :1]) if s.shape[-1] else 0
        sinv = np.where(s > cut, 1 / np.where(s == 0, 1, s), 0).astype(x.dtype)
        return np.swapaxes(vh, -1, -2) * sinv[..., None, :] @ np.swapaxes(u, -1, -2)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        (a,) = ctx.saved_tensors
        p, m, n = ctx.output, a.shape[-2], a.shape[-1]
        ph, gh = _mT(p), _mT(grad)
        if m <= n:
            k = matmul(gh, p)
            kph = matmul(k, ph)
            return (-_mT(matmul(p, k)) + kph - matmul(matmul(a, p), kph)
                    + matmul(matmul(ph, p), gh - matmul(k, a)))
        k = matmul(p, gh)
        phk = matmul(ph, k)
        return (-_mT(matmul(k, p)) + matmul(matmul(gh - matmul(a, k), p), ph) + phk
                - matmul(matmul(phk, p), a))


def pinv(A: Tensor, *, atol: Any = None, rtol: Any = None, hermitian: bool = False,
         out: Tensor | None = None) -> Tensor:
    r"""Moore-Penrose pseudo-inverse; singular values ``<= max(atol, rtol * s_max)`` count as 0."""
    if A.ndim < 2 or not (A.dtype.is_floating_point or A.dtype.is_complex):
        raise RuntimeError(
            f"linalg.pinv({_LEGACY.get(A.dtype.name, A.dtype.name)}{{{list(A.shape)}}}): expected "
            "a tensor with 2 or more dimensions of float, double, cfloat or cdouble types"
        )
    atol, rtol = _rtol(A, atol, rtol)
    return LinalgPinv.apply(A, atol=atol, rtol=rtol)


def matrix_rank(A: Tensor, *, atol: Any = None, rtol: Any = None, hermitian: bool = False,
                out: Tensor | None = None) -> Tensor:
    """How many singular values exceed ``max(atol, rtol * s_max)``."""
    if A.ndim < 2:
        raise RuntimeError("linalg.matrix_rank: The input tensor A must have at least 2 dimensions.")  # noqa: E501
    _float_in(A, "linalg.matrix_rank")
    atol, rtol = _rtol(A, atol, rtol)
    s = np.linalg.svd(A._array, compute_uv=False)
    atol = atol._array[..., None] if isinstance(atol, Tensor) else atol
    rtol = rtol._array[..., None] if isinstance(rtol, Tensor) else rtol
    cut = np.maximum(atol, rtol * s[..., :1]) if s.shape[-1] else 0
    return _wrap(np.asarray((s > cut).sum(-1), dtype=np.int64))


# --- vector products -------------------------------------------------------------------------


class LinalgCross(Op, node_name="LinalgCrossBackward0"):
    @staticmethod
    def forward(ctx: Any, a: Tensor, b: Tensor, dim: int = -1) -> Any:
        ctx.save_for_backward(a, b)
        ctx.dim = dim
        return np.cross(a._array, b._array, axis=dim)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Any:
        a, b = ctx.saved_tensors
        ga, gb = ctx.needs_input_grad
        return (LinalgCross.apply(b, grad, dim=ctx.dim) if ga else None,
                LinalgCross.apply(grad, a, dim=ctx.dim) if gb else None)


def cross(input: Tensor, other: Tensor, *, dim: int = -1, out: Tensor | None = None) -> Tensor:
    """Cross product of 3-vectors along ``dim`` (broadcasting the other dims)."""
    if input.ndim != other.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    if input.shape[dim] != 3 or other.shape[dim] != 3:
        raise RuntimeError(
            f"linalg.cross: inputs dimension {dim} must have length 3. "
            f"Got {input.shape[dim]} and {other.shape[dim]}"
        )
    shape = np.broadcast_shapes(input.shape, other.shape)
    a = input if input.shape == shape else S.expand(input, shape)
    b = other if other.shape == shape else S.expand(other, shape)
    return LinalgCross.apply(a, b, dim=dim % len(shape))


def vecdot(x: Tensor, y: Tensor, *, dim: int = -1, out: Tensor | None = None) -> Tensor:
    """Dot product of vectors along ``dim``: ``sum(x.conj() * y, dim)``."""
    if x.shape[dim] != y.shape[dim]:
        raise RuntimeError(
            f"inconsistent tensor size, expected tensor [{x.shape[dim]}] and src [{y.shape[dim]}] "
            f"to have the same number of elements, but got {x.shape[dim]} and {y.shape[dim]} "
            "elements respectively"
        )
    return R.sum(x * y, dim)


# --- small conveniences torch.linalg also has -------------------------------------------------


def diagonal(A: Tensor, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """``A.diagonal(offset, dim1, dim2)`` with matrix-friendly defaults."""
    return S.diagonal(A, offset, dim1, dim2)


def multi_dot(tensors: Any, *, out: Tensor | None = None) -> Tensor:
    """``tensors[0] @ tensors[1] @ ...`` (left to right; 1-D ends are vectors)."""
    r = tensors[0]
    for t in tensors[1:]:
        r = matmul(r, t)
    return r


def matrix_power(A: Tensor, n: int, *, out: Tensor | None = None) -> Tensor:
    """``A`` multiplied by itself ``n`` times (``n < 0`` uses ``inv(A)``; ``n == 0`` the identity)."""
    _matrices(A, "linalg.matrix_power", square=True)
    if n == 0:
        return S.expand(_wrap(np.eye(A.shape[-1], dtype=A._array.dtype)), A.shape).clone()
    base = inv(A) if n < 0 else A
    r = base
    for _ in range(abs(n) - 1):
        r = matmul(r, base)
    return r

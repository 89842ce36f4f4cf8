"""``nn.utils.parametrizations``: ``weight_norm`` and ``spectral_norm`` built on ``parametrize``.

Each is a small module whose ``forward`` maps the stored tensors to the weight the layer uses;
``register_parametrization`` makes ``layer.weight`` call it on every access.
"""

from __future__ import annotations

import math
from enum import Enum, auto
from typing import Any

import numpy as np

import ember
import ember.nn.functional as F
from ember._tensor import Tensor
from ember.autograd.grad_mode import no_grad
from ember.nn.modules.conv import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from ember.nn.modules.module import Module

from . import parametrize

__all__ = ["orthogonal", "weight_norm", "spectral_norm"]


def _norm_except_dim(v: Tensor, dim: int) -> Tensor:
    """The 2-norm of ``v`` over every dim but ``dim``, keeping dims (torch's ``norm_except_dim``).

    ``dim == -1`` means the norm of the whole tensor (a 0-d tensor), as in torch.
    """
    if dim == -1:
        return v.norm(2)
    others = tuple(d for d in range(v.dim()) if d != dim)
    return (v * v).sum(dim=others, keepdim=True).sqrt() if others else v.abs()


def _weight_norm(v: Tensor, g: Tensor, dim: int) -> Tensor:
    """``w = g * v / ||v||`` with the norm over every dim but ``dim``."""
    return v * (g / _norm_except_dim(v, dim))


# --- orthogonal ---------------------------------------------------------------------------------
def _geqrf(a: Tensor) -> tuple[Tensor, Tensor]:
    """LAPACK's ``geqrf`` (Householder vectors below the diagonal, ``R`` above; and ``tau``),
    as ``torch.geqrf`` returns it. Not differentiable (torch's is not either)."""
    h_np, tau = np.linalg.qr(a.detach().cpu().numpy(), mode="raw")
    h = ember.from_numpy(np.ascontiguousarray(np.swapaxes(h_np, -1, -2)))
    return h.to(a.device), ember.from_numpy(tau).to(a.device)


def _householder_product(a: Tensor, tau: Tensor) -> Tensor:
    """The first ``k`` columns of ``H_1 ... H_k``, ``H_i = I - tau_i v_i v_i^H``, where ``v_i`` is
    column ``i`` of ``a`` below the diagonal with a 1 on it (``torch.linalg.householder_product``).

    Built from differentiable ops, so gradients reach both ``a`` and ``tau``.
    """
    n, k = a.size(-2), a.size(-1)
    vs = a.tril(-1) + ember.eye(n, k, dtype=a.dtype, device=a.device)
    q = ember.eye(n, dtype=a.dtype, device=a.device).expand(*a.shape[:-2], n, n)
    for i in range(k):  # one reflection per column
        v = vs[..., :, i:i + 1]
        q = q - (q @ v) * tau[..., i:i + 1].unsqueeze(-1) @ v.mH
    return q[..., :k]


def _matrix_exp(a: Tensor) -> Tensor:
    """``exp(a)`` by scaling and squaring: a Taylor series of ``a / 2**s`` (norm <= 1/2), squared
    ``s`` times. Differentiable through the ops it is made of."""
    norm = float(a.detach().abs().sum(dim=-2).max()) if a.numel() else 0.0
    s = max(0, math.ceil(math.log2(norm / 0.5))) if norm > 0.5 else 0
    b = a / (2.0**s)
    term = ember.eye(a.size(-1), dtype=a.dtype, device=a.device).expand(*a.shape)
    result = term
    for j in range(1, 19):  # |b| <= 1/2: the remainder after 18 terms is below float64 eps
        term = term @ b / j
        result = result + term
    for _ in range(s):
        result = result @ result
    return result


def _is_orthogonal(q: Tensor) -> bool:
    n, k = q.size(-2), q.size(-1)
    eye = ember.eye(k, dtype=q.dtype, device=q.device)
    return ember.allclose(q.mH @ q, eye, atol=10.0 * n * ember.finfo(q.dtype).eps)


def _make_orthogonal(a: Tensor) -> Tensor:
    """The ``Q`` of ``a = QR`` (``a`` tall) with ``diag(R)`` non-negative."""
    x, tau = _geqrf(a)
    return _householder_product(x, tau) * x.diagonal(dim1=-2, dim2=-1).sgn().unsqueeze(-2)


class _OrthMaps(Enum):
    matrix_exp = auto()
    cayley = auto()
    householder = auto()


class _Orthogonal(Module):
    """Maps an unconstrained matrix to an orthogonal one (for ``n < k``, to its transpose's).

    ``matrix_exp``/``cayley`` use the skew-symmetric part of the lower triangle; ``householder``
    the Householder vectors below the diagonal. With ``use_trivialization`` the result is
    multiplied by the ``base`` buffer, so that assigning a weight only needs to store it there.
    """

    base: Tensor

    def __init__(self, weight: Tensor, orthogonal_map: _OrthMaps, *,
                 use_trivialization: bool = True) -> None:  # fmt: skip
        super().__init__()
        if weight.is_complex() and orthogonal_map == _OrthMaps.householder:
            raise ValueError("The householder parametrization does not support complex tensors.")
        self.shape = weight.shape
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, X: Tensor) -> Tensor:  # noqa: N803 (torch's name)
        n, k = X.size(-2), X.size(-1)
        transposed = n < k
        if transposed:
            X, n, k = X.mT, k, n
        if self.orthogonal_map in (_OrthMaps.matrix_exp, _OrthMaps.cayley):
            X = X.tril()
            if n != k:
                X = ember.cat([X, X.new_zeros(n, n - k).expand(*X.shape[:-2], -1, -1)], dim=-1)
            A = X - X.mH
            if self.orthogonal_map == _OrthMaps.matrix_exp:
                Q = _matrix_exp(A)
            else:
                eye = ember.eye(n, dtype=A.dtype, device=A.device)
                Q = ember.linalg.solve(ember.add(eye, A, alpha=-0.5), ember.add(eye, A, alpha=0.5))
            if n != k:
                Q = Q[..., :k]
        else:
            A = X.tril(diagonal=-1)
            tau = 2.0 / (1.0 + (A * A).sum(dim=-2))
            Q = _householder_product(A, tau)
            # detach: the signs are constants (ember's ``.int()`` would otherwise carry a grad).
            Q = Q * X.diagonal(dim1=-2, dim2=-1).detach().int().unsqueeze(-2)
        if hasattr(self, "base"):
            Q = self.base @ Q
        return Q.mT if transposed else Q

    def right_inverse(self, Q: Tensor) -> Tensor:  # noqa: N803 (torch's name)
        with no_grad():
            if Q.shape != self.shape:
                raise ValueError(
                    f"Expected a matrix or batch of matrices of shape {self.shape}. "
                    f"Got a tensor of shape {Q.shape}."
                )
            q_init = Q
            n, k = Q.size(-2), Q.size(-1)
            transpose = n < k
            if transpose:
                Q, n, k = Q.mT, k, n
            if not hasattr(self, "base"):
                if self.orthogonal_map in (_OrthMaps.cayley, _OrthMaps.matrix_exp):
                    raise NotImplementedError(
                        "It is not possible to assign to the matrix exponential "
                        "or the Cayley parametrizations when use_trivialization=False."
                    )
                # householder: the geqrf vectors, with the signs of R's diagonal on it.
                A, tau = _geqrf(Q.cpu())
                a = A.numpy()
                i = np.arange(min(a.shape[-2:]))
                sign = np.sign(a[..., i, i])
                sign[tau.numpy() == 0.0] *= -1
                a[..., i, i] = sign
                A = A.to(Q.device)
                return A.mT if transpose else A
            if n == k:
                Q = Q.clone() if _is_orthogonal(Q) else _make_orthogonal(Q)
            else:  # complete the columns to a square orthogonal matrix
                N = ember.randn(*(Q.size()[:-2] + (n, n - k)), dtype=Q.dtype, device=Q.device)
                Q = _make_orthogonal(ember.cat([Q, N], dim=-1))
            self.base = Q
            # forward(-I) is I (the map of a zero skew part / of these reflections), so the
            # parametrized weight becomes base[..., :k].
            eye = ember.eye(*q_init.shape[-2:], dtype=q_init.dtype, device=q_init.device)
            return -eye.expand(q_init.shape).clone()


def orthogonal(module: Module, name: str = "weight", orthogonal_map: str | None = None, *,
               use_trivialization: bool = True) -> Module:  # fmt: skip
    r"""Constrain ``module.<name>`` (a matrix or batch) to be orthogonal (or have orthonormal
    rows/columns when not square), through ``"matrix_exp"``, ``"cayley"`` or ``"householder"``
    (default: ``matrix_exp`` for square or complex matrices, else ``householder``).
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if weight.ndim < 2:
        raise ValueError(
            f"Expected a matrix or batch of matrices. Got a tensor of {weight.ndim} dimensions."
        )
    if orthogonal_map is None:
        square = weight.size(-2) == weight.size(-1)
        orthogonal_map = "matrix_exp" if square or weight.is_complex() else "householder"
    orth_enum = getattr(_OrthMaps, orthogonal_map, None)
    if orth_enum is None:
        raise ValueError(
            'orthogonal_map has to be one of "matrix_exp", "cayley", "householder". '
            f"Got: {orthogonal_map}"
        )
    orth = _Orthogonal(weight, orth_enum, use_trivialization=use_trivialization)
    parametrize.register_parametrization(module, name, orth, unsafe=True)
    return module


class _WeightNorm(Module):
    def __init__(self, dim: int | None = 0) -> None:
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g: Tensor, weight_v: Tensor) -> Tensor:
        return _weight_norm(weight_v, weight_g, self.dim)

    def right_inverse(self, weight: Tensor) -> tuple[Tensor, Tensor]:
        return _norm_except_dim(weight, self.dim), weight


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    r"""Split ``module.<name>`` into a magnitude ``original0`` (``g``) and a direction
    ``original1`` (``v``): ``weight = g * v / ||v||``, the norm over every dim but ``dim``
    (over the whole tensor if ``dim`` is ``None``).

    A state dict saved with the old ``nn.utils.weight_norm`` (``<name>_g``/``<name>_v``) still
    loads: a load pre-hook renames its keys.
    """
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)

    def _weight_norm_compat_hook(state_dict: dict[str, Any], prefix: str, *args: Any) -> None:
        g_key, v_key = f"{prefix}{name}_g", f"{prefix}{name}_v"
        if g_key in state_dict and v_key in state_dict:
            state_dict[f"{prefix}parametrizations.{name}.original0"] = state_dict.pop(g_key)
            state_dict[f"{prefix}parametrizations.{name}.original1"] = state_dict.pop(v_key)

    module._register_load_state_dict_pre_hook(_weight_norm_compat_hook)
    return module


class _SpectralNorm(Module):
    def __init__(self, weight: Tensor, n_power_iterations: int = 1, dim: int = 0,
                 eps: float = 1e-12) -> None:  # fmt: skip
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError(
                "Dimension out of range (expected to be in range of "
                f"[-{ndim}, {ndim - 1}] but got {dim})"
            )
        if n_power_iterations <= 0:
            raise ValueError(
                "Expected n_power_iterations to be positive, but "
                f"got n_power_iterations={n_power_iterations}"
            )
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:  # a vector is normalised exactly in forward: nothing to estimate
            self.n_power_iterations = n_power_iterations
            weight_mat = self._reshape_weight_to_matrix(weight)
            h, w = weight_mat.size()
            u = weight_mat.new_empty(h).normal_(0, 1)
            v = weight_mat.new_empty(w).normal_(0, 1)
            self.register_buffer("_u", F.normalize(u, dim=0, eps=self.eps))
            self.register_buffer("_v", F.normalize(v, dim=0, eps=self.eps))
            # Start from reasonable singular-vector estimates.
            self._power_method(weight_mat, 15)

    def _reshape_weight_to_matrix(self, weight: Tensor) -> Tensor:
        """``weight`` as a matrix whose rows run along ``self.dim``."""
        if self.dim != 0:
            weight = weight.permute(self.dim, *(d for d in range(weight.dim()) if d != self.dim))
        return weight.flatten(1)

    def _power_method(self, weight_mat: Tensor, n_power_iterations: int) -> None:
        """Refine the top singular vectors ``_u``/``_v`` of ``weight_mat`` in place.

        In place, so the buffers keep their identity (a replica's update reaches the original).
        """
        with no_grad():
            w = weight_mat.detach()
            for _ in range(n_power_iterations):
                self._u.copy_(F.normalize(ember.mv(w, self._v), dim=0, eps=self.eps))
                self._v.copy_(F.normalize(ember.mv(w.H, self._u), dim=0, eps=self.eps))

    def forward(self, weight: Tensor) -> Tensor:
        if weight.ndim == 1:
            return F.normalize(weight, dim=0, eps=self.eps)
        weight_mat = self._reshape_weight_to_matrix(weight)
        if self.training:
            self._power_method(weight_mat, self.n_power_iterations)
        # Clone: a later forward updates the buffers in place, and this graph must keep the
        # values it used (e.g. ``D(real) - D(fake)`` backpropagates through two forwards).
        u, v = self._u.clone(), self._v.clone()
        sigma = ember.vdot(u, ember.mv(weight_mat, v))
        return weight / sigma

    def right_inverse(self, value: Tensor) -> Tensor:
        return value


def spectral_norm(module: Module, name: str = "weight", n_power_iterations: int = 1,
                  eps: float = 1e-12, dim: int | None = None) -> Module:  # fmt: skip
    r"""Divide ``module.<name>`` by its spectral norm (largest singular value), estimated with
    ``n_power_iterations`` steps of power iteration per training-mode access.

    The singular-vector estimates live in the buffers ``parametrizations.<name>.0._u``/``_v``;
    in eval mode they are not updated. ``dim`` defaults to 1 for transposed convolutions, else 0.
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        transposed = (ConvTranspose1d, ConvTranspose2d, ConvTranspose3d)
        dim = 1 if isinstance(module, transposed) else 0
    parametrize.register_parametrization(
        module, name, _SpectralNorm(weight, n_power_iterations, dim, eps)
    )
    return module

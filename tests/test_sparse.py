"""Sparse COO tensors against torch's: construction, repr, coalesce, to_dense/to_sparse, mm + grads."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch

import ember
import ember.sparse
from ember._sparse import SparseTensor, sparse_coo_tensor, to_sparse


def _pair(indices, values, size=None, **kw):
    ours = sparse_coo_tensor(indices, values, size, **kw) if size else sparse_coo_tensor(indices, values, **kw)  # noqa: E501
    kw = {k: getattr(torch, v.name) if isinstance(v, ember.dtype) else v for k, v in kw.items()}
    ref = torch.sparse_coo_tensor(indices, values, size, check_invariants=True, **kw) if size else torch.sparse_coo_tensor(indices, values, check_invariants=True, **kw)  # noqa: E501
    return ours, ref


CASES = [
    ([[0, 1, 1], [2, 0, 2]], [3.0, 4.0, 5.0], (2, 3)),
    ([[1, 0, 1, 1], [0, 2, 0, 0]], [1.0, 2.0, 3.0, -1.0], (2, 3)),  # duplicates, unsorted
    ([[0, 2]], [[1.0, 2.0], [3.0, 4.0]], (3, 2)),  # hybrid: one sparse, one dense dim
    ([[0], [1]], [1.5], None),
    ([[0, 1]], [1, 2], None),  # int64 values
    ([[], []], [], (2, 3)),  # empty
]


@pytest.mark.parametrize(("indices", "values", "size"), CASES)
def test_construction_repr_coalesce_dense(indices, values, size):
    ours, ref = _pair(indices, values, size)
    assert repr(ours) == repr(ref) and str(ours) == str(ref)
    assert isinstance(ours, ember.Tensor) and ours.is_sparse and repr(ours.layout) == repr(ref.layout)  # noqa: E501
    assert (tuple(ours.shape), ours.dim(), ours.sparse_dim(), ours.dense_dim(), ours._nnz()) == (
        tuple(ref.shape), ref.dim(), ref.sparse_dim(), ref.dense_dim(), ref._nnz())
    assert ours.is_coalesced() == ref.is_coalesced()
    c, c_ref = ours.coalesce(), ref.coalesce()
    assert repr(c) == repr(c_ref)
    np.testing.assert_array_equal(c.indices().numpy(), c_ref.indices().numpy())
    np.testing.assert_array_equal(c.values().numpy(), c_ref.values().numpy())
    assert repr(ours.to_dense()) == repr(ref.to_dense())


def test_float64_and_requires_grad_repr():
    ours, ref = _pair([[0, 1, 1], [2, 0, 2]], [3.0, 4.0, 5.0], (2, 3), dtype=ember.float64,
                      requires_grad=True)
    assert repr(ours) == repr(ref)
    assert ours.requires_grad and ours.is_leaf


def test_uncoalesced_parts_raise_like_torch():
    ours, ref = _pair([[1, 0], [0, 2]], [1.0, 2.0], (2, 3))
    for name in ("indices", "values"):
        with pytest.raises(RuntimeError) as e:
            getattr(ours, name)()
        with pytest.raises(RuntimeError) as e_ref:
            getattr(ref, name)()
        assert str(e.value) == str(e_ref.value)
    np.testing.assert_array_equal(ours._indices().numpy(), ref._indices().numpy())
    np.testing.assert_array_equal(ours._values().numpy(), ref._values().numpy())


@pytest.mark.parametrize(("indices", "values", "size"), [
    ([[0, 5]], [1.0, 2.0], (3,)),
    ([[0, -1]], [1.0, 2.0], (3,)),
    ([[0, 1]], [1.0, 2.0, 3.0], (3,)),
    ([0, 1], [1.0, 2.0], (3,)),
    ([[0, 1]], [1.0, 2.0], (3, 2)),
])
def test_construction_errors_match_torch(indices, values, size):
    with pytest.raises(RuntimeError) as e:
        sparse_coo_tensor(indices, values, size)
    with pytest.raises(RuntimeError) as e_ref:
        torch.sparse_coo_tensor(indices, values, size, check_invariants=True)
    assert str(e.value) == str(e_ref.value)


def test_to_sparse_and_back(rng):
    a = rng.standard_normal((4, 5)).astype(np.float32)
    a[a < 0.3] = 0
    x, y = ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    s, s_ref = to_sparse(x), y.to_sparse()
    assert repr(s.detach()) == repr(s_ref.detach())
    assert s.is_coalesced() and s_ref.is_coalesced()
    w = rng.standard_normal(s._nnz()).astype(np.float32)
    (s.values() * ember.tensor(w)).sum().backward()
    (s_ref.values() * torch.tensor(w)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), y.grad.numpy())
    h = rng.standard_normal((3, 2, 2)).astype(np.float32)
    h[1] = 0
    assert repr(to_sparse(ember.tensor(h), 1)) == repr(torch.tensor(h).to_sparse(1))
    assert to_sparse(s) is s and s.to_sparse() is s


def test_to_dense_and_coalesce_gradients(rng):
    idx = [[1, 0, 1, 1], [0, 2, 0, 2]]
    v = rng.standard_normal(4).astype(np.float32)
    g = rng.standard_normal((2, 3)).astype(np.float32)
    vo, vr = ember.tensor(v, requires_grad=True), torch.tensor(v, requires_grad=True)
    so = sparse_coo_tensor(idx, vo, (2, 3))
    sr = torch.sparse_coo_tensor(idx, vr, (2, 3), check_invariants=True)
    (so.coalesce().to_dense() * ember.tensor(g)).sum().backward()
    (sr.coalesce().to_dense() * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(vo.grad.numpy(), vr.grad.numpy(), rtol=1e-6)
    assert so.coalesce().to_dense().grad_fn.name() == "ToDenseBackward0"
    vo.grad = None
    (so.to_dense() * ember.tensor(g)).sum().backward()  # uncoalesced: duplicates scatter-add
    np.testing.assert_allclose(vo.grad.numpy(), vr.grad.numpy(), rtol=1e-6)


@pytest.mark.parametrize("coalesced", [True, False])
def test_mm_values_and_gradients(rng, coalesced):
    m, k, n, nnz = 5, 4, 3, 9
    idx = np.stack([rng.integers(0, m, nnz), rng.integers(0, k, nnz)])
    v = rng.standard_normal(nnz).astype(np.float32)
    d = rng.standard_normal((k, n)).astype(np.float32)
    g = rng.standard_normal((m, n)).astype(np.float32)
    so, sr = _pair(idx, v, (m, k))
    if coalesced:
        so, sr = so.coalesce(), sr.coalesce()
    so.requires_grad_(True)
    sr.requires_grad_(True)
    do, dr = ember.tensor(d, requires_grad=True), torch.tensor(d, requires_grad=True)
    for out, out_ref in ((ember.sparse.mm(so, do), torch.sparse.mm(sr, dr)),
                         (so @ do, sr @ dr), (ember._sparse.spmm(so, do), torch.spmm(sr, dr))):
        np.testing.assert_allclose(out.detach().numpy(), out_ref.detach().numpy(), rtol=1e-5, atol=1e-6)  # noqa: E501
    out, out_ref = so @ do, torch.sparse.mm(sr, dr)
    (out * ember.tensor(g)).sum().backward()
    (out_ref * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(do.grad.numpy(), dr.grad.numpy(), rtol=1e-5, atol=1e-6)
    gs, gs_ref = so.grad.coalesce().to_dense(), sr.grad.coalesce().to_dense()
    np.testing.assert_allclose(gs.numpy(), gs_ref.numpy(), rtol=1e-5, atol=1e-6)
    assert so.grad.is_sparse
    assert sr.grad.is_sparse
    # torch's `sr @ dr` (unlike torch.sparse.mm) gives sr a dense, unmasked gradient; ember's
    # gradient is always the masked sparse one (docs/differences.md, "Long tail")
    sr.grad = None
    (sr @ dr).sum().backward()
    assert not sr.grad.is_sparse


def test_mm_vector_dense_left_and_double_backward(rng):
    idx = np.array([[0, 1, 2, 2], [1, 0, 2, 3]])
    v = rng.standard_normal(4).astype(np.float64)
    x = rng.standard_normal(4)
    left = rng.standard_normal((2, 3))
    so, sr = _pair(idx, v, (3, 4))
    np.testing.assert_allclose((so @ ember.tensor(x)).numpy(), (sr @ torch.tensor(x)).numpy())
    np.testing.assert_allclose((ember.tensor(left) @ so).numpy(), (torch.tensor(left) @ sr).numpy())  # noqa: E501
    np.testing.assert_allclose((ember.tensor(x[:3]) @ so).numpy(), (torch.tensor(x[:3]) @ sr.to_dense()).numpy())  # noqa: E501
    d = ember.tensor(rng.standard_normal((4, 2)), requires_grad=True)
    (g,) = ember.autograd.grad(((so @ d) ** 2).sum(), d, create_graph=True)
    (gg,) = ember.autograd.grad(g.sum(), d)
    dense = sr.to_dense().numpy()
    np.testing.assert_allclose(gg.numpy(), 2 * dense.T @ dense @ np.ones((4, 2)), rtol=1e-10)


def test_mm_errors():
    s = sparse_coo_tensor([[0, 1], [1, 0]], [1.0, 2.0], (2, 2))
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(2x2 and 3x1\)"):  # noqa: E501
        s @ ember.zeros(3, 1)
    with pytest.raises(RuntimeError, match="expected scalar type Float but found Double"):
        s @ ember.zeros(2, 1, dtype=ember.float64)


def test_arithmetic_sum_to_and_pickle(rng):
    so, sr = _pair([[1, 0, 1], [0, 2, 0]], [1.0, 2.0, 3.0], (2, 3))
    assert repr((so * 2).coalesce()) == repr((sr * 2).coalesce())
    assert repr((so + so).coalesce()) == repr((sr + sr).coalesce())
    assert repr(ember.ones(2, 3) + so) == repr(torch.ones(2, 3) + sr)
    with pytest.raises(RuntimeError) as e:
        so + ember.ones(2, 3)
    with pytest.raises(RuntimeError) as e_ref:
        sr + torch.ones(2, 3)
    assert str(e.value) == str(e_ref.value)
    assert so.sum().item() == sr.sum().item() == ember.sparse.sum(so).item()
    assert repr(so.double().coalesce()) == repr(sr.double().coalesce())
    assert repr(so.t().coalesce()) == repr(sr.t().coalesce())
    back = pickle.loads(pickle.dumps(so))
    assert isinstance(back, SparseTensor)
    np.testing.assert_array_equal(back.to_dense().numpy(), so.to_dense().numpy())


@pytest.mark.gpu
def test_sparse_on_cuda(rng):
    idx = np.array([[0, 1, 1, 0], [2, 0, 2, 2]])
    v = rng.standard_normal(4).astype(np.float32)
    d = rng.standard_normal((3, 2)).astype(np.float32)
    cpu = sparse_coo_tensor(idx, v, (2, 3))
    gpu = sparse_coo_tensor(idx, v, (2, 3), device="cuda")
    assert gpu.is_cuda
    assert "device='cuda:0'" in repr(gpu)
    dg = ember.tensor(d, device="cuda", requires_grad=True)
    out = gpu @ dg
    out.sum().backward()
    np.testing.assert_allclose(out.detach().cpu().numpy(), (cpu @ ember.tensor(d)).numpy(), rtol=1e-5)  # noqa: E501
    np.testing.assert_allclose(dg.grad.cpu().numpy(), cpu.to_dense().numpy().T @ np.ones((2, 2)), rtol=1e-5)  # noqa: E501
    np.testing.assert_allclose(gpu.coalesce().to_dense().cpu().numpy(), cpu.to_dense().numpy())
    assert repr(gpu.cpu().coalesce()) == repr(cpu.coalesce())

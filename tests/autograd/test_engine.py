"""Autograd engine behaviour against torch: accumulation, hooks, errors, grad modes, Function."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
import torch

import ember


def _both(fn):
    """Run ``fn(lib)`` on ember and torch; return both results."""
    return fn(ember), fn(torch)


def _err(fn):
    """The (type, message) each library raises for ``fn(lib)``."""
    out = []
    for lib in (ember, torch):
        with pytest.raises(Exception) as info:  # noqa: PT011
            fn(lib)
        out.append((type(info.value), str(info.value)))
    return out


def _norm(msg: str) -> str:
    return re.sub(r"0x[0-9a-f]+", "0x", msg)


def test_leaf_grads_accumulate_across_backward_calls():
    def run(lib):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        assert x.grad is None
        (x * x).sum().backward()
        (x * 3).sum().backward()
        return x.grad.numpy().copy()

    e, t = _both(run)
    np.testing.assert_allclose(e, t)


def test_backward_twice_needs_retain_graph():
    def run(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = (x.exp() * 2).sum()
        y.backward()
        y.backward()

    (et, em), (tt, tm) = _err(run)
    assert et is tt and em == tm


def test_retain_graph_allows_second_backward():
    def run(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = (x.exp() * 2).sum()
        y.backward(retain_graph=True)
        y.backward()
        return x.grad.numpy().copy()

    e, t = _both(run)
    np.testing.assert_allclose(e, t, rtol=1e-6)


def test_non_scalar_backward_needs_gradient():
    (et, em), (tt, tm) = _err(lambda lib: (lib.ones(2, requires_grad=True) * 2).backward())
    assert et is tt and em == tm


def test_backward_with_explicit_gradient():
    def run(lib):
        x = lib.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        y = x * x
        y.backward(lib.tensor([[1.0, 0.5], [0.25, 2.0]]))
        return x.grad.numpy().copy()

    e, t = _both(run)
    np.testing.assert_allclose(e, t)


def test_gradient_shape_mismatch_message():
    def run(lib):
        y = lib.ones(2, requires_grad=True) * 2
        y.backward(lib.ones(3))

    (et, em), (tt, tm) = _err(run)
    assert et is tt and em == tm


def test_no_grad_tensor_backward_message():
    (et, em), (tt, tm) = _err(lambda lib: lib.ones(2).sum().backward())
    assert et is tt and em == tm


def test_inplace_on_leaf_requiring_grad_message():
    (et, em), (tt, tm) = _err(lambda lib: lib.ones(2, requires_grad=True).add_(1))
    assert et is tt and em == tm


def test_modified_saved_tensor_is_detected():
    def bad(lib):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x.sigmoid()
        y.mul_(2)
        y.sum().backward()

    e, t = _both(lambda lib: _safe(bad, lib))
    assert e == t  # both fine: mul_ of a non-leaf rewires the graph

    def bad2(lib):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        h = x * 1
        y = h * h  # saves h
        h.add_(1)
        y.sum().backward()

    (et, em), (tt, tm) = _err(bad2)
    assert et is tt
    assert _norm(em) == _norm(tm)


def _safe(fn, lib):
    try:
        fn(lib)
        return "ok"
    except RuntimeError as e:
        return str(e)


def test_inplace_relu_and_residual_add_match_torch(rng):
    a = rng.standard_normal((4, 3)).astype(np.float32)
    b = rng.standard_normal((4, 3)).astype(np.float32)

    def run(lib):
        x = lib.tensor(a, requires_grad=True)
        w = lib.tensor(b, requires_grad=True)
        identity = x.relu()
        out = (x * w).relu_()
        out = out * 2  # stands in for conv + batch norm, which don't save their output
        out += identity
        out = out.relu_()
        out.sum().backward()
        return x.grad.numpy().copy(), w.grad.numpy().copy(), out.grad_fn.name()

    (ex, ew, en), (tx, tw, tn) = _both(run)
    np.testing.assert_allclose(ex, tx, rtol=1e-6)
    np.testing.assert_allclose(ew, tw, rtol=1e-6)
    assert en == tn


def test_setitem_with_autograd(rng):
    a = rng.standard_normal((3, 4)).astype(np.float32)
    v = rng.standard_normal((4,)).astype(np.float32)

    def run(lib):
        x = lib.tensor(a, requires_grad=True)
        y = lib.tensor(v, requires_grad=True)
        z = x * 2
        z[1] = y * 3
        z[:, 0] += 1
        (z * z).sum().backward()
        return x.grad.numpy().copy(), y.grad.numpy().copy()

    (ex, ey), (tx, ty) = _both(run)
    np.testing.assert_allclose(ex, tx, rtol=1e-6)
    np.testing.assert_allclose(ey, ty, rtol=1e-6)


def test_masked_assignment_like_nanogpt(rng):
    a = rng.standard_normal((2, 5)).astype(np.float32)

    def run(lib):
        logits = lib.tensor(a)
        v, _ = lib.topk(logits, 2)
        logits[logits < v[:, [-1]]] = -float("inf")
        return lib.softmax(logits, dim=-1).numpy()

    e, t = _both(run)
    np.testing.assert_allclose(e, t, rtol=1e-6)


def test_views_share_memory_and_version():
    x = ember.zeros(3, 4)
    v = x[1]
    v.fill_(2.0)
    assert x[1, 0].item() == 2.0
    assert x._version == v._version == 1
    y = x.view(12)
    y[0] = 5.0
    assert x[0, 0].item() == 5.0
    d = x.detach()
    d.add_(1)
    assert x[0, 0].item() == 6.0


def test_from_numpy_and_numpy_share_memory():
    n = np.zeros(3, dtype=np.float32)
    t = ember.from_numpy(n)
    t.add_(1)
    assert n[0] == 1.0
    t.numpy()[1] = 7
    assert t[1].item() == 7.0
    c = ember.tensor(n)
    c.add_(1)
    assert n[0] == 1.0


def test_tensor_hooks_leaf_and_nonleaf():
    def run(lib):
        calls = []
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        x.register_hook(lambda g: calls.append(("x", g.tolist())))
        y = x * 3
        y.register_hook(lambda g: g * 2)
        y.register_hook(lambda g: calls.append(("y", g.tolist())))
        h = y.register_hook(lambda g: calls.append(("removed",)))
        h.remove()
        y.retain_grad()
        y.sum().backward()
        return calls, x.grad.tolist(), y.grad.tolist()

    e, t = _both(run)
    assert e == t


def test_nonleaf_grad_access_warns():
    for lib in (ember, torch):
        y = lib.ones(2, requires_grad=True) * 2
        with pytest.warns(UserWarning, match="is not a leaf Tensor"):
            assert y.grad is None


def test_grad_modes_as_context_and_decorator():
    x = ember.ones(2, requires_grad=True)
    with ember.no_grad():
        assert not (x * 2).requires_grad
        with ember.enable_grad():
            assert (x * 2).requires_grad
    with ember.set_grad_enabled(False):
        assert not ember.is_grad_enabled()
    assert ember.is_grad_enabled()

    @ember.no_grad()
    def f(t):
        return t * 2

    assert not f(x).requires_grad

    @ember.inference_mode()
    def g(t):
        return t * 2

    assert not g(x).requires_grad
    with ember.inference_mode():
        assert ember.is_inference_mode_enabled()
    ember.set_grad_enabled(False)
    assert not ember.is_grad_enabled()
    ember.set_grad_enabled(True)


def test_autograd_grad_create_graph_gradient_penalty(rng):
    a = rng.standard_normal((3,)).astype(np.float64)

    def run(lib):
        x = lib.tensor(a, requires_grad=True)
        y = (x**3).sum() + (x.sin() * x).sum()
        (g,) = lib.autograd.grad(y, x, create_graph=True)
        penalty = (g * g).sum()
        penalty.backward()
        return g.detach().numpy().copy(), x.grad.numpy().copy()

    (eg, ex), (tg, tx) = _both(run)
    np.testing.assert_allclose(eg, tg, rtol=1e-10)
    np.testing.assert_allclose(ex, tx, rtol=1e-10)


def test_autograd_grad_unused_input():
    def run(lib):
        x = lib.ones(2, requires_grad=True)
        z = lib.ones(2, requires_grad=True)
        return lib.autograd.grad((x * 2).sum(), [x, z])

    (et, em), (tt, tm) = _err(run)
    assert et is tt and em == tm
    x = ember.ones(2, requires_grad=True)
    z = ember.ones(2, requires_grad=True)
    gx, gz = ember.autograd.grad((x * 2).sum(), [x, z], allow_unused=True)
    assert gz is None and gx.tolist() == [2.0, 2.0]
    assert x.grad is None


def test_next_functions_structure():
    def run(lib):
        x = lib.ones(2, requires_grad=True)
        y = (x * 2 + x).sum()
        fns = []
        stack = [y.grad_fn]
        while stack:
            n = stack.pop()
            fns.append(n.name())
            stack.extend(f for f, _ in n.next_functions if f is not None)
        return fns

    e, t = _both(run)
    assert e == t


def test_custom_function_matches_torch(rng):
    a = rng.standard_normal((3,)).astype(np.float32)

    def make(lib):
        class MyExp(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x, scale):
                y = x.exp() * scale
                ctx.save_for_backward(y)
                ctx.scale = scale
                return y

            @staticmethod
            def backward(ctx, grad):
                (y,) = ctx.saved_tensors
                assert ctx.needs_input_grad == (True, False)
                return grad * y, None

        x = lib.tensor(a, requires_grad=True)
        out = MyExp.apply(x, 2.0)
        out.sum().backward()
        return out.grad_fn.name(), x.grad.numpy().copy()

    (en, eg), (tn, tg) = _both(make)
    assert en == tn == "MyExpBackward"
    np.testing.assert_allclose(eg, tg, rtol=1e-6)


def test_custom_function_multiple_outputs():
    def make(lib):
        class Split(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2, x * 3

            @staticmethod
            def backward(ctx, ga, gb):
                return ga * 2 + gb * 3

        x = lib.ones(2, requires_grad=True)
        a, b = Split.apply(x)
        (a.sum() + b.sum() * 2).backward()
        return x.grad.tolist()

    e, t = _both(make)
    assert e == t


def test_requires_grad_errors():
    (et, em), (tt, tm) = _err(lambda lib: lib.ones(2, dtype=lib.int64).requires_grad_())
    assert et is tt and em == tm
    (et, em), (tt, tm) = _err(lambda lib: setattr(lib.ones(2, requires_grad=True) * 2, "requires_grad", False))  # noqa: E501
    assert et is tt and em == tm


def test_detach_and_data():
    x = ember.ones(2, requires_grad=True)
    d = x.detach()
    assert not d.requires_grad and d.grad_fn is None
    y = x * 2
    y.data.fill_(5)
    assert y.tolist() == [5.0, 5.0]
    x.data = ember.zeros(3)
    assert x.shape == (3,) and x.requires_grad


def test_warnings_none_in_plain_training_step():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        w = ember.randn(3, 2, requires_grad=True)
        x = ember.randn(4, 3)
        loss = (x @ w).relu().mean()
        loss.backward()
        with ember.no_grad():
            w -= 0.1 * w.grad
        w.grad = None


# --- leaves keep unshared gradients without a copy (torch's AccumulateGrad steals them) ---------


def test_one_grad_tensor_fed_to_two_leaves_is_not_shared():
    def run(lib):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        b = lib.tensor([3.0, 4.0], requires_grad=True)
        (a + b).sum().backward()  # add hands one gradient tensor to both inputs
        assert not np.shares_memory(a.grad.numpy(), b.grad.numpy())
        (a * 2 + b).sum().backward()
        return a.grad.numpy().copy(), b.grad.numpy().copy()

    e, t = _both(run)
    for x, y in zip(e, t):
        np.testing.assert_allclose(x, y)


def test_grad_kept_by_a_hook_is_not_taken_over():
    def run(lib):
        seen = []
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x + 0  # add's backward passes its incoming gradient through to x
        y.register_hook(lambda g: seen.append(g))
        y.sum().backward()
        (x * 3).sum().backward()  # accumulates into x.grad in place
        return seen[0].numpy().copy(), x.grad.numpy().copy()

    e, t = _both(run)
    for x, y in zip(e, t):
        np.testing.assert_allclose(x, y)


def test_root_grad_given_to_backward_is_copied():
    def run(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        g = lib.tensor([1.0, 1.0])
        x.backward(g)
        (x + 0).backward(g)
        return g.numpy().copy(), x.grad.numpy().copy()

    e, t = _both(run)
    for x, y in zip(e, t):
        np.testing.assert_allclose(x, y)


def test_linear_grads_dense_and_accumulating(rng):
    x = rng.standard_normal((5, 3)).astype(np.float32)
    w, b = rng.standard_normal((4, 3)).astype(np.float32), rng.standard_normal(4).astype(np.float32)
    res = []
    for lib in (torch, ember):
        lin = lib.nn.Linear(3, 4)
        with lib.no_grad():
            lin.weight.copy_(lib.tensor(w))
            lin.bias.copy_(lib.tensor(b))
        lin(lib.tensor(x)).pow(2).sum().backward()
        first = lin.weight.grad
        assert lin.weight.grad.is_contiguous()
        lin(lib.tensor(x)).sum().backward()
        assert lin.weight.grad is first  # accumulated in place
        res.append((lin.weight.grad.numpy(), lin.bias.grad.numpy()))
    for e, t in zip(res[1], res[0]):
        np.testing.assert_allclose(e, t, rtol=1e-5, atol=1e-5)


def test_retain_graph_backward_twice_with_unshared_grads(rng):
    x = rng.standard_normal((3, 4))
    res = []
    for lib in (torch, ember):
        xt = lib.tensor(x, requires_grad=True)
        y = (xt.exp() * 2).sum()
        y.backward(retain_graph=True)
        y.backward()
        res.append(xt.grad.numpy())
    np.testing.assert_allclose(res[1], res[0], rtol=1e-12)


def test_unshared_sees_every_other_reference():
    from ember.autograd.engine import _unshared

    if not hasattr(__import__("sys"), "getrefcount"):
        pytest.skip("reference counts are CPython's")
    assert _unshared([ember.ones(3)])
    assert _unshared([ember.ones(4)[:2]])  # a view whose base nothing else holds
    assert not _unshared([ember.ones(4)[::2]])  # not dense
    assert not _unshared([ember.ones(3).expand(2, 3)])  # a broadcast
    t = ember.ones(3)
    assert not _unshared([t])  # the tensor is held here too
    a = np.ones(3)
    assert not _unshared([ember.from_numpy(a)])  # its memory is held here too
    base = ember.ones(4)
    assert not _unshared([base[:2]])  # another view's base is held here


def test_a_gradient_of_another_dtype_is_cast_to_the_output_dtype():
    grads = []
    for lib in (torch, ember):
        w = lib.ones(3, 2, requires_grad=True)
        y = lib.matmul(lib.ones(5, 4, 3), w.expand(5, 3, 2))
        y.backward(lib.ones(*y.shape, dtype=lib.float64))
        assert w.grad.dtype == lib.float32
        grads.append(w.grad.numpy())
    np.testing.assert_array_equal(grads[1], grads[0])

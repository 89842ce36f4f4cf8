"""``import ember`` stays lean: heavy modules load on first use, and still work when they do."""

from __future__ import annotations

import subprocess
import sys

import pytest


def _run(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.strip()  # fmt: skip


def test_import_leaves_heavy_modules_unloaded() -> None:
    out = _run(
        "import sys, ember\n"
        "lazy = ['numpy.random', 'ember._ops.activation', 'ember._tensor_str', 'ember.nn',\n"
        "        'ember._ops.linalg', 'ember._ops.reduction', 'ember.return_types',\n"
        "        'ember._threads', 'concurrent.futures']\n"
        "print([m for m in lazy if m in sys.modules])"
    )
    assert out == "[]"


def test_lazy_names_resolve() -> None:
    out = _run(
        "import ember, ember.nn\n"
        "x = ember.tensor([1.0, 2.0])\n"
        "a = x.softmax(0); b = ember.softmax(x, 0); c = x.log_softmax(0)\n"
        "assert ember.Tensor.softmax is ember.softmax\n"
        "assert ember.nn.Linear and ember.optim.SGD and ember.get_printoptions()\n"
        "ember.manual_seed(0); r1 = ember.rand(3).tolist()\n"
        "ember.manual_seed(0); r2 = ember.rand(3).tolist()\n"
        "print(r1 == r2, a.tolist() == b.tolist(), round(c.exp().sum().item(), 5))"
    )
    assert out == "True True 1.0"


def test_isinstance_tensor_on_non_tensors() -> None:
    import ember

    assert not isinstance(0.5, ember.Tensor)
    assert isinstance(ember.nn.Parameter(ember.zeros(2)), ember.Tensor)
    assert isinstance(ember.zeros(2), ember.FloatTensor)
    assert not isinstance(ember.zeros(2, dtype=ember.int64), ember.FloatTensor)


def test_lazy_names_cover_the_modules_all() -> None:
    import ember
    from ember._ops import linalg, reduction
    from ember._tensor_methods import _LAZY

    assert set(linalg.__all__) <= set(ember._LAZY_ATTRS)
    assert set(reduction.__all__) <= set(ember._LAZY_ATTRS)
    assert ember.ones(3).sum().item() == 3.0
    for n in _LAZY["reduction"]:
        assert getattr(ember.Tensor, n) is getattr(reduction, n)
    a = ember.ones(2, 2)
    assert (a @ a).sum().item() == 8.0
    for n in _LAZY["linalg"]:  # the first call put the real functions on Tensor
        assert getattr(ember.Tensor, n) is getattr(linalg, n.strip("_"))


def test_missing_torch_subpackage_is_an_attribute_error() -> None:
    import ember

    assert not hasattr(ember, "jit")
    with pytest.raises(AttributeError, match="torch.jit is not implemented in ember"):
        ember.jit  # noqa: B018

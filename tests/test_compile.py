"""ember.compile against torch.compile: the wrapper, its keys, repr, forwarding (run eagerly).

Importing torch._dynamo takes ~10 s and warns, so torch's side is written out here as recorded
from torch 2.13 (``torch.compile(model)`` on the same Sequential).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember
from ember._compile import OptimizedModule
from ember._compile import compile as ember_compile


def _pair():
    ref = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))
    ours = ember.nn.Sequential(ember.nn.Linear(4, 3), ember.nn.ReLU(), ember.nn.Linear(3, 2))
    ours.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in ref.state_dict().items()})  # noqa: E501
    return ours, ref


TORCH_REPR = """OptimizedModule(
  (_orig_mod): Sequential(
    (0): Linear(in_features=4, out_features=3, bias=True)
    (1): ReLU()
    (2): Linear(in_features=3, out_features=2, bias=True)
  )
)"""


def test_module_wrapper_matches_torch(rng):
    ours, ref = _pair()
    c = ember_compile(ours)
    assert type(c).__name__ == "OptimizedModule"
    assert isinstance(c, ember.nn.Module)
    assert isinstance(c, OptimizedModule)
    assert repr(c) == TORCH_REPR
    keys = ["_orig_mod." + k for k in ref.state_dict()]
    assert list(c.state_dict()) == keys
    assert [n for n, _ in c.named_parameters()] == keys
    assert [n for n, _ in c.named_modules()] == ["", "_orig_mod", "_orig_mod.0", "_orig_mod.1", "_orig_mod.2"]  # noqa: E501
    assert c._orig_mod is ours
    assert len(c) == 3
    with pytest.raises(TypeError, match="'OptimizedModule' object is not subscriptable"):
        c[0]
    x = rng.standard_normal((5, 4)).astype(np.float32)
    np.testing.assert_allclose(c(ember.tensor(x)).detach().numpy(),
                               ours(ember.tensor(x)).detach().numpy())
    # a compiled model's checkpoint loads into the compiled wrapper, and stripped into the model
    sd = {k: v.clone() for k, v in c.state_dict().items()}
    c.load_state_dict(sd)
    ours.load_state_dict({k.removeprefix("_orig_mod."): v for k, v in sd.items()})


def test_attributes_and_training_forward_to_the_model():
    ours, _ = _pair()
    c = ember_compile(ours)
    c.eval()
    assert ours.training is False and c.training is False
    c.train()
    assert ours.training is True
    c.custom = 3
    assert ours.custom == 3 and c.custom == 3
    del c.custom
    assert not hasattr(ours, "custom")
    assert "custom_fn" not in dir(c) and "_orig_mod" in dir(c)


def test_functions_decorators_and_options():
    def f(x):
        """Doc."""
        return x * 2

    cf = ember_compile(f)
    assert cf.__name__ == "f"
    assert cf.__doc__ == "Doc."
    assert cf(ember.tensor(3.0)).item() == 6.0

    @ember_compile(mode="max-autotune", fullgraph=True)
    def g(x):
        return x + 1

    assert g(ember.tensor(1.0)).item() == 2.0
    assert ember_compile(f, disable=True) is f
    assert ember_compile(f, mode="fast") is not f  # torch checks the mode on the first call
    with pytest.raises(RuntimeError, match="^Either mode or options can be specified, but both can't be specified at the same time.$"):  # noqa: E501
        ember_compile(f, mode="default", options={})


def test_lazy_attr_name():
    if hasattr(ember, "compile"):  # once the lead wires it
        assert ember.compile is ember_compile


def test_module_compile_in_place(rng):
    ours, ref = _pair()
    assert ours.compile() is None
    assert ours._compiled_call_impl is not None  # torch: set to the compiled _call_impl
    assert list(ours.state_dict()) == list(ref.state_dict())  # no prefix, unlike compile(model)
    x = rng.standard_normal((2, 4)).astype(np.float32)
    np.testing.assert_allclose(ours(ember.tensor(x)).detach().numpy(),
                               ref(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)
    seen = []
    ours.register_forward_hook(lambda m, i, o: seen.append(o.shape))
    ours(ember.tensor(x))
    assert seen == [ember.Size([2, 2])]

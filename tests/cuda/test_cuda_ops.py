"""GPU tests: every op of the op table on CUDA against torch on CUDA, training steps, moves.

Marked ``gpu``: skipped with a reason where no GPU (or no CuPy) is present.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch

import ember
from tests._ops.op_db import OPS, OpInfo
from tests._ops.test_op_db import _inputs

pytestmark = pytest.mark.gpu


def _to(x):
    return x.detach().cpu().numpy()


@pytest.mark.parametrize("op", OPS, ids=lambda o: o.name)
def test_op_on_cuda_matches_torch_cuda(op: OpInfo, rng):
    arrays = _inputs(op, rng, np.float32)
    ints = dict(op.int_inputs)
    e_in = [ember.tensor(a, device="cuda", requires_grad=op.grad and i not in ints) for i, a in enumerate(arrays)]  # noqa: E501
    t_in = [torch.tensor(a, device="cuda", requires_grad=op.grad and i not in ints) for i, a in enumerate(arrays)]  # noqa: E501
    e_out, t_out = op.fn(ember, *e_in), op.fn(torch, *t_in)
    assert e_out.device == ember.device("cuda:0")
    np.testing.assert_allclose(_to(e_out), _to(t_out), rtol=1e-4, atol=1e-5)
    if op.grad:
        e_out.sum().backward()
        t_out.sum().backward()
        for e, t in zip(e_in, t_in):
            if t.grad is not None:
                assert e.grad.device == ember.device("cuda:0")
                np.testing.assert_allclose(_to(e.grad), _to(t.grad), rtol=1e-4, atol=1e-5)


def test_mixing_devices_raises_torch_error():
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        ember.ones(2, device="cuda") + ember.ones(2)


def test_numpy_of_cuda_tensor_raises():
    with pytest.raises(TypeError, match="can't convert cuda:0 device type tensor to numpy"):
        ember.ones(2, device="cuda").numpy()


def test_module_cuda_keeps_parameter_identity_and_optimizer_works():
    m = ember.nn.Linear(3, 2)
    w = m.weight
    opt = ember.optim.SGD(m.parameters(), lr=0.1)
    m.cuda()
    assert m.weight is w and m.weight.is_cuda
    loss = m(ember.randn(4, 3, device="cuda")).pow(2).sum()
    loss.backward()
    opt.step()
    assert m.weight.grad.is_cuda


def test_save_on_gpu_load_on_cpu():
    sd = {"w": ember.randn(3, 3, device="cuda")}
    buf = io.BytesIO()
    ember.save(sd, buf)
    buf.seek(0)
    loaded = ember.load(buf, map_location="cpu")
    assert loaded["w"].device.type == "cpu"
    np.testing.assert_allclose(loaded["w"].numpy(), sd["w"].cpu().numpy())


def _seed_step(lib, device, x, y, state):
    nn, F = lib.nn, lib.nn.functional
    model = nn.Sequential(nn.Conv2d(1, 20, 5), nn.ReLU(), nn.Conv2d(20, 20, 5), nn.ReLU(), nn.Flatten(), nn.Linear(20 * 20 * 20, 10))  # noqa: E501
    model.load_state_dict({k: lib.tensor(v) for k, v in state.items()})
    model.to(device)
    opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    for _ in range(2):
        opt.zero_grad()
        loss = F.cross_entropy(model(lib.tensor(x, device=device)), lib.tensor(y, device=device))
        loss.backward()
        opt.step()
    return {k: v.detach().cpu().numpy() for k, v in model.state_dict().items()}


def test_seed_model_training_step_on_gpu_matches_cpu(rng):
    ref = torch.nn.Sequential(torch.nn.Conv2d(1, 20, 5), torch.nn.ReLU(), torch.nn.Conv2d(20, 20, 5), torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.Linear(8000, 10))  # noqa: E501
    state = {k: v.numpy() for k, v in ref.state_dict().items()}
    x = rng.standard_normal((8, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, 8)
    gpu = _seed_step(ember, "cuda", x, y, state)
    cpu = _seed_step(ember, "cpu", x, y, state)
    for k in cpu:
        np.testing.assert_allclose(gpu[k], cpu[k], rtol=1e-3, atol=1e-4)

"""ember.distributed (one process), DataParallel/DDP wrappers and ember.onnx, against torch."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.distributed as tdist

import ember
import ember.distributed as dist
import ember.onnx
from ember.nn.parallel import DataParallel, DistributedDataParallel, data_parallel


@pytest.fixture
def group():
    dist.init_process_group("gloo", rank=0, world_size=1)
    yield
    if dist.is_initialized():
        dist.destroy_process_group()


def _msg(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001
        return type(e), str(e)
    return None


def test_uninitialized_matches_torch():
    assert dist.is_available() is tdist.is_available() is True
    assert dist.is_initialized() is tdist.is_initialized() is False
    for name in ("get_rank", "get_world_size", "barrier", "destroy_process_group"):
        assert _msg(getattr(dist, name)) == _msg(getattr(tdist, name)), name
    assert _msg(lambda: dist.all_reduce(ember.ones(1))) == _msg(lambda: tdist.all_reduce(torch.ones(1)))  # noqa: E501
    assert _msg(lambda: DistributedDataParallel(ember.nn.Linear(2, 2))) == _msg(
        lambda: torch.nn.parallel.DistributedDataParallel(torch.nn.Linear(2, 2)))
    assert _msg(lambda: dist.init_process_group("gloo")) == _msg(lambda: tdist.init_process_group("gloo"))  # noqa: E501


def test_single_process_group(group, tmp_path):
    assert dist.is_initialized()
    assert (dist.get_rank(), dist.get_world_size(), dist.get_backend()) == (0, 1, "gloo")
    t = ember.tensor([1.0, 2.0])
    assert dist.all_reduce(t) is None
    assert dist.all_reduce(t, op=dist.ReduceOp.MAX, async_op=True).wait()
    assert t.tolist() == [1.0, 2.0]
    assert dist.barrier() is None and dist.broadcast(t, src=0) is None
    out = [ember.zeros(2)]
    dist.all_gather(out, t)
    assert out[0].tolist() == [1.0, 2.0]
    objs = [None]
    dist.all_gather_object(objs, {"a": 1})
    assert objs == [{"a": 1}]
    assert repr(dist.ReduceOp.SUM) == repr(tdist.ReduceOp.SUM) == "<RedOpType.SUM: 0>"
    with pytest.raises(ValueError, match="^trying to initialize the default process group twice!$"):  # noqa: E501
        dist.init_process_group("gloo", rank=0, world_size=1)
    dist.destroy_process_group()
    assert not dist.is_initialized()
    dist.init_process_group("nccl", world_size=1, rank=0)  # a single process: a no-op group
    assert dist.get_backend() == "nccl"


@pytest.mark.parametrize(("kw", "needle"), [
    ({"backend": "mpi", "rank": 0, "world_size": 1}, "backend 'mpi'"),
    ({"backend": "gloo", "rank": 0, "world_size": 2}, "world_size=2"),
    ({"backend": "gloo", "rank": 1, "world_size": 1}, "rank=1"),
])
def test_unsupported_groups_name_the_cause(kw, needle):
    with pytest.raises(NotImplementedError, match=needle):
        dist.init_process_group(**kw)
    assert not dist.is_initialized()


def test_env_rendezvous(monkeypatch):
    monkeypatch.setenv("RANK", "0")
    monkeypatch.setenv("WORLD_SIZE", "1")
    dist.init_process_group(backend="gloo")
    assert dist.get_world_size() == 1
    dist.destroy_process_group()


def _torch_group(tmp_path):
    tdist.init_process_group("gloo", init_method=f"file://{tmp_path}/pg", rank=0, world_size=1)


def test_ddp_matches_torch(group, tmp_path, rng):
    torch.manual_seed(0)  # the weights must not depend on which tests ran before in this process
    ref = torch.nn.Linear(3, 2)
    ours = ember.nn.Linear(3, 2)
    ours.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in ref.state_dict().items()})  # noqa: E501
    _torch_group(tmp_path)
    try:
        d_ref = torch.nn.parallel.DistributedDataParallel(ref)
        d = DistributedDataParallel(ours)
        assert repr(d) == repr(d_ref)
        assert list(d.state_dict()) == list(d_ref.state_dict())
        assert d.module is ours
        x = rng.standard_normal((4, 3)).astype(np.float32)
        y, y_ref = d(ember.tensor(x)), d_ref(torch.tensor(x))
        y.sum().backward()
        y_ref.sum().backward()
        np.testing.assert_allclose(y.detach().numpy(), y_ref.detach().numpy(), rtol=1e-6)
        np.testing.assert_allclose(ours.weight.grad.numpy(), ref.weight.grad.numpy(), rtol=1e-6)
        with d.no_sync():
            assert d.require_backward_grad_sync is False
        assert d.require_backward_grad_sync is True
    finally:
        tdist.destroy_process_group()


def test_data_parallel_matches_torch(rng):
    ref = torch.nn.Linear(3, 2)
    ours = ember.nn.Linear(3, 2)
    ours.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in ref.state_dict().items()})  # noqa: E501
    dp, dp_ref = DataParallel(ours), torch.nn.DataParallel(ref)
    assert repr(dp) == repr(dp_ref)
    assert list(dp.state_dict()) == list(dp_ref.state_dict())
    assert dp.module is ours
    if not ember.cuda.is_available():
        assert dp.device_ids == dp_ref.device_ids == []
    x = rng.standard_normal((4, 3)).astype(np.float32)
    np.testing.assert_allclose(dp(ember.tensor(x)).detach().numpy(), dp_ref(torch.tensor(x)).detach().numpy(), rtol=1e-6)  # noqa: E501
    np.testing.assert_allclose(data_parallel(ours, ember.tensor(x)).detach().numpy(),
                               dp_ref(torch.tensor(x)).detach().numpy(), rtol=1e-6)
    if hasattr(ember.nn, "DataParallel"):  # once the lead exports it
        assert ember.nn.DataParallel is DataParallel


def test_onnx_export_explains():
    with pytest.raises(NotImplementedError, match="ember.onnx.export is not supported"):
        ember.onnx.export(ember.nn.Linear(2, 2), (ember.zeros(1, 2),), "m.onnx")
    assert ember.onnx.is_in_onnx_export() is False

"""``ember.distributed``: a single-process stand-in for ``torch.distributed``.

ember runs in one process. ``init_process_group`` accepts the ``gloo`` and ``nccl`` backends with
``world_size=1`` and makes a group of one, so that scripts written for ``torchrun`` also run as a
plain ``python train.py``: every collective is then the identity, as it is in torch for one rank.
Anything that needs a second process raises ``NotImplementedError`` naming what was asked.
"""

from __future__ import annotations

import datetime
import enum
import os
from typing import Any

__all__ = ["is_available", "is_initialized", "is_nccl_available", "is_gloo_available",
           "is_mpi_available", "is_torchelastic_launched", "init_process_group",
           "destroy_process_group", "get_rank", "get_world_size", "get_backend", "barrier",
           "all_reduce", "all_gather", "all_gather_into_tensor", "all_gather_object",
           "broadcast", "broadcast_object_list", "reduce", "reduce_scatter_tensor", "gather",
           "scatter", "new_group", "monitored_barrier", "ReduceOp", "Backend", "GroupMember",
           "ProcessGroup", "Work"]  # fmt: skip

_NOT_INIT = "Default process group has not been initialized, please make sure to call init_process_group."  # noqa: E501
_BACKENDS = ("gloo", "nccl", "cpu:gloo,cuda:nccl")


class RedOpType(enum.Enum):
    SUM = 0
    AVG = 1
    PRODUCT = 2
    MIN = 3
    MAX = 4
    BAND = 5
    BOR = 6
    BXOR = 7
    PREMUL_SUM = 8


class ReduceOp:
    r"""Reduction operations for collectives (``ReduceOp.SUM``, ...)."""

    RedOpType = RedOpType
    SUM = RedOpType.SUM
    AVG = RedOpType.AVG
    PRODUCT = RedOpType.PRODUCT
    MIN = RedOpType.MIN
    MAX = RedOpType.MAX
    BAND = RedOpType.BAND
    BOR = RedOpType.BOR
    BXOR = RedOpType.BXOR
    PREMUL_SUM = RedOpType.PREMUL_SUM


class Backend(str):
    r"""Backend names: ``Backend.GLOO``, ``Backend.NCCL``."""

    GLOO = "gloo"
    NCCL = "nccl"
    MPI = "mpi"
    UNDEFINED = "undefined"

    def __new__(cls, name: str) -> Backend:
        return str.__new__(cls, name.lower())


class ProcessGroup:
    r"""A group of processes; in ember always the one current process."""

    def __init__(self, backend: str) -> None:
        self._backend = backend

    def rank(self) -> int:
        return 0

    def size(self) -> int:
        return 1

    def name(self) -> str:
        return self._backend


class GroupMember:
    WORLD: ProcessGroup | None = None
    NON_GROUP_MEMBER = -100


class Work:
    r"""Handle of an asynchronous collective (already complete in a group of one)."""

    def wait(self, timeout: Any = None) -> bool:
        return True

    def is_completed(self) -> bool:
        return True

    def is_success(self) -> bool:
        return True


def is_available() -> bool:
    r"""Whether the distributed package is available (it is, for one process)."""
    return True


def is_initialized() -> bool:
    r"""Whether ``init_process_group`` has run (and ``destroy_process_group`` has not)."""
    return GroupMember.WORLD is not None


def is_nccl_available() -> bool:
    return False


def is_gloo_available() -> bool:
    return True


def is_mpi_available() -> bool:
    return False


def is_torchelastic_launched() -> bool:
    r"""Whether the process was started by ``torchrun`` (its environment says so)."""
    return os.getenv("TORCHELASTIC_RUN_ID") is not None


def _from_env(value: int, name: str) -> int:
    if value != -1:
        return value
    if name not in os.environ:
        raise ValueError(f"Error initializing torch.distributed using env:// rendezvous: environment variable {name} expected, but not set")  # noqa: E501
    return int(os.environ[name])


def init_process_group(backend: str | None = None, init_method: str | None = None,
                       timeout: datetime.timedelta | None = None, world_size: int = -1,
                       rank: int = -1, store: Any = None, group_name: str = "",
                       pg_options: Any = None, device_id: Any = None) -> None:  # fmt: skip
    r"""Start the default group: ``gloo``/``nccl`` with ``world_size=1`` (one process) only."""
    if GroupMember.WORLD is not None:
        raise ValueError("trying to initialize the default process group twice!")
    name = "gloo" if backend is None else str(backend).lower()
    if name not in _BACKENDS:
        raise NotImplementedError(f"ember.distributed: backend '{backend}' is not supported; ember runs a single process with the 'gloo' or 'nccl' backend")  # noqa: E501
    if store is None and (init_method is None or init_method.startswith("env://")):
        rank = _from_env(rank, "RANK")  # torch: RANK is checked first
        world_size = _from_env(world_size, "WORLD_SIZE")
    world_size = 1 if world_size == -1 else world_size
    if world_size != 1 or rank not in (-1, 0):
        raise NotImplementedError(f"ember.distributed: only a single process is supported (world_size=1, rank=0); got world_size={world_size}, rank={rank}")  # noqa: E501
    GroupMember.WORLD = ProcessGroup(name)


def destroy_process_group(group: ProcessGroup | None = None) -> None:
    r"""End the default group."""
    if GroupMember.WORLD is None:
        raise AssertionError("Process group cannot be None")
    GroupMember.WORLD = None


def _world() -> ProcessGroup:
    if GroupMember.WORLD is None:
        raise ValueError(_NOT_INIT)
    return GroupMember.WORLD


def get_rank(group: ProcessGroup | None = None) -> int:
    r"""This process's rank: 0."""
    _world()
    return 0


def get_world_size(group: ProcessGroup | None = None) -> int:
    r"""Number of processes in the group: 1."""
    _world()
    return 1


def get_backend(group: ProcessGroup | None = None) -> str:
    r"""The default group's backend name."""
    return (group or _world()).name()


def new_group(ranks: Any = None, timeout: Any = None, backend: Any = None, pg_options: Any = None,
              **kwargs: Any) -> ProcessGroup:  # fmt: skip
    r"""A sub-group; in a group of one, the group itself."""
    return _world()


def _done(async_op: bool) -> Work | None:
    return Work() if async_op else None


def barrier(group: ProcessGroup | None = None, async_op: bool = False, device_ids: Any = None) -> Work | None:  # noqa: E501
    r"""Wait for every process (there is one)."""
    _world()
    return _done(async_op)


def monitored_barrier(group: ProcessGroup | None = None, timeout: Any = None, wait_all_ranks: bool = False) -> None:  # noqa: E501
    _world()


def all_reduce(tensor: Any, op: Any = ReduceOp.SUM, group: ProcessGroup | None = None, async_op: bool = False) -> Work | None:  # noqa: E501
    r"""Reduce ``tensor`` over all processes in place: with one process, it is unchanged."""
    _world()
    return _done(async_op)


def reduce(tensor: Any, dst: int = 0, op: Any = ReduceOp.SUM, group: ProcessGroup | None = None,
           async_op: bool = False, group_dst: int | None = None) -> Work | None:  # fmt: skip
    _world()
    return _done(async_op)


def broadcast(tensor: Any, src: int = 0, group: ProcessGroup | None = None, async_op: bool = False,
              group_src: int | None = None) -> Work | None:  # fmt: skip
    r"""Send ``tensor`` from ``src`` to every process: with one process, nothing moves."""
    _world()
    return _done(async_op)


def broadcast_object_list(object_list: list[Any], src: int = 0, group: ProcessGroup | None = None,
                          device: Any = None, group_src: int | None = None) -> None:  # fmt: skip
    _world()


def all_gather(tensor_list: list[Any], tensor: Any, group: ProcessGroup | None = None, async_op: bool = False) -> Work | None:  # noqa: E501
    r"""Gather ``tensor`` from every process into ``tensor_list`` (of length 1)."""
    _world()
    _one(tensor_list, "tensor_list")[0].copy_(tensor)
    return _done(async_op)


def all_gather_into_tensor(output_tensor: Any, input_tensor: Any, group: ProcessGroup | None = None,
                           async_op: bool = False) -> Work | None:  # fmt: skip
    _world()
    output_tensor.copy_(input_tensor.reshape(output_tensor.shape))
    return _done(async_op)


def all_gather_object(object_list: list[Any], obj: Any, group: ProcessGroup | None = None) -> None:
    _world()
    _one(object_list, "object_list")[0] = obj


def gather(tensor: Any, gather_list: list[Any] | None = None, dst: int = 0,
           group: ProcessGroup | None = None, async_op: bool = False,
           group_dst: int | None = None) -> Work | None:  # fmt: skip
    _world()
    if gather_list is not None:
        _one(gather_list, "gather_list")[0].copy_(tensor)
    return _done(async_op)


def scatter(tensor: Any, scatter_list: list[Any] | None = None, src: int = 0,
            group: ProcessGroup | None = None, async_op: bool = False,
            group_src: int | None = None) -> Work | None:  # fmt: skip
    _world()
    if scatter_list is not None:
        tensor.copy_(_one(scatter_list, "scatter_list")[0])
    return _done(async_op)


def reduce_scatter_tensor(output: Any, input: Any, op: Any = ReduceOp.SUM,
                          group: ProcessGroup | None = None, async_op: bool = False) -> Work | None:  # fmt: skip
    _world()
    output.copy_(input.reshape(output.shape))
    return _done(async_op)


def _one(lst: list[Any], name: str) -> list[Any]:
    if len(lst) != 1:
        raise ValueError(f"{name} must have world_size (1) entries, got {len(lst)}")
    return lst

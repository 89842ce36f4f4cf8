"""``DistributedDataParallel`` for a group of one process: a pass-through wrapper."""

from __future__ import annotations

import contextlib
from typing import Any, Iterator

from ..modules.module import Module

__all__ = ["DistributedDataParallel"]


class DistributedDataParallel(Module):
    r"""Wrap ``module`` for data-parallel training; ember runs one process, so it only forwards.

    As in torch, the wrapped model is ``ddp.module`` and the state_dict keys carry a ``module.``
    prefix. A default process group must exist (:func:`ember.distributed.init_process_group`).
    """

    def __init__(self, module: Module, device_ids: Any = None, output_device: Any = None,
                 dim: int = 0, broadcast_buffers: bool = True, init_sync: bool = True,
                 process_group: Any = None, bucket_cap_mb: Any = None,
                 find_unused_parameters: bool = False, check_reduction: bool = False,
                 gradient_as_bucket_view: bool = False, static_graph: bool = False,
                 delay_all_reduce_named_params: Any = None, param_to_hook_all_reduce: Any = None,
                 mixed_precision: Any = None, device_mesh: Any = None,
                 skip_all_reduce_unused_params: bool = False) -> None:  # fmt: skip
        from ... import distributed  # noqa: PLC0415

        super().__init__()
        self.process_group = process_group if process_group is not None else distributed._world()
        self.module = module
        self.device_ids = device_ids
        self.output_device = output_device
        self.dim = dim
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.gradient_as_bucket_view = gradient_as_bucket_view
        self.static_graph = static_graph
        self.require_backward_grad_sync = True
        self.require_forward_param_sync = True

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        return self.module(*inputs, **kwargs)

    @contextlib.contextmanager
    def no_sync(self) -> Iterator[None]:
        r"""Skip gradient synchronisation in the body (there is none to skip with one process)."""
        old = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = old

    def join(self, *args: Any, **kwargs: Any) -> Any:
        return contextlib.nullcontext()

    def register_comm_hook(self, state: Any, hook: Any) -> None:
        r"""Accepted for compatibility: with one process no gradient is communicated."""

    def _set_static_graph(self) -> None:
        self.static_graph = True

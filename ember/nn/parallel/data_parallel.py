"""``DataParallel`` / ``data_parallel`` on one device: the wrapped module runs as is."""

from __future__ import annotations

from typing import Any

from ..modules.module import Module

__all__ = ["DataParallel", "data_parallel"]


class DataParallel(Module):
    r"""Wrap ``module`` to split batches over GPUs; ember uses one device, so it only forwards.

    ``dp.module`` is the wrapped model and state_dict keys carry the ``module.`` prefix, as in
    torch.
    """

    def __init__(self, module: Module, device_ids: Any = None, output_device: Any = None,
                 dim: int = 0) -> None:  # fmt: skip
        super().__init__()
        self.module = module
        self.dim = dim
        from ... import cuda  # noqa: PLC0415

        if not cuda.is_available():
            self.device_ids: list[Any] = []
            return
        self.device_ids = list(device_ids) if device_ids is not None else [cuda.current_device()]
        self.output_device = output_device if output_device is not None else self.device_ids[0]

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        return self.module(*inputs, **kwargs)


def data_parallel(module: Module, inputs: Any, device_ids: Any = None, output_device: Any = None,
                  dim: int = 0, module_kwargs: Any = None) -> Any:  # fmt: skip
    r"""Evaluate ``module(*inputs)`` (on one device: directly)."""
    if not isinstance(inputs, tuple):
        inputs = (inputs,) if inputs is not None else ()
    return module(*inputs, **(module_kwargs or {}))

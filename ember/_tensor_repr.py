"""``repr(tensor)``: gathers the suffixes (grad_fn, requires_grad, device) for ``_tensor_str``."""

from __future__ import annotations

from typing import Any

import numpy as np


def tensor_repr(t: Any, prefix: str = "tensor(") -> str:
    """torch's repr of ``t``."""
    from ._dtype import get_default_dtype  # noqa: PLC0415
    from ._tensor_str import format_tensor  # noqa: PLC0415

    suffixes = []
    if t.is_cuda:
        suffixes.append(f"device='{t.device}'")
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t._rg:
        suffixes.append("requires_grad=True")
    a = t._array if type(t._array) is np.ndarray else t._array.get()
    name = t.dtype.name
    if name == "bfloat16":
        a = a.astype(np.float32)
    return format_tensor(a, suffixes, dtype_name=name, default_dtype=get_default_dtype().name)

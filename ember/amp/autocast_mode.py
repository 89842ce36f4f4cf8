"""``autocast``: run matmul/linear/conv in float16/bfloat16 inside a region, as torch's AMP does.

The state lives in one module-level table that the ops read: :func:`autocast_dtype_for` answers
"should an op on this device cast its float inputs, and to what?" in one dict lookup.

On the CPU ember does not cast (NumPy has no bfloat16 arithmetic): ``autocast("cpu")`` records
its state like torch's, so ``is_autocast_enabled("cpu")`` answers the same, but ops compute in
their input dtype. See docs/differences.md, "Long tail".
"""

from __future__ import annotations

import functools
import warnings
from typing import Any, Callable

from ember import _dtype as D

__all__ = ["autocast", "is_autocast_available", "is_autocast_enabled", "get_autocast_dtype",
           "set_autocast_enabled", "set_autocast_dtype", "autocast_dtype_for", "autocast_inputs", "custom_fwd",
           "custom_bwd"]  # fmt: skip

_DEVICE_TYPES = ("cuda", "cpu", "mtia", "maia", "xpu", "hpu", "mps")
# device type -> [enabled, dtype]; torch's defaults: float16 on CUDA, bfloat16 on the CPU.
_state: dict[str, list[Any]] = {
    "cuda": [False, D.float16],
    "cpu": [False, D.bfloat16],
    "xpu": [False, D.bfloat16],
    "mps": [False, D.float16],
    "hpu": [False, D.bfloat16],
    "mtia": [False, D.bfloat16],
    "maia": [False, D.bfloat16],
}
_cache_enabled = [True]

_BAD_DEVICE = (
    "Expected one of cpu, cuda, ipu, xpu, mkldnn, opengl, opencl, ideep, hip, ve, fpga, maia, xla,"
    " lazy, vulkan, mps, meta, hpu, mtia, privateuseone device type at start of device string: "
)


def _entry(device_type: str) -> list[Any]:
    try:
        return _state[device_type]
    except KeyError:
        raise RuntimeError(_BAD_DEVICE + device_type) from None


def is_autocast_available(device_type: str) -> bool:
    r"""Whether ``autocast`` accepts ``device_type``."""
    return device_type in _DEVICE_TYPES


def is_autocast_enabled(device_type: str = "cuda") -> bool:
    r"""Whether autocast is on for ``device_type`` (``"cuda"`` when not given, as in torch)."""
    return _entry(device_type)[0]


def get_autocast_dtype(device_type: str) -> D.dtype:
    r"""The dtype autocast casts to on ``device_type``."""
    return _entry(device_type)[1]


def set_autocast_enabled(device_type: str, enabled: bool) -> None:
    r"""Turn autocast on or off for ``device_type``."""
    _entry(device_type)[0] = bool(enabled)


def set_autocast_dtype(device_type: str, dtype: D.dtype) -> None:
    r"""Set the dtype autocast casts to on ``device_type``."""
    _entry(device_type)[1] = dtype


def is_autocast_cache_enabled() -> bool:
    r"""Whether autocast caches casted weights (accepted; ember does not cache)."""
    return _cache_enabled[0]


def set_autocast_cache_enabled(enabled: bool) -> None:
    r"""Accepted for compatibility."""
    _cache_enabled[0] = bool(enabled)


def autocast_dtype_for(device_type: str) -> D.dtype | None:
    """For the ops: the dtype that matmul/linear/conv inputs on ``device_type`` cast to, or None.

    # perf: one dict lookup; ops call this on every matmul. CPU never casts (see module doc).
    """
    if device_type == "cuda":
        st = _state["cuda"]
        return st[1] if st[0] else None
    return None


def autocast_inputs(*tensors: Any) -> tuple[Any, ...]:
    """For matmul/linear/conv on CUDA: the inputs cast to the autocast dtype when it is on.

    Float CUDA tensors other than float64 are cast (``Tensor.to``, so gradients flow back in the
    input's dtype); anything else, and everything when autocast is off, passes unchanged.
    """
    st = _state["cuda"]
    if not st[0]:
        return tensors
    dt = st[1]
    return tuple(
        t.to(dt) if t is not None and t.is_cuda and t.dtype.is_floating_point
        and t.dtype is not D.float64 and t.dtype is not dt else t
        for t in tensors
    )


def _cuda_available() -> bool:
    from ember._device import cuda_available  # noqa: PLC0415

    return cuda_available()


class autocast:
    r"""Context manager and decorator that runs a region in mixed precision.

    Inside ``with ember.autocast("cuda"):``, matmul, linear and convolution on CUDA tensors
    compute in ``dtype`` (``float16`` by default; ``bfloat16`` on request). On the CPU the region
    is recorded (``is_autocast_enabled("cpu")``) but ops keep their input dtype.

    Args:
        device_type (str): ``"cuda"`` or ``"cpu"``.
        dtype (ember.dtype, optional): the reduced dtype; default ``get_autocast_dtype(device_type)``.
        enabled (bool): whether autocasting is on in the region. Default: ``True``
        cache_enabled (bool, optional): accepted for compatibility.

    Examples::

        >>> import ember
        >>> with ember.amp.autocast("cpu"):
        ...     ember.amp.is_autocast_enabled("cpu")
        True
    """

    def __init__(self, device_type: str, dtype: D.dtype | None = None, enabled: bool = True,
                 cache_enabled: bool | None = None) -> None:  # fmt: skip
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        self.fast_dtype = get_autocast_dtype(device_type) if dtype is None else dtype
        self.device = device_type
        if not is_autocast_available(device_type):
            raise RuntimeError(f"User specified an unsupported autocast device_type '{device_type}'")  # noqa: E501
        self._cache_enabled = _cache_enabled[0] if cache_enabled is None else cache_enabled
        if enabled:
            enabled = self._check_enabled()
        self._enabled = enabled

    def _check_enabled(self) -> bool:
        name = self.device.upper()
        if self.device == "cuda":
            if not _cuda_available():
                warnings.warn("CUDA is not available or torch_xla is imported. Disabling autocast.", stacklevel=3)  # noqa: E501
                return False
            return True
        if self.fast_dtype not in (D.bfloat16, D.float16):
            warnings.warn(
                f"In {name} autocast, but the target dtype is not supported. Disabling autocast.\n"
                f"{name} Autocast only supports dtypes of torch.bfloat16, torch.float16 currently.",
                stacklevel=3,
            )
            return False
        return True

    def __enter__(self) -> autocast:
        st = _entry(self.device)
        self._prev = (st[0], st[1], _cache_enabled[0])
        st[0], st[1] = self._enabled, self.fast_dtype
        _cache_enabled[0] = self._cache_enabled
        return self

    def __exit__(self, *exc: object) -> None:
        st = _entry(self.device)
        st[0], st[1], _cache_enabled[0] = self._prev

    def __call__(self, func: Callable) -> Callable:
        if not callable(func):
            raise TypeError(
                f"autocast()(func) requires a callable, but got {type(func).__name__}. "
                f"Did you mean to use autocast as a context manager? For example:\n"
                f"    with torch.autocast(device_type=...):\n"
                f"        output = model(input)"
            )

        @functools.wraps(func)
        def decorate_autocast(*args: Any, **kwargs: Any) -> Any:
            with self:
                return func(*args, **kwargs)

        return decorate_autocast


def _cast(value: Any, device_type: str, dtype: D.dtype) -> Any:
    """Cast the eligible float tensors in ``value`` (nested lists/tuples/dicts) to ``dtype``."""
    from ember._tensor import Tensor  # noqa: PLC0415

    if isinstance(value, Tensor):
        ok = value.is_floating_point() and value.device.type == device_type and value.dtype is not D.float64  # noqa: E501
        return value.to(dtype) if ok else value
    if isinstance(value, dict):
        return {k: _cast(v, device_type, dtype) for k, v in value.items()}
    if isinstance(value, list | tuple):
        out = [_cast(v, device_type, dtype) for v in value]
        return type(value)(out)
    return value


def custom_fwd(fwd: Callable | None = None, *, device_type: str, cast_inputs: D.dtype | None = None) -> Callable:  # noqa: E501
    r"""Decorator for a custom ``Function.forward`` under autocast (see torch.amp.custom_fwd)."""
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)

    @functools.wraps(fwd)
    def decorate_fwd(*args: Any, **kwargs: Any) -> Any:
        args[0]._dtype = get_autocast_dtype(device_type)
        if cast_inputs is None:
            args[0]._fwd_used_autocast = is_autocast_enabled(device_type)
            return fwd(*args, **kwargs)
        autocast_context = is_autocast_enabled(device_type)
        args[0]._fwd_used_autocast = False
        if autocast_context:
            with autocast(device_type=device_type, enabled=False):
                return fwd(*_cast(args, device_type, cast_inputs), **_cast(kwargs, device_type, cast_inputs))  # noqa: E501
        return fwd(*args, **kwargs)

    return decorate_fwd


def custom_bwd(bwd: Callable | None = None, *, device_type: str) -> Callable:
    r"""Decorator for a custom ``Function.backward``: runs it in forward's autocast state."""
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)

    @functools.wraps(bwd)
    def decorate_bwd(*args: Any, **kwargs: Any) -> Any:
        ctx = args[0]
        with autocast(device_type=device_type, enabled=getattr(ctx, "_fwd_used_autocast", False),
                      dtype=getattr(ctx, "_dtype", None)):  # fmt: skip
            return bwd(*args, **kwargs)

    return decorate_bwd

"""``ember.backends.cuda``: cuBLAS and attention flags, kept as settable values.

``matmul.allow_tf32`` is the one flag with an effect: where CuPy is loaded it switches CuPy's
float32 GEMMs to TF32 (``cupy._core._routines_linalg.set_compute_type``), and before CuPy loads it
sets ``CUPY_TF32``, which CuPy reads on its first float32 GEMM.
"""

from __future__ import annotations

import contextlib
import os
import warnings
from typing import Any, Iterator

from ember._device import cuda_available

__all__ = ["is_built", "cuBLASModule", "matmul", "preferred_linalg_library",
           "preferred_blas_library", "enable_flash_sdp", "flash_sdp_enabled",
           "enable_mem_efficient_sdp", "mem_efficient_sdp_enabled", "enable_math_sdp",
           "math_sdp_enabled", "enable_cudnn_sdp", "cudnn_sdp_enabled",
           "allow_fp16_bf16_reduction_math_sdp", "fp16_bf16_reduction_math_sdp_allowed",
           "is_flash_attention_available", "sdp_kernel"]  # fmt: skip


def is_built() -> bool:
    r"""Whether ember can run on CUDA: true when CuPy is installed and sees a GPU."""
    return cuda_available()


# --- float32 matmul precision (shared with ember.set_float32_matmul_precision) ---------------
_precision: list[str] = ["highest"]


def _set_float32_matmul_precision(precision: str) -> None:
    """Record ``precision`` (``highest``/``high``/``medium``) and apply TF32 to CuPy's GEMMs."""
    if precision not in ("highest", "high", "medium"):
        raise RuntimeError(f"Invalid precision {precision}")  # torch: same check, C++ side
    _precision[0] = precision
    _apply_tf32(precision != "highest")


def _get_float32_matmul_precision() -> str:
    return _precision[0]


def _apply_tf32(on: bool) -> None:
    from ember import _device  # noqa: PLC0415

    cp = _device._cupy  # only touch CuPy if something already loaded it
    if cp is None:
        os.environ["CUPY_TF32"] = "1" if on else "0"
        return
    import numpy as np  # noqa: PLC0415

    linalg = cp._core._routines_linalg
    kind = 7 if on else 1  # COMPUTE_TYPE_TF32 / COMPUTE_TYPE_DEFAULT
    with warnings.catch_warnings():  # pre-Ampere GPUs warn and fall back: same as torch's no-op
        warnings.simplefilter("ignore")
        linalg.set_compute_type(np.float32, kind)
        linalg.set_compute_type(np.complex64, kind)


def _reduction_setting(value: Any, name: str) -> tuple[bool, bool]:
    if isinstance(value, bool):
        return value, True
    if isinstance(value, list | tuple):
        if not value:
            raise TypeError(f"{name} expects at least one boolean argument")
        if len(value) > 2:
            raise TypeError(f"{name} expects at most two boolean arguments")
        for v, which in zip(value, ("allow_reduced_precision", "allow_splitk")):
            if not isinstance(v, bool):
                raise TypeError(f"{name} expects a bool for {which}, but got {type(v)!r}")
        return value[0], value[1] if len(value) == 2 else True
    raise TypeError(f"{name} expects a bool or a tuple/list of bools, but got {type(value)!r}")


class cuBLASModule:
    r"""``backends.cuda.matmul``: cuBLAS flags; unknown names raise ``AttributeError`` as in torch."""

    _flags: dict[str, Any] = {
        "allow_fp16_reduced_precision_reduction": (True, True),
        "allow_bf16_reduced_precision_reduction": (True, True),
        "allow_fp16_accumulation": False,
    }

    def __getattr__(self, name: str) -> Any:
        if name == "allow_tf32":
            return _precision[0] != "highest"
        if name == "fp32_precision":
            return "tf32" if _precision[0] != "highest" else "ieee"
        for kind in ("fp16", "bf16"):
            key = f"allow_{kind}_reduced_precision_reduction"
            if name == key:
                return self._flags[key][0]
            if name == key + "_split_k":
                return self._flags[key][1]
        if name == "allow_fp16_accumulation":
            return self._flags[name]
        raise AttributeError("Unknown attribute " + name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "allow_tf32":
            _set_float32_matmul_precision("high" if value else "highest")
        elif name == "fp32_precision":
            _set_float32_matmul_precision("high" if value == "tf32" else "highest")
        elif name in ("allow_fp16_reduced_precision_reduction",
                      "allow_bf16_reduced_precision_reduction"):  # fmt: skip
            self._flags[name] = _reduction_setting(value, name)
        elif name == "allow_fp16_accumulation":
            self._flags[name] = bool(value)
        else:
            raise AttributeError("Unknown attribute " + name)


matmul = cuBLASModule()


def preferred_linalg_library(backend: Any = None) -> str:
    r"""Accepted for compatibility: CuPy picks cuSOLVER itself."""
    return "default"


def preferred_blas_library(backend: Any = None) -> str:
    r"""Accepted for compatibility: CuPy uses cuBLAS."""
    return "cublas"


# --- scaled-dot-product-attention backends --------------------------------------------------
# ember has one attention kernel; the flags are kept so that code that sets and reads them runs.
_sdp = {"flash": True, "mem_efficient": True, "math": True, "cudnn": True, "fp16_bf16_math": False}


def enable_flash_sdp(enabled: bool) -> None:
    r"""Enable or disable the flash attention backend flag."""
    _sdp["flash"] = bool(enabled)


def flash_sdp_enabled() -> bool:
    r"""Whether the flash attention flag is on."""
    return _sdp["flash"]


def enable_mem_efficient_sdp(enabled: bool) -> None:
    r"""Enable or disable the memory-efficient attention backend flag."""
    _sdp["mem_efficient"] = bool(enabled)


def mem_efficient_sdp_enabled() -> bool:
    r"""Whether the memory-efficient attention flag is on."""
    return _sdp["mem_efficient"]


def enable_math_sdp(enabled: bool) -> None:
    r"""Enable or disable the math attention backend flag."""
    _sdp["math"] = bool(enabled)


def math_sdp_enabled() -> bool:
    r"""Whether the math attention flag is on."""
    return _sdp["math"]


def enable_cudnn_sdp(enabled: bool) -> None:
    r"""Enable or disable the cuDNN attention backend flag."""
    _sdp["cudnn"] = bool(enabled)


def cudnn_sdp_enabled() -> bool:
    r"""Whether the cuDNN attention flag is on."""
    return _sdp["cudnn"]


def allow_fp16_bf16_reduction_math_sdp(enabled: bool) -> None:
    r"""Allow reduced-precision reductions in the math attention backend (flag only)."""
    _sdp["fp16_bf16_math"] = bool(enabled)


def fp16_bf16_reduction_math_sdp_allowed() -> bool:
    r"""Whether reduced-precision math attention reductions are allowed."""
    return _sdp["fp16_bf16_math"]


def is_flash_attention_available() -> bool:
    r"""ember has no flash-attention kernel."""
    return False


_SDP_KERNEL_DEPRECATED = (
    "`torch.backends.cuda.sdp_kernel()` is deprecated. In the future, this context manager will be "
    "removed. Please see `torch.nn.attention.sdpa_kernel()` for the new context manager, with "
    "updated signature."
)


@contextlib.contextmanager
def _sdp_kernel(enable_flash: bool, enable_math: bool, enable_mem_efficient: bool,
                enable_cudnn: bool) -> Iterator[None]:  # fmt: skip
    saved = dict(_sdp)
    _sdp.update(flash=enable_flash, math=enable_math, mem_efficient=enable_mem_efficient,
                cudnn=enable_cudnn)  # fmt: skip
    try:
        yield
    finally:
        _sdp.update(saved)


def sdp_kernel(enable_flash: bool = True, enable_math: bool = True,
               enable_mem_efficient: bool = True, enable_cudnn: bool = True) -> Any:  # fmt: skip
    r"""Deprecated context manager that sets the attention backend flags for its body."""
    warnings.warn(_SDP_KERNEL_DEPRECATED, FutureWarning, stacklevel=2)
    return _sdp_kernel(enable_flash, enable_math, enable_mem_efficient, enable_cudnn)

"""ember: PyTorch's tensor, autograd and ``nn.Module`` world, in pure Python on NumPy.

``import ember as torch`` and a PyTorch program runs unchanged. See README.md for the design.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import builtins  # annotations name builtins.bool: ember.bool is a dtype

from . import _dtype, _malloc
from ._device import device
from ._dtype import (bfloat16, bool, cdouble, cfloat, complex64, complex128, double, dtype,
                     finfo, float, float16, float32, float64, get_default_dtype, half, iinfo,
                     int, int8, int16, int32, int64, long, promote_types, set_default_dtype,
                     short, uint8, uint16, uint32, uint64)  # fmt: skip
from ._tensor import Size, Tensor, typename
from .autograd.grad_mode import (enable_grad, inference_mode, is_grad_enabled,
                                 is_inference_mode_enabled, no_grad, set_grad_enabled)  # fmt: skip
from ._random import Generator, default_generator, get_rng_state, initial_seed, manual_seed, seed, set_rng_state  # noqa: E501
from ._factory import *  # noqa: F403
from ._ops.elementwise import *  # noqa: F403
from ._ops.compare import *  # noqa: F403
from ._ops.elementary import *  # noqa: F403
from ._ops.shape import *  # noqa: F403
from ._ops.indexing import *  # noqa: F403
from . import _ops, autograd

__version__ = "0.1.0"
_malloc.tune()
__all__ = ["Tensor", "Size", "device", "dtype", "no_grad", "enable_grad", "set_grad_enabled",
           "inference_mode", "manual_seed", "Generator", "autograd", "nn", "optim", "utils",
           "save", "load", "cuda"]  # fmt: skip


class _Layout:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"torch.{self.name}"


strided = _Layout("strided")
sparse_coo = _Layout("sparse_coo")


class _MemoryFormat:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"torch.{self.name}"


contiguous_format = _MemoryFormat("contiguous_format")
channels_last = _MemoryFormat("channels_last")
preserve_format = _MemoryFormat("preserve_format")


def is_tensor(obj: Any) -> builtins.bool:
    """True for ember tensors (and Parameters)."""
    return isinstance(obj, Tensor)


def is_floating_point(input: Tensor) -> builtins.bool:
    """True for floating-point tensors."""
    return input.dtype.is_floating_point


def is_complex(input: Tensor) -> builtins.bool:
    """True for complex tensors."""
    return input.dtype.is_complex


def numel(input: Tensor) -> builtins.int:
    """Number of elements."""
    return input.numel()


def clone(input: Tensor, *, memory_format: Any = None) -> Tensor:
    """A copy that stays in the graph."""
    return input.clone()


def detach(input: Tensor) -> Tensor:
    """``input.detach()``."""
    return input.detach()


def result_type(tensor1: Any, tensor2: Any) -> dtype:
    """The dtype an op on these two operands returns."""
    return _dtype.result_type(tensor1, tensor2)


def can_cast(from_: dtype, to: dtype) -> builtins.bool:
    """Whether torch allows casting ``from_`` to ``to`` in in-place ops."""
    return from_._cat <= to._cat


def get_num_threads() -> builtins.int:
    """Threads ember's large element-wise kernels use (torch's intra-op threads)."""
    from ._threads import get_num_threads  # noqa: PLC0415

    return get_num_threads()


def set_num_threads(n: builtins.int) -> None:
    """Set the threads ember's large element-wise kernels use; BLAS keeps its own setting."""
    from ._threads import set_num_threads  # noqa: PLC0415

    set_num_threads(n)


def use_deterministic_algorithms(mode: builtins.bool, *, warn_only: builtins.bool = False) -> None:
    """Accepted for compatibility: ember's CPU ops are deterministic."""


def are_deterministic_algorithms_enabled() -> builtins.bool:
    return False


def set_float32_matmul_precision(precision: str) -> None:
    """'highest' keeps float32 GEMMs exact; 'high'/'medium' allow TF32 on CUDA (CuPy)."""
    from .backends.cuda import _set_float32_matmul_precision  # noqa: PLC0415

    _set_float32_matmul_precision(precision)


def get_float32_matmul_precision() -> str:
    """The current float32 matmul precision setting."""
    from .backends.cuda import _get_float32_matmul_precision  # noqa: PLC0415

    return _get_float32_matmul_precision()


def _lazy(name: str) -> Any:
    import importlib  # noqa: PLC0415

    try:
        mod = importlib.import_module(f"{__name__}.{name}")
    except ModuleNotFoundError as e:
        if e.name != f"{__name__}.{name}":
            raise
        # a torch sub-package ember does not have: AttributeError, so that hasattr() works
        raise AttributeError(f"module 'ember' has no attribute '{name}' "
                             f"(torch.{name} is not implemented in ember)") from None
    globals()[name] = mod
    return mod


_LAZY_MODULES = {"nn", "optim", "utils", "cuda", "serialization", "backends", "amp",
                 "accelerator", "distributed", "onnx", "testing", "linalg", "special", "fft",
                 "sparse", "jit", "hub", "func", "library", "compiler", "mps", "overrides",
                 "types", "random", "return_types", "profiler"}  # fmt: skip
_LAZY_ATTRS = {
    "save": ("serialization", "save"), "load": ("serialization", "load"),
    "compile": ("_compile", "compile"), "autocast": ("amp", "autocast"),
    "is_autocast_enabled": ("amp", "is_autocast_enabled"),
    "get_autocast_dtype": ("amp", "get_autocast_dtype"),
    "set_autocast_enabled": ("amp", "set_autocast_enabled"),
    "set_autocast_dtype": ("amp", "set_autocast_dtype"),
    "softmax": ("_ops.activation", "softmax"), "log_softmax": ("_ops.activation", "log_softmax"),
    # perf: ember._ops.linalg and .reduction load on first use (their __all__, checked by
    # tests/test_lazy_import)
    **{n: ("_ops.linalg", n) for n in ("matmul", "mm", "bmm", "addmm", "einsum", "outer", "ger",
                                        "dot", "mv", "inner", "baddbmm", "addmv", "tensordot",
                                        "vdot", "kron", "cross", "linear_op")},
    **{n: ("_ops.reduction", n) for n in (
        "sum", "mean", "nansum", "var", "std", "var_mean", "std_mean", "prod", "max", "min",
        "amax", "amin", "aminmax", "argmax", "argmin", "logsumexp", "norm", "cumsum", "cumprod",
        "all", "any", "topk", "sort", "argsort", "unique", "count_nonzero", "median", "cummax",
        "kthvalue", "dist", "msort", "nanmean", "mode", "bincount", "histc",
        "unique_consecutive", "quantile", "nanquantile", "nanmedian", "cummin", "logcumsumexp",
        "renorm", "trace", "addbmm", "cov", "corrcoef", "cdist")},
    **{n: ("linalg", m) for n, m in (("inverse", "inv"), ("det", "det"), ("slogdet", "slogdet"),
                                     ("matrix_power", "matrix_power"))},
    "pinverse": ("_tensor_methods", "pinverse"), "logdet": ("_tensor_methods", "logdet"),
    "get_printoptions": ("_tensor_str", "get_printoptions"),
    "set_printoptions": ("_tensor_str", "set_printoptions"),
    "sparse_coo_tensor": ("_sparse", "sparse_coo_tensor"), "spmm": ("_sparse", "spmm"),
    **{n: ("_legacy", n) for n in ("FloatTensor", "DoubleTensor", "HalfTensor", "BFloat16Tensor",
                                    "LongTensor", "IntTensor", "ShortTensor", "CharTensor",
                                    "ByteTensor", "BoolTensor")},
}  # fmt: skip


def __getattr__(name: str) -> Any:
    # Sub-packages load on first use so that `import ember` stays fast.
    if name in _LAZY_MODULES:
        return _lazy(name)
    if name in _LAZY_ATTRS:
        import importlib  # noqa: PLC0415

        mod, attr = _LAZY_ATTRS[name]
        value = getattr(importlib.import_module(f"{__name__}.{mod}"), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'ember' has no attribute '{name}'")

"""ember.backends flags: same defaults, types and errors as torch's, settable, restorable."""

from __future__ import annotations

import os
import warnings

import pytest
import torch

import ember
import ember.backends


@pytest.fixture(autouse=True)
def _restore():
    env = os.environ.get("CUPY_TF32")
    yield
    ember.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cuda.matmul.allow_tf32 = False
    if env is None:
        os.environ.pop("CUPY_TF32", None)
    else:
        os.environ["CUPY_TF32"] = env


def test_defaults_match_torch():
    e, t = ember.backends, torch.backends
    assert e.mps.is_available() is t.mps.is_available() is False
    assert e.mps.is_built() is t.mps.is_built() is False
    for name in ("allow_tf32", "allow_fp16_reduced_precision_reduction",
                 "allow_bf16_reduced_precision_reduction", "allow_fp16_accumulation"):
        assert getattr(e.cuda.matmul, name) == getattr(t.cuda.matmul, name), name
    for name in ("allow_tf32", "benchmark", "deterministic", "enabled"):
        assert getattr(e.cudnn, name) == getattr(t.cudnn, name), name
    for name in ("flash_sdp_enabled", "mem_efficient_sdp_enabled", "math_sdp_enabled",
                 "cudnn_sdp_enabled", "fp16_bf16_reduction_math_sdp_allowed"):
        assert getattr(e.cuda, name)() == getattr(t.cuda, name)(), name
    if not ember.cuda.is_available():
        assert e.cuda.is_built() is t.cuda.is_built() is False
        assert e.cudnn.is_available() is t.cudnn.is_available() is False
        assert e.cudnn.version() is t.cudnn.version() is None
    assert e.opt_einsum.enabled is e.opt_einsum.is_available() is False
    assert e.mkldnn.enabled is True


def test_matmul_flags_set_and_errors_like_torch():
    for lib in (ember, torch):
        m = lib.backends.cuda.matmul
        m.allow_tf32 = True
        assert m.allow_tf32 is True
        assert lib.get_float32_matmul_precision() == "high" or lib is ember  # lead wires ember's
        m.allow_tf32 = False
        m.allow_fp16_reduced_precision_reduction = (False, False)
        assert m.allow_fp16_reduced_precision_reduction is False
        assert m.allow_fp16_reduced_precision_reduction_split_k is False
        m.allow_fp16_reduced_precision_reduction = True
        assert m.allow_fp16_reduced_precision_reduction_split_k is True
    for bad in ((), (True, True, True), (1,), "yes"):
        with pytest.raises(TypeError) as e:
            ember.backends.cuda.matmul.allow_fp16_reduced_precision_reduction = bad
        with pytest.raises(TypeError) as e_ref:
            torch.backends.cuda.matmul.allow_fp16_reduced_precision_reduction = bad
        assert str(e.value) == str(e_ref.value)
    with pytest.raises(AttributeError, match="Unknown attribute allow_tf33"):
        ember.backends.cuda.matmul.allow_tf33 = True
    with pytest.raises(AttributeError, match="Unknown attribute allow_tf33"):
        _ = ember.backends.cuda.matmul.allow_tf33


def test_tf32_reaches_cupy_setting():
    ember.backends.cuda.matmul.allow_tf32 = True
    if not ember.cuda.is_available():
        assert os.environ["CUPY_TF32"] == "1"  # CuPy reads it on its first float32 GEMM
    assert ember.backends.cuda._get_float32_matmul_precision() == "high"
    ember.backends.cuda._set_float32_matmul_precision("medium")
    assert ember.backends.cuda.matmul.allow_tf32 is True
    ember.backends.cuda._set_float32_matmul_precision("highest")
    assert ember.backends.cuda.matmul.allow_tf32 is False
    if not ember.cuda.is_available():
        assert os.environ["CUPY_TF32"] == "0"


def test_cudnn_flags_and_context():
    ember.backends.cudnn.benchmark = True
    assert ember.backends.cudnn.benchmark is True
    with ember.backends.cudnn.flags(enabled=False, deterministic=True):
        assert ember.backends.cudnn.enabled is False and ember.backends.cudnn.deterministic is True
    assert ember.backends.cudnn.enabled is True and ember.backends.cudnn.deterministic is False
    ember.backends.cudnn.benchmark = False


def test_sdp_flags_and_deprecated_context():
    ember.backends.cuda.enable_flash_sdp(False)
    assert ember.backends.cuda.flash_sdp_enabled() is False
    ember.backends.cuda.enable_flash_sdp(True)
    ember.backends.cuda.enable_math_sdp(False)
    ember.backends.cuda.enable_math_sdp(True)
    ember.backends.cuda.enable_mem_efficient_sdp(True)

    def record(lib):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            with lib.backends.cuda.sdp_kernel(enable_flash=False, enable_math=True,
                                              enable_mem_efficient=False):
                state = (lib.backends.cuda.flash_sdp_enabled(), lib.backends.cuda.math_sdp_enabled(),
                         lib.backends.cuda.mem_efficient_sdp_enabled())
        return state, [(x.category, str(x.message)) for x in w], w[0].filename

    ours, ref = record(ember), record(torch)
    assert ours[:2] == ref[:2] and ours[2] == __file__
    assert ember.backends.cuda.flash_sdp_enabled() is True


def test_cpu_capability_is_a_torch_name():
    assert ember.backends.cpu.get_cpu_capability() in ("DEFAULT", "AVX2", "AVX512", "NEON")


@pytest.mark.gpu
def test_tf32_switches_cupy_gemms():
    import numpy as np

    from ember._device import cupy

    linalg = cupy()._core._routines_linalg
    ember.backends.cuda.matmul.allow_tf32 = True
    tf32 = linalg.get_compute_type(np.float32)
    ember.backends.cuda.matmul.allow_tf32 = False
    assert linalg.get_compute_type(np.float32) == 1  # COMPUTE_TYPE_DEFAULT
    assert tf32 in (1, 7)  # TF32 where the GPU has it (compute capability >= 8.0)

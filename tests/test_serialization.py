"""ember.save / ember.load against real torch, both ways, plus hostile and malformed files."""

from __future__ import annotations

import io
import math
import os
import pickle
import struct
import sys
import time
import zipfile
from collections import OrderedDict

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import ember
from ember import serialization
from ember._tensor import _wrap

pytestmark = pytest.mark.filterwarnings("error")

try:
    import ml_dtypes
except ImportError:  # bfloat16 needs ml_dtypes on the NumPy side
    ml_dtypes = None

DTYPES = ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool",
          "complex64", "complex128", "uint16", "uint32", "uint64",
          pytest.param("bfloat16", marks=pytest.mark.skipif(ml_dtypes is None, reason="needs ml_dtypes"))]  # fmt: skip  # noqa: E501


@pytest.fixture(autouse=True)
def _no_user_globals():
    yield
    serialization.clear_safe_globals()


def _values(rng, name, shape):
    """Random numbers of ember dtype ``name`` as a NumPy array."""
    if name == "bool":
        return rng.random(shape) < 0.5
    if name.startswith("complex"):
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(name)
    if name.startswith(("int", "uint")):
        info = np.iinfo(name)
        return rng.integers(max(info.min, -1000), min(info.max, 1000), shape, endpoint=True).astype(name)  # noqa: E501
    np_dtype = ember._dtype.BY_NAME[name].np
    return rng.standard_normal(shape).astype(np_dtype)


def _torch(a):
    """A torch tensor with the values (and dtype) of NumPy array ``a``."""
    if ml_dtypes is not None and a.dtype == ml_dtypes.bfloat16:
        return torch.from_numpy(a.astype(np.float32)).bfloat16()
    if a.dtype in (np.uint16, np.uint32, np.uint64):
        return torch.from_numpy(a.astype(np.int64)).to(getattr(torch, a.dtype.name))
    return torch.from_numpy(np.ascontiguousarray(a)) if a.ndim else torch.tensor(a.item())


def _numpy(t):
    """The values of a torch tensor as a NumPy array, for comparison."""
    t = t.detach()
    if t.dtype == torch.bfloat16:
        return t.float().numpy()
    if t.dtype in (torch.uint16, torch.uint32, torch.uint64):
        return t.to(torch.int64).numpy() if t.dtype != torch.uint64 else np.array(t.tolist(), np.uint64)  # noqa: E501
    return t.numpy()


def _same(ours, ref):
    """ember tensor ``ours`` equals torch tensor ``ref`` in dtype, shape and values."""
    assert isinstance(ours, ember.Tensor)
    assert ours.dtype.name == str(ref.dtype).removeprefix("torch.")
    assert tuple(ours.shape) == tuple(ref.shape)
    a = ours.detach()._array
    a = a.astype(np.float32) if a.dtype.name == "bfloat16" else a
    np.testing.assert_array_equal(a, _numpy(ref))


def _round_trip_to_torch(obj, path):
    ember.save(obj, path)
    return torch.load(path, weights_only=True), torch.load(path, weights_only=True, mmap=True)


def _from_torch(obj, path, **kw):
    torch.save(obj, path, **kw)
    return ember.load(path)


# ---------------------------------------------------------------------------------------------
# Round trips with real torch
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", DTYPES)
def test_every_dtype_ember_to_torch(name, rng, tmp_path):
    a, s = _values(rng, name, (3, 4)), _values(rng, name, ())
    obj = {"x": _wrap(a.copy()), "scalar": _wrap(np.array(s)), "empty": _wrap(a[:0].copy())}
    for loaded in _round_trip_to_torch(obj, tmp_path / "x.pt"):
        assert loaded["x"].dtype == getattr(torch, name)
        np.testing.assert_array_equal(_numpy(loaded["x"]), a.astype(np.float32) if name == "bfloat16" else a)  # noqa: E501
        assert loaded["scalar"].shape == () and loaded["empty"].shape == (0, 4)
        _same(obj["scalar"], loaded["scalar"])


@pytest.mark.parametrize("name", DTYPES)
def test_every_dtype_torch_to_ember(name, rng, tmp_path):
    a, s = _values(rng, name, (3, 4)), _values(rng, name, ())
    x = _torch(a)
    ref = {"x": x, "scalar": _torch(np.array(s)), "t": x.t()}
    ours = _from_torch(ref, tmp_path / "x.pt")
    for k in ref:
        _same(ours[k], ref[k])
    assert np.shares_memory(ours["x"]._array, ours["t"]._array)  # one storage, still shared


def test_non_contiguous_views_share_one_storage(tmp_path):
    x = ember.arange(24.0).reshape(4, 6)
    obj = {"x": x, "t": x.t(), "rows": x[1:3], "step": x[:, ::2], "col": x[:, 1],
           "item": x[2:3, 3:4].reshape(())}  # fmt: skip
    path = tmp_path / "views.pt"
    for loaded in _round_trip_to_torch(obj, path):
        ptrs = {v.untyped_storage().data_ptr() for v in loaded.values()}
        assert len(ptrs) == 1
        for k, v in obj.items():
            _same(v, loaded[k])
            assert loaded[k].stride() == v.stride()
    with zipfile.ZipFile(path) as z:
        assert [n for n in z.namelist() if "/data/" in n] == ["views/data/0"]
    back = ember.load(path)
    for k, v in obj.items():
        np.testing.assert_array_equal(back[k]._array, v._array)
    back["x"][0, 1] = 100.0  # still one buffer after loading
    assert back["t"][1, 0].item() == 100.0 and back["step"].shape == (4, 3)


def test_broadcast_and_negative_strides_are_written_compact(tmp_path):
    base = np.arange(6.0, dtype=np.float32)
    obj = {"flipped": _wrap(base[::-1]), "expanded": ember.ones(1, 3).expand(4, 3),
           "ragged": _wrap(np.arange(12, dtype=np.int64).reshape(3, 4)[::2, 1::2]),
           "fortran": _wrap(np.asfortranarray(np.arange(6.0).reshape(2, 3))[:, 1:])}  # fmt: skip
    for loaded in _round_trip_to_torch(obj, tmp_path / "x.pt"):
        for k, v in obj.items():
            _same(v, loaded[k])
        assert all(s >= 0 for s in loaded["flipped"].stride())


@settings(max_examples=60, deadline=None)
@given(shape=hnp.array_shapes(min_dims=1, max_dims=4, max_side=5), data=st.data())
def test_random_views_round_trip(shape, data):
    base = np.arange(math.prod(shape), dtype=np.float32).reshape(shape)
    index = tuple(slice(data.draw(st.integers(0, n)), None, data.draw(st.sampled_from([1, 2, -1])))
                  for n in shape)  # fmt: skip
    view = base[index].transpose(data.draw(st.permutations(range(len(shape)))))
    obj = {"base": _wrap(base), "view": _wrap(view)}
    buf = io.BytesIO()
    ember.save(obj, buf)
    buf.seek(0)
    ref = torch.load(buf)
    np.testing.assert_array_equal(ref["view"].numpy(), view)
    buf.seek(0)
    back = ember.load(buf)
    np.testing.assert_array_equal(back["view"]._array, view)
    if view.size > 1 and all(s > 0 for s in view.strides):  # a real view: still one storage
        assert np.shares_memory(back["view"]._array, back["base"]._array)


def test_same_tensor_twice_is_one_object(tmp_path):
    w = ember.randn(5, 3)
    obj = {"wte": w, "lm_head": w, "list": [w, (w,)]}
    for loaded in _round_trip_to_torch(obj, tmp_path / "tied.pt"):
        assert loaded["wte"] is loaded["lm_head"] is loaded["list"][0] is loaded["list"][1][0]
    back = ember.load(tmp_path / "tied.pt")
    assert back["wte"] is back["lm_head"] is back["list"][1][0]
    ref = {"wte": torch.randn(5, 3)}
    ref["lm_head"] = ref["wte"]
    ours = _from_torch(ref, tmp_path / "t.pt")
    assert ours["wte"] is ours["lm_head"]


def test_torch_state_dict_keeps_metadata_both_ways(tmp_path):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    sd = model.state_dict()
    ours = _from_torch(sd, tmp_path / "sd.pt")
    assert type(ours) is OrderedDict and list(ours) == list(sd)
    assert ours._metadata == sd._metadata
    for k in sd:
        _same(ours[k], sd[k])
    for back in _round_trip_to_torch(ours, tmp_path / "again.pt"):
        assert type(back) is OrderedDict and back._metadata == sd._metadata
        model.load_state_dict(back)
        for k in sd:
            assert torch.equal(back[k], sd[k])


def test_ember_state_dict_loads_into_torch_model(tmp_path):
    m = ember.nn.Sequential(ember.nn.Linear(3, 4), ember.nn.ReLU(), ember.nn.Linear(4, 2))
    ref = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    sd, _ = _round_trip_to_torch(m.state_dict(), tmp_path / "m.pt")
    ref.load_state_dict(sd)
    assert sd._metadata == ref.state_dict()._metadata
    x = np.random.default_rng(1).standard_normal((2, 3)).astype(np.float32)
    np.testing.assert_allclose(ref(torch.from_numpy(x)).detach().numpy(),
                               m(ember.tensor(x)).detach().numpy(), rtol=1e-6)  # fmt: skip


def _optimizer_state(lib):
    t = lib.tensor
    return {"state": {0: {"step": t(3.0), "exp_avg": t([[0.1, 0.2]]),
                          "exp_avg_sq": t([1e-3, 2e-3])},
                      1: {"step": t(3.0), "exp_avg": t([0.5]), "exp_avg_sq": t([0.25])}},
            "param_groups": [{"lr": 0.1, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0,
                              "amsgrad": False, "foreach": None, "params": [0, 1]}]}  # fmt: skip


def _check_optimizer_state(ours, ref):
    assert ours["param_groups"] == ref["param_groups"]
    assert isinstance(ours["param_groups"][0]["betas"], tuple)
    assert list(ours["state"]) == [0, 1]
    for i in (0, 1):
        for k in ("step", "exp_avg", "exp_avg_sq"):
            ours_t, ref_t = ours["state"][i][k], ref["state"][i][k]
            if isinstance(ours_t, ember.Tensor):
                _same(ours_t, ref_t)
            else:
                _same(ref_t, ours_t)


def test_optimizer_state_dict_both_ways(tmp_path):
    ref = _optimizer_state(torch)
    _check_optimizer_state(_from_torch(ref, tmp_path / "opt.pt"), ref)
    ours = _optimizer_state(ember)
    for loaded in _round_trip_to_torch(ours, tmp_path / "opt2.pt"):
        _check_optimizer_state(ours, loaded)


def test_real_optimizer_state_dict_loads_in_torch(tmp_path):
    p = ember.nn.Parameter(ember.ones(2))
    opt = ember.optim.Adam([p], lr=0.1)
    (p * p).sum().backward()
    opt.step()
    sd, _ = _round_trip_to_torch(opt.state_dict(), tmp_path / "adam.pt")
    ref = torch.optim.Adam([torch.nn.Parameter(torch.ones(2))], lr=0.1)
    ref.load_state_dict(sd)
    assert sd["param_groups"][0]["lr"] == 0.1


def test_parameters_and_requires_grad(tmp_path):
    obj = {"p": ember.nn.Parameter(ember.ones(2)), "frozen": ember.nn.Parameter(ember.ones(1), requires_grad=False),  # noqa: E501
           "leaf": ember.zeros(2, requires_grad=True), "plain": ember.zeros(2)}
    for loaded in _round_trip_to_torch(obj, tmp_path / "p.pt"):
        assert isinstance(loaded["p"], torch.nn.Parameter) and loaded["p"].requires_grad
        assert isinstance(loaded["frozen"], torch.nn.Parameter) and not loaded["frozen"].requires_grad  # noqa: E501
        assert loaded["leaf"].requires_grad and not loaded["plain"].requires_grad
    ref = {"p": torch.nn.Parameter(torch.ones(2)), "leaf": torch.zeros(2, requires_grad=True)}
    ours = _from_torch(ref, tmp_path / "q.pt")
    assert isinstance(ours["p"], ember.nn.Parameter) and ours["p"].requires_grad
    assert ours["leaf"].requires_grad and ours["leaf"].is_leaf


def test_plain_python_values(tmp_path):
    obj = {"int": 2**70, "neg": -5, "float": 1.5, "str": "héllo", "bytes": b"\x00\xff",
           "none": None, "bool": True, "set": {1, 2}, "tuple": (1, "a"), "complex": 1 + 2j,
           "dtype": ember.int64, "device": ember.device("cpu"),
           "size": ember.Size([2, 3])}  # fmt: skip
    for loaded in _round_trip_to_torch(obj, tmp_path / "v.pt"):
        assert loaded["dtype"] is torch.int64 and loaded["device"] == torch.device("cpu")
        assert loaded["size"] == torch.Size([2, 3]) and type(loaded["size"]) is torch.Size
        assert {k: v for k, v in loaded.items() if k not in ("dtype", "device", "size")} == {
            k: v for k, v in obj.items() if k not in ("dtype", "device", "size")}
    ref = dict(obj, dtype=torch.int64, device=torch.device("cpu"), size=torch.Size([2, 3]))
    ours = _from_torch(ref, tmp_path / "w.pt")
    assert ours["dtype"] is ember.int64 and ours["device"] == ember.device("cpu")
    assert ours["size"] == (2, 3) and ours["bytes"] == b"\x00\xff" and ours["int"] == 2**70


@pytest.mark.skipif(ml_dtypes is not None, reason="checks the error without ml_dtypes")
def test_bfloat16_without_ml_dtypes(tmp_path):
    with pytest.raises(RuntimeError, match="ml_dtypes"):
        _from_torch({"x": torch.ones(2, dtype=torch.bfloat16)}, tmp_path / "bf16.pt")


def _quantized():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch deprecates quantized tensors
        return torch.quantize_per_tensor(torch.ones(2), 0.1, 0, torch.quint8)


@pytest.mark.parametrize(("make", "match"), [
    (lambda: torch.zeros(2, dtype=torch.float8_e4m3fn), "float8_e4m3fn"),
    (lambda: _quantized(), "quantized"),
    (lambda: torch.eye(2).to_sparse(), "sparse"),
])  # fmt: skip
def test_torch_features_ember_lacks(make, match, tmp_path):
    with pytest.raises(RuntimeError, match=match):
        _from_torch({"x": make()}, tmp_path / "x.pt")


def test_file_objects_and_archive_name(tmp_path):
    buf = io.BytesIO()
    ember.save({"x": ember.ones(2)}, buf)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as z:
        names = z.namelist()
        assert names[:4] == ["archive/data.pkl", "archive/.format_version",
                             "archive/.storage_alignment", "archive/byteorder"]  # fmt: skip
        assert names[-2:] == ["archive/version", "archive/.data/serialization_id"]
        assert z.read("archive/version") == b"3\n"
    buf.seek(0)
    assert torch.load(buf)["x"].tolist() == [1.0, 1.0]
    tb = io.BytesIO()
    torch.save({"y": torch.arange(3)}, tb)
    tb.seek(0)
    assert ember.load(tb)["y"].tolist() == [0, 1, 2]


def test_records_are_64_byte_aligned(tmp_path):
    path = tmp_path / "a.pt"
    ember.save({"x": ember.ones(3), "y": ember.zeros(5, dtype=ember.int8)}, path)
    raw = path.read_bytes()
    with zipfile.ZipFile(path) as z:
        for info in z.infolist():
            assert info.compress_type == zipfile.ZIP_STORED
            n, m = struct.unpack("<HH", raw[info.header_offset + 26 : info.header_offset + 30])
            assert (info.header_offset + 30 + n + m) % 64 == 0


def test_mmap_load_is_copy_on_write(tmp_path):
    path = tmp_path / "m.pt"
    torch.save({"x": torch.arange(4.0), "t": torch.arange(6.0).reshape(2, 3).t()}, path)
    before = path.read_bytes()
    ours = ember.load(path, mmap=True)
    assert ours["x"].tolist() == [0.0, 1.0, 2.0, 3.0] and ours["t"].shape == (3, 2)
    ours["x"][0] = 42.0
    assert ours["x"][0].item() == 42.0 and path.read_bytes() == before
    with pytest.raises(ValueError, match="file path"):
        ember.load(io.BytesIO(before), mmap=True)


def test_legacy_format(tmp_path):
    x = torch.arange(6.0).reshape(2, 3)
    ref = {"x": x, "t": x.t(), "p": torch.nn.Parameter(torch.ones(2)), "i": torch.tensor([1, 2], dtype=torch.int16)}  # noqa: E501
    path = tmp_path / "legacy.pt"
    ours = _from_torch(ref, path, _use_new_zipfile_serialization=False)
    assert not zipfile.is_zipfile(path)
    for k in ref:
        _same(ours[k], ref[k])
    assert np.shares_memory(ours["x"]._array, ours["t"]._array)
    assert isinstance(ours["p"], ember.nn.Parameter)
    seen = []
    moved = ember.load(path, map_location=lambda storage, loc: seen.append(loc) or storage.clone())
    assert seen == ["cpu"] * 3 and np.shares_memory(moved["x"]._array, moved["t"]._array)
    assert not np.shares_memory(moved["x"]._array, ours["x"]._array)
    assert ember.load(path, weights_only=False)["x"].tolist() == x.tolist()
    with pytest.raises(RuntimeError, match="mmap"):
        ember.load(path, mmap=True)


def test_big_endian_archive(tmp_path):
    path = tmp_path / "le.pt"
    ember.save({"f": ember.arange(5.0), "l": ember.arange(3), "u": ember.tensor([1, 300], dtype=ember.uint16)}, path)  # noqa: E501
    big = tmp_path / "be.pt"
    swap = {"data/0": np.float32, "data/1": np.int64, "data/2": np.uint16}
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(big, "w") as dst:
        for info in src.infolist():
            data, rec = src.read(info), info.filename.split("/", 1)[1]
            if rec in swap:
                data = np.frombuffer(data, swap[rec]).byteswap().tobytes()
            dst.writestr(info.filename, b"big" if rec == "byteorder" else data)
    back = ember.load(big)
    assert back["f"].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0] and back["l"].tolist() == [0, 1, 2]
    assert back["u"].tolist() == [1, 300]
    assert torch.load(big)["f"].tolist() == back["f"].tolist()  # torch reads it the same way


def test_foreign_zip_writer_deflated_and_unaligned(tmp_path):
    path, copy = tmp_path / "a.pt", tmp_path / "deflated.pt"
    torch.save({"x": torch.arange(100.0)}, path)
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(copy, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename.replace("a/", "other_name/", 1), src.read(info))
    assert ember.load(copy)["x"].tolist() == list(range(100))


def test_map_location(tmp_path):
    path = tmp_path / "m.pt"
    ember.save({"x": ember.ones(2)}, path)
    for loc in ("cpu", ember.device("cpu"), {"cpu": "cpu"}, {"cuda:0": "cpu"}, lambda s, loc: None):
        assert ember.load(path, map_location=loc)["x"].device == ember.device("cpu")
    calls = []
    out = ember.load(path, map_location=lambda s, loc: calls.append((s.shape, loc)) or s * 2)
    assert calls == [((2,), "cpu")] and out["x"].tolist() == [2.0, 2.0]
    with pytest.raises(TypeError, match="map_location"):
        ember.load(path, map_location=3)
    if not ember.cuda.is_available():
        with pytest.raises(RuntimeError, match="CUDA"):
            ember.load(path, map_location="cuda")


def test_cuda_location_needs_map_location_without_gpu(tmp_path):
    path = tmp_path / "c.pt"
    ember.save({"x": ember.ones(2)}, path)
    with zipfile.ZipFile(path) as z:
        pkl = z.read("c/data.pkl").replace(b"X\x03\x00\x00\x00cpu", b"X\x06\x00\x00\x00cuda:0")
        records = {i.filename: z.read(i) for i in z.infolist()}
    records["c/data.pkl"] = pkl
    path2 = tmp_path / "c2.pt"
    with zipfile.ZipFile(path2, "w") as z:
        for name, data in records.items():
            z.writestr(name, data)
    assert ember.load(path2, map_location="cpu")["x"].tolist() == [1.0, 1.0]
    assert ember.load(path2, map_location={"cuda:0": "cpu"})["x"].tolist() == [1.0, 1.0]
    if not ember.cuda.is_available():
        with pytest.raises(RuntimeError, match="map_location"):
            ember.load(path2)


@pytest.mark.gpu
def test_cuda_round_trip(tmp_path):
    w = ember.randn(4, 3).cuda()
    path = tmp_path / "g.pt"
    ember.save({"w": w, "wt": w.t()}, path)
    ref = torch.load(path, map_location="cpu")
    np.testing.assert_array_equal(ref["w"].numpy(), w.cpu().numpy())
    back = ember.load(path)
    assert back["w"].device == w.device and back["wt"].device == w.device
    np.testing.assert_array_equal(back["wt"].cpu().numpy(), w.cpu().numpy().T)


# ---------------------------------------------------------------------------------------------
# Whole-module pickles, safe globals
# ---------------------------------------------------------------------------------------------
class Config:
    """A user class saved inside a checkpoint."""

    def __init__(self, width=3):
        self.width = width


def test_whole_module_needs_weights_only_false(tmp_path):
    model = ember.nn.Sequential(ember.nn.Linear(3, 2), ember.nn.ReLU())
    path = tmp_path / "model.pt"
    ember.save(model, path)
    with pytest.raises(pickle.UnpicklingError, match="ember.nn.modules.container.Sequential"):
        ember.load(path)
    back = ember.load(path, weights_only=False)
    assert type(back) is ember.nn.Sequential and type(back[0]) is ember.nn.Linear
    np.testing.assert_array_equal(back[0].weight.detach().numpy(), model[0].weight.detach().numpy())  # noqa: E501
    assert isinstance(back[0].weight, ember.nn.Parameter)


def test_torch_whole_module_maps_onto_ember(tmp_path):
    ref = torch.nn.Linear(3, 2)
    path = tmp_path / "torch_model.pt"
    torch.save(ref, path)
    back = ember.load(path, weights_only=False)
    assert type(back) is ember.nn.Linear
    np.testing.assert_array_equal(back.weight.detach().numpy(), ref.weight.detach().numpy())


def test_safe_globals(tmp_path):
    path = tmp_path / "cfg.pt"
    ember.save({"cfg": Config(5), "w": ember.ones(1)}, path)
    assert serialization.get_unsafe_globals_in_checkpoint(path) == [f"{__name__}.Config"]
    with pytest.raises(pickle.UnpicklingError, match=f"GLOBAL {__name__}.Config was not an allowed global"):  # noqa: E501
        ember.load(path)
    with serialization.safe_globals([Config]):
        assert serialization.get_unsafe_globals_in_checkpoint(path) == []
        assert ember.load(path)["cfg"].width == 5
    assert serialization.get_safe_globals() == []
    serialization.add_safe_globals([(Config, f"{__name__}.Config")])
    assert ember.load(path)["cfg"].width == 5
    serialization.clear_safe_globals()
    with pytest.raises(pickle.UnpicklingError):
        ember.load(path)


def test_force_weights_only_environment(tmp_path, monkeypatch):
    path = tmp_path / "cfg.pt"
    ember.save({"cfg": Config()}, path)
    monkeypatch.setenv("TORCH_FORCE_WEIGHTS_ONLY_LOAD", "1")
    with pytest.raises(pickle.UnpicklingError):
        ember.load(path, weights_only=False)


def test_python_pickle_and_copy_of_tensors():
    import copy

    p = ember.nn.Parameter(ember.randn(2, 2))
    q = pickle.loads(pickle.dumps(p))
    assert type(q) is ember.nn.Parameter and q.requires_grad
    np.testing.assert_array_equal(q.detach().numpy(), p.detach().numpy())
    assert copy.deepcopy({"p": p})["p"].shape == (2, 2)


# ---------------------------------------------------------------------------------------------
# Hostile files: nothing named outside the allow-list runs
# ---------------------------------------------------------------------------------------------
class _Evil:
    def __init__(self, func, *args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


def _zip(pkl, folder="archive", extra=None):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(f"{folder}/data.pkl", pkl)
        z.writestr(f"{folder}/byteorder", "little")
        for name, data in (extra or {}).items():
            z.writestr(f"{folder}/{name}", data)
        z.writestr(f"{folder}/version", "3\n")
    return buf.getvalue()


def _attacks(target):
    import builtins
    import subprocess

    return {
        "posix.system": _Evil(os.system, f"touch {target}"),
        "builtins.open": _Evil(builtins.open, str(target), "w"),
        "builtins.eval": _Evil(builtins.eval, f"open({str(target)!r}, 'w')"),
        "builtins.exec": _Evil(builtins.exec, f"open({str(target)!r}, 'w')"),
        "subprocess.check_call": _Evil(subprocess.check_call, ["touch", str(target)]),
    }


@pytest.mark.parametrize("name", ["posix.system", "builtins.open", "builtins.eval",
                                  "builtins.exec", "subprocess.check_call"])  # fmt: skip
@pytest.mark.parametrize("container", ["zip", "nested", "legacy"])
def test_malicious_pickle_never_runs(name, container, tmp_path):
    target = tmp_path / "pwned"
    evil = _attacks(target)[name]
    if container == "legacy":  # the first pickle of a legacy file is the one that runs
        data = pickle.dumps(evil, protocol=2)
    else:
        obj = evil if container == "zip" else {"w": [1, {"deep": evil}]}
        data = _zip(pickle.dumps(obj, protocol=2))
    path = tmp_path / "evil.pt"
    path.write_bytes(data)
    shown = name.removeprefix("builtins.")
    with pytest.raises(pickle.UnpicklingError, match=shown):
        ember.load(path)
    with pytest.raises(pickle.UnpicklingError, match=shown):
        ember.load(io.BytesIO(data))
    assert not target.exists()
    if container != "legacy":
        unsafe = serialization.get_unsafe_globals_in_checkpoint(path)
        assert any(g.endswith("." + name.split(".")[-1]) for g in unsafe), unsafe


def test_blocked_modules_stay_blocked_even_when_allowed(tmp_path):
    target = tmp_path / "pwned"
    data = _zip(pickle.dumps(_Evil(os.system, f"touch {target}"), protocol=2))
    serialization.add_safe_globals([os.system])
    with pytest.raises(pickle.UnpicklingError, match="blocked"):
        ember.load(io.BytesIO(data))
    assert not target.exists()


@pytest.mark.parametrize("proto", [0, 1, 3, 4, 5])
def test_other_pickle_protocols_use_rejected_opcodes(proto, tmp_path):
    target = tmp_path / "pwned"
    data = _zip(pickle.dumps(_Evil(os.system, f"touch {target}"), protocol=proto))
    with pytest.raises(pickle.UnpicklingError):
        ember.load(io.BytesIO(data))
    assert not target.exists()


def test_reduce_only_calls_allowed_functions():
    # GLOBAL torch.Tensor is allowed, but calling it (a huge allocation) is not.
    pkl = b"\x80\x02ctorch\nTensor\nJ\x00\x00\x00\x7f\x85R."
    with pytest.raises(pickle.UnpicklingError, match="reduce"):
        ember.load(io.BytesIO(_zip(pkl)))
    pkl = b"\x80\x02c__builtin__\nbytearray\nJ\x00\x00\x00\x7f\x85R."
    with pytest.raises(pickle.UnpicklingError, match="bytearray"):
        ember.load(io.BytesIO(_zip(pkl)))


# ---------------------------------------------------------------------------------------------
# Malformed files: one clear exception each
# ---------------------------------------------------------------------------------------------
def _valid_file(**extra):
    buf = io.BytesIO()
    ember.save({"w": ember.arange(6.0).reshape(2, 3), "b": ember.zeros(2, dtype=ember.int64), **extra}, buf)  # noqa: E501
    return buf.getvalue()


def _records(data):
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {i.filename.split("/", 1)[1]: z.read(i) for i in z.infolist()}


def _rezip(records):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in records.items():
            z.writestr(f"archive/{name}", data)
    return buf.getvalue()


def _edit(**changes):
    recs = _records(_valid_file())
    for k, v in changes.items():
        k = {"data_pkl": "data.pkl", "data_0": "data/0"}.get(k, k)
        if v is None:
            del recs[k]
        else:
            recs[k] = v(recs[k]) if callable(v) else v
    return _rezip(recs)


@pytest.mark.parametrize(("data", "exc", "match"), [
    (b"", RuntimeError, "not a PyTorch checkpoint"),
    (b"garbage that is not a checkpoint", RuntimeError, "not a PyTorch checkpoint"),
    (b"PK\x03\x04 truncated", RuntimeError, "zip archive"),
    (_valid_file()[:-30], RuntimeError, "zip archive"),
    (_valid_file()[:200], RuntimeError, "zip archive"),
    (_edit(version=None), RuntimeError, "version"),
    (_edit(version=b"30\n"), RuntimeError, "maximum supported version"),
    (_edit(version=b"three"), RuntimeError, "version"),
    (_edit(byteorder=b"middle"), RuntimeError, "byteorder"),
    (_edit(data_0=lambda d: d[:-4]), RuntimeError, "storage 'data/0' has 20 bytes"),
    (_edit(data_0=None), RuntimeError, "no record 'data/0'"),
    (_edit(data_pkl=None), RuntimeError, "no record 'data.pkl'"),
    (_edit(data_pkl=lambda d: d[:-5]), pickle.UnpicklingError, "truncated"),
    (_edit(data_pkl=lambda d: d[:2] + b"\xff" + d[3:]), pickle.UnpicklingError, "Unsupported operand"),  # noqa: E501
    (_edit(data_pkl=lambda d: d.replace(b"K\x02K\x03\x86", b"K\x09K\x03\x86")), RuntimeError, "out of bounds"),  # noqa: E501
    (_edit(data_pkl=lambda d: d.replace(b"FloatStorage", b"FloatStoragX")), pickle.UnpicklingError, "FloatStoragX"),  # noqa: E501
    (_edit(**{"constants.pkl": b""}), RuntimeError, "TorchScript"),
    (pickle.dumps(12345, protocol=2), RuntimeError, "Invalid magic number"),
    (pickle.dumps(serialization.MAGIC_NUMBER, protocol=2) + pickle.dumps(7, protocol=2), RuntimeError, "protocol version"),  # noqa: E501
    (pickle.dumps(serialization.MAGIC_NUMBER, protocol=2)[:-3], pickle.UnpicklingError, "truncated"),  # noqa: E501
])  # fmt: skip
def test_malformed_files_raise_one_clear_error(data, exc, match):
    with pytest.raises(exc, match=match):
        ember.load(io.BytesIO(data))


def test_corrupt_storage_bytes_fail_the_crc():
    data = bytearray(_valid_file())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as z:
        info = z.getinfo("archive/data/0")
    n, m = struct.unpack("<HH", data[info.header_offset + 26 : info.header_offset + 30])
    data[info.header_offset + 30 + n + m] ^= 0xFF
    with pytest.raises(RuntimeError, match="CRC"):
        ember.load(io.BytesIO(bytes(data)))


def test_corrupt_big_storage_fails_the_background_crc(tmp_path):
    path = tmp_path / "big.pt"
    ember.save({"w": ember.zeros(600_000), "b": ember.ones(3)}, path)  # 2.4 MB: checked in a thread
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo("big/data/0")
    n, m = struct.unpack("<HH", data[info.header_offset + 26 : info.header_offset + 30])
    data[info.header_offset + 30 + n + m + 1_000_000] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(RuntimeError, match="CRC"):
        ember.load(path)
    assert ember.load(path, mmap=True)["w"].shape == (600_000,)  # mmap reads lazily: no CRC pass


def test_parameter_attributes_round_trip(tmp_path):
    p = ember.nn.Parameter(ember.ones(2))
    p.tag = "embedding"
    loaded, _ = _round_trip_to_torch({"p": p}, tmp_path / "p.pt")
    assert loaded["p"].tag == "embedding" and isinstance(loaded["p"], torch.nn.Parameter)
    ref = torch.nn.Parameter(torch.ones(2))
    ref.tag = "head"
    assert _from_torch({"p": ref}, tmp_path / "q.pt")["p"].tag == "head"


def test_entry_outside_the_folder():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("archive/data.pkl", b"\x80\x02K\x01.")
        z.writestr("other/x", b"")
    with pytest.raises(RuntimeError, match="not in a subdirectory archive/"):
        ember.load(io.BytesIO(buf.getvalue()))


def _fuzz_corpus():
    torch.manual_seed(0)
    sd = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Linear(3, 1)).state_dict()
    files = []
    buf = io.BytesIO()
    torch.save({"sd": sd, "opt": _optimizer_state(torch)}, buf)
    files.append(buf.getvalue())
    buf = io.BytesIO()
    torch.save({"sd": sd, "t": sd["0.weight"].t()}, buf, _use_new_zipfile_serialization=False)
    files.append(buf.getvalue())
    x = ember.arange(6.0).reshape(2, 3)
    buf = io.BytesIO()
    ember.save({"x": x, "t": x.t(), "u": ember.tensor([1, 2], dtype=ember.uint16),
                "p": ember.nn.Parameter(ember.ones(2)),
                "opt": _optimizer_state(ember)}, buf)  # fmt: skip
    files.append(buf.getvalue())
    return files


def _mutate(rng, data, pkl_span):
    kind = rng.integers(6)
    b = bytearray(data)
    if kind == 0:  # flip a few random bytes anywhere
        for _ in range(rng.integers(1, 4)):
            b[rng.integers(len(b))] = rng.integers(256)
    elif kind == 1:  # truncate
        return bytes(b[: rng.integers(len(b))])
    elif kind == 2:  # insert or delete a run of bytes
        i = rng.integers(len(b))
        if rng.random() < 0.5:
            del b[i : i + rng.integers(1, 9)]
        else:
            b[i:i] = rng.integers(0, 256, rng.integers(1, 9), dtype=np.uint8).tobytes()
    else:  # edit the pickle itself (zip files: re-zipped, so the CRC matches)
        start, end, recs = pkl_span
        pkl = bytearray(b[start:end] if recs is None else recs["data.pkl"])
        for _ in range(rng.integers(1, 4)):
            pkl[rng.integers(len(pkl))] = rng.integers(256)
        if kind == 5:
            pkl = pkl[: rng.integers(1, len(pkl))]
        if recs is None:
            return bytes(b[:start] + pkl + b[end:])
        return _rezip({**recs, "data.pkl": bytes(pkl)})
    return bytes(b)


def test_fuzzed_files_raise_only_documented_errors():
    rng = np.random.default_rng(1234)
    corpus = _fuzz_corpus()
    spans = []
    for data in corpus:
        if data.startswith(b"PK"):
            spans.append((0, 0, _records(data)))
        else:  # legacy: the main pickle sits after the magic, version and sys_info pickles
            spans.append((0, len(data) - 200, None))
    for data in corpus:
        ember.load(io.BytesIO(data))  # the originals load
    n_cases, outcomes, start = 10_000, {"ok": 0}, time.perf_counter()
    for case in range(n_cases):
        i = case % len(corpus)
        data = _mutate(rng, corpus[i], spans[i])
        try:
            ember.load(io.BytesIO(data))
            outcomes["ok"] += 1
        except (pickle.UnpicklingError, RuntimeError) as e:
            outcomes[type(e).__name__] = outcomes.get(type(e).__name__, 0) + 1
        except Exception as e:  # noqa: BLE001 - any other type is the failure this test looks for
            raise AssertionError(f"case {case} (file {i}) raised {type(e).__name__}: {e}") from e
    elapsed = time.perf_counter() - start
    assert outcomes["ok"] < n_cases and len(outcomes) == 3, outcomes
    assert elapsed < 60, f"{n_cases} fuzz cases took {elapsed:.1f}s"


# ---------------------------------------------------------------------------------------------
# Crash safety
# ---------------------------------------------------------------------------------------------
def test_failed_save_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.pt"
    ember.save({"x": ember.ones(2)}, path)
    before = path.read_bytes()

    def crash(f, *args):
        f.write(b"PK\x03\x04 half a file")
        raise KeyboardInterrupt

    monkeypatch.setattr(serialization, "_write_archive", crash)
    with pytest.raises(KeyboardInterrupt):
        ember.save({"x": ember.zeros(1000)}, path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["ckpt.pt"]
    with pytest.raises(pickle.PicklingError):  # fails before any file is touched
        ember.save({"f": lambda: 0}, tmp_path / "new.pt")
    assert os.listdir(tmp_path) == ["ckpt.pt"]


def test_save_through_symlink_and_missing_directory(tmp_path):
    real = tmp_path / "real.pt"
    link = tmp_path / "link.pt"
    ember.save({"x": ember.ones(1)}, real)
    link.symlink_to(real)
    ember.save({"x": ember.zeros(1)}, link)
    assert link.is_symlink() and ember.load(real)["x"].tolist() == [0.0]
    with pytest.raises(RuntimeError, match="Parent directory"):
        ember.save({}, tmp_path / "missing" / "x.pt")


def test_identical_saves_are_identical_bytes(tmp_path):
    obj = {"w": ember.arange(4.0)}
    ember.save(obj, tmp_path / "a.pt")
    first = (tmp_path / "a.pt").read_bytes()
    ember.save(obj, tmp_path / "a.pt")
    assert (tmp_path / "a.pt").read_bytes() == first


@pytest.mark.skipif(sys.byteorder != "little", reason="checks the little-endian record")
def test_byteorder_record(tmp_path):
    ember.save({}, tmp_path / "e.pt")
    with zipfile.ZipFile(tmp_path / "e.pt") as z:
        assert z.read("e/byteorder") == b"little"

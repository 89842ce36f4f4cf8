"""ember.utils.safetensors: the file layout, strict header checks, ember.load of .safetensors."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest

import ember
from ember._tensor import _wrap
from ember.utils import safetensors
from ember.utils.safetensors import SafetensorError

pytestmark = pytest.mark.filterwarnings("error")

try:
    import ml_dtypes
except ImportError:
    ml_dtypes = None

CODES = {"F64": "float64", "F32": "float32", "F16": "float16", "I64": "int64", "I32": "int32",
         "I16": "int16", "I8": "int8", "U64": "uint64", "U32": "uint32", "U16": "uint16",
         "U8": "uint8", "BOOL": "bool", "C64": "complex64"}  # fmt: skip


def _array(rng, name, shape):
    if name == "bool":
        return rng.random(shape) < 0.5
    if name.startswith("complex"):
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(name)
    if name.startswith(("int", "uint")):
        return rng.integers(0, 100, shape).astype(name)
    return rng.standard_normal(shape).astype(name)


def _file(entries, metadata=None, data=None, pad=True):
    """A safetensors file from ``{name: (code, shape, [begin, end])}``, written by hand."""
    header = {"__metadata__": metadata} if metadata is not None else {}
    header.update({k: {"dtype": c, "shape": s, "data_offsets": o} for k, (c, s, o) in entries.items()})  # noqa: E501
    head = json.dumps(header).encode()
    if pad:
        head += b" " * (-len(head) % 8)
    if data is None:
        data = bytes(max((o[-1] for _, _, o in entries.values() if o), default=0))
    return struct.pack("<Q", len(head)) + head + data


def _header(blob):
    (n,) = struct.unpack("<Q", blob[:8])
    return n, json.loads(blob[8 : 8 + n])


@pytest.mark.parametrize("code", [*CODES, pytest.param("BF16", marks=pytest.mark.skipif(ml_dtypes is None, reason="needs ml_dtypes"))])  # noqa: E501
def test_round_trip_every_dtype(code, rng, tmp_path):
    name = CODES.get(code, "bfloat16")
    a = _array(rng, name if name != "bfloat16" else "float32", (3, 2))
    if name == "bfloat16":
        a = a.astype(ml_dtypes.bfloat16)
    tensors = {"x": _wrap(a), "scalar": _wrap(np.array(a[0, 0])), "empty": _wrap(a[:0].copy())}  # noqa: E501
    blob = safetensors.save(tensors)
    _, header = _header(blob)
    assert header["x"]["dtype"] == code and header["scalar"]["shape"] == []
    for back in (safetensors.load(blob), _via_file(tensors, tmp_path)):
        assert list(back) == sorted(tensors)
        for k, t in tensors.items():
            assert back[k].dtype is t.dtype and back[k].shape == t.shape
            np.testing.assert_array_equal(back[k]._array, t._array)


def _via_file(tensors, tmp_path):
    path = tmp_path / "t.safetensors"
    safetensors.save_file(tensors, path)
    return safetensors.load_file(path)


def test_canonical_layout():
    tensors = {"b": ember.zeros(3, dtype=ember.int8), "a": ember.ones(2, dtype=ember.float64),
               "c": ember.zeros(1, dtype=ember.float16), "d": ember.zeros(2)}  # fmt: skip
    blob = safetensors.save(tensors, metadata={"format": "pt", "note": "é"})
    n, header = _header(blob)
    assert n % 8 == 0 and blob[8 + n - 1 : 8 + n] in (b" ", b"}")
    assert list(header) == ["__metadata__", "a", "d", "c", "b"]  # alignment, then name
    assert header["__metadata__"] == {"format": "pt", "note": "é"}
    assert header["a"] == {"dtype": "F64", "shape": [2], "data_offsets": [0, 16]}
    assert header["b"]["data_offsets"] == [26, 29] and len(blob) == 8 + n + 29
    text = blob[8 : 8 + n].decode().rstrip(" ")
    assert " " not in text.replace('"é"', "") and "é" in text  # compact JSON, UTF-8 kept
    assert _header(safetensors.save({"x": ember.ones(1)}))[1]["__metadata__"] == {"format": "pt"}
    assert "__metadata__" not in _header(safetensors.save({"x": ember.ones(1)}, metadata={}))[1]


def test_little_endian_data():
    blob = safetensors.save({"x": ember.tensor([1, 256], dtype=ember.int32)})
    assert blob.endswith(b"\x01\x00\x00\x00\x00\x01\x00\x00")


def test_load_does_not_alias_the_input_and_tensors_are_writable():
    blob = bytearray(safetensors.save({"x": ember.arange(4.0), "y": ember.ones(2)}))
    out = safetensors.load(bytes(blob))
    out["x"][0] = 9.0
    blob[-1] ^= 0xFF
    assert out["x"].tolist() == [9.0, 1.0, 2.0, 3.0] and out["y"].tolist() == [1.0, 1.0]
    again = safetensors.save(out)  # loaded tensors are independent: saving them again works
    assert safetensors.load(again)["x"][0].item() == 9.0


def test_ember_load_of_a_safetensors_path(tmp_path):
    path = tmp_path / "model.safetensors"
    safetensors.save_file({"w": ember.arange(6.0).reshape(2, 3)}, path)
    for loc in (None, "cpu", ember.device("cpu")):
        assert ember.load(path, map_location=loc)["w"].shape == (2, 3)
    assert ember.load(str(path))["w"].sum().item() == 15.0
    with pytest.raises(RuntimeError, match="dict map_location is not supported"):
        ember.load(path, map_location={"cpu": "cpu"})
    with pytest.raises(RuntimeError, match="callable map_location is not supported"):
        ember.load(path, map_location=lambda s, loc: s)


def test_save_file_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "m.safetensors"
    safetensors.save_file({"w": ember.ones(2)}, path)
    before = path.read_bytes()
    with pytest.raises(ValueError, match="non contiguous"):
        safetensors.save_file({"w": ember.ones(2, 3).t()}, path)
    assert path.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == [path.name]


@pytest.mark.parametrize(("tensors", "exc", "match"), [
    ({"w": ember.ones(2, 3).t()}, ValueError, "non contiguous tensor: `w`"),
    ({"w": [1.0]}, ValueError, "Key `w` is invalid"),
    ([ember.ones(1)], ValueError, "Expected a dict"),
    ({"w": ember.ones(1, dtype=ember.complex128)}, ValueError, "no dtype code"),
])  # fmt: skip
def test_save_rejects(tensors, exc, match):
    with pytest.raises(exc, match=match):
        safetensors.save(tensors)


def test_save_rejects_shared_memory_and_bad_metadata():
    w = ember.randn(4, 3)
    with pytest.raises(RuntimeError, match="share memory"):
        safetensors.save({"wte": w, "lm_head": w})
    with pytest.raises(RuntimeError, match="share memory"):
        safetensors.save({"top": w[:2], "bottom": w[2:]})
    with pytest.raises(ValueError, match="metadata"):
        safetensors.save({"w": w}, metadata={"epoch": 3})


GOOD = {"a": ("F32", [2], [0, 8]), "b": ("I8", [3], [8, 11])}


@pytest.mark.parametrize(("blob", "match"), [
    (b"", "HeaderTooSmall"),
    (b"\x05\x00\x00", "HeaderTooSmall"),
    (struct.pack("<Q", 200_000_000) + b"{}", "HeaderTooLarge"),
    (struct.pack("<Q", 64) + b"{}", "InvalidHeaderLength"),
    (struct.pack("<Q", 4) + b"\xff\xfe{}", "InvalidHeader: the header is not UTF-8"),
    (struct.pack("<Q", 4) + b"[1] ", "InvalidHeaderStart"),
    (struct.pack("<Q", 8) + b'{"a": 1 ', "InvalidHeaderDeserialization"),
    (struct.pack("<Q", 16) + b'{"a":{},"a":{}} ', "duplicate key"),
    (struct.pack("<Q", 8) + b"{}      " + b"x", "MetadataIncompleteBuffer"),
    (_file(GOOD, metadata={"epoch": 3}), "invalid type"),
    (_file(GOOD, metadata=["x"]), "invalid type"),
    (_file({"a": ("F8_E4M3", [2], [0, 2])}), "dtype ember can't load: 'F8_E4M3'"),
    (_file({"a": ("F32", [-2], [0, 8])}), "shape"),
    (_file({"a": ("F32", [2.0], [0, 8])}), "shape"),
    (_file({"a": ("F32", [True, 2], [0, 8])}), "shape"),
    (_file({"a": ("F32", [2], [0])}), "data_offsets"),
    (_file({"a": ("F32", [2], [8, 0])}, data=bytes(8)), "InvalidOffset"),
    (_file({"a": ("F32", [2], [0, 8]), "b": ("I8", [3], [9, 12])}), "InvalidOffset"),
    (_file({"a": ("F32", [2], [0, 8]), "b": ("I8", [3], [4, 7])}), "InvalidOffset"),
    (_file({"a": ("F32", [3], [0, 8])}), "TensorInvalidInfo"),
    (_file({"a": ("F32", [2**62, 2**62], [0, 8])}), "TensorInvalidInfo"),
    (_file(GOOD, data=bytes(12)), "MetadataIncompleteBuffer"),
    (_file(GOOD, data=bytes(10)), "MetadataIncompleteBuffer"),
    (_file({"a": ("F32", [2], [0, 8])})[:-1], "MetadataIncompleteBuffer"),
])  # fmt: skip
def test_malformed_files_raise_safetensor_error(blob, match, tmp_path):
    with pytest.raises(SafetensorError, match=match):
        safetensors.load(blob)
    path = tmp_path / "bad.safetensors"
    path.write_bytes(blob)
    with pytest.raises(SafetensorError, match=match):
        safetensors.load_file(path)
    with pytest.raises(RuntimeError):  # SafetensorError is a RuntimeError, as ember.load documents
        ember.load(path)


def test_header_entry_fields_are_strict():
    blob = _file(GOOD)
    n, header = _header(blob)
    header["a"]["extra"] = 1
    head = json.dumps(header).encode()
    with pytest.raises(SafetensorError, match="needs exactly"):
        safetensors.load(struct.pack("<Q", len(head)) + head + blob[8 + n :])


def test_unaligned_header_and_free_key_order():
    blob = _file({"b": ("I8", [3], [8, 11]), "a": ("F32", [2], [0, 8])}, pad=False)
    out = safetensors.load(blob)
    assert list(out) == ["a", "b"] and out["b"].tolist() == [0, 0, 0]


def test_fuzzed_files_raise_only_safetensor_errors():
    rng = np.random.default_rng(7)
    corpus = [safetensors.save({"w": ember.arange(6.0).reshape(2, 3), "i": ember.arange(3),
                                "s": ember.tensor(1.5), "e": ember.zeros(0, 2)}),
              _file(GOOD, metadata={"format": "pt"})]  # fmt: skip
    ok = errors = 0
    for case in range(10_000):
        b = bytearray(corpus[case % 2])
        kind = rng.integers(3)
        if kind == 0:
            for _ in range(rng.integers(1, 4)):
                b[rng.integers(len(b))] = rng.integers(256)
        elif kind == 1:
            b = b[: rng.integers(len(b))]
        else:  # keep the header length right and edit the JSON, to get past the first checks
            n = struct.unpack("<Q", b[:8])[0]
            b[8 + rng.integers(n)] = rng.choice(list(b'0123456789[]{}",: -.eE'))
        try:
            safetensors.load(bytes(b))
            ok += 1
        except SafetensorError:
            errors += 1
    assert ok and errors > 5000

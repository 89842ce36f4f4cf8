"""safetensors files, read and written by ember itself: a header length, a JSON header, raw data.

The layout (https://github.com/huggingface/safetensors): 8 bytes little-endian ``N``, then ``N``
bytes of UTF-8 JSON mapping each tensor name to ``{"dtype", "shape", "data_offsets"}`` (offsets
relative to the data buffer, end exclusive) plus an optional ``"__metadata__"`` of str to str, then
the little-endian, C-contiguous tensor bytes. Readers check what the reference implementation
checks: the offsets tile the buffer with no gap or overlap, each tensor's byte count matches its
shape and dtype, and the header is at most 100 MB. Any violation raises :class:`SafetensorError`.
"""

from __future__ import annotations

import json
import math
import os
import struct
import sys
from typing import Any

import numpy as np

from .._device import device as _device
from .._dtype import BY_NAME
from .._serialization.pickler import _root
from .._tensor import Tensor, _wrap
from ..serialization import _atomic_write

__all__ = ["SafetensorError", "save", "save_file", "load", "load_file"]

# dtype code -> (ember dtype name, itemsize)
_DTYPES = {"F64": ("float64", 8), "F32": ("float32", 4), "F16": ("float16", 2),
           "BF16": ("bfloat16", 2), "I64": ("int64", 8), "I32": ("int32", 4),
           "I16": ("int16", 2), "I8": ("int8", 1), "U64": ("uint64", 8), "U32": ("uint32", 4),
           "U16": ("uint16", 2), "U8": ("uint8", 1), "BOOL": ("bool", 1),
           "C64": ("complex64", 8)}  # fmt: skip
_CODES = {name: code for code, (name, _) in _DTYPES.items()}
_MAX_HEADER = 100_000_000  # the reference implementation's cap
_KEYS = {"dtype", "shape", "data_offsets"}


class SafetensorError(RuntimeError):
    """A malformed safetensors file (the ``SafetensorError`` of the safetensors package)."""


def _header_error(kind: str, detail: str = "") -> SafetensorError:
    return SafetensorError(f"Error while deserializing header: {kind}" + (f": {detail}" if detail else ""))  # noqa: E501


def _header_length(first8: bytes, total: int) -> int:
    if len(first8) < 8:
        raise _header_error("HeaderTooSmall", "a file needs at least the 8-byte header length")
    (n,) = struct.unpack("<Q", first8)
    if n > _MAX_HEADER:
        raise _header_error("HeaderTooLarge", f"{n} bytes (at most {_MAX_HEADER})")
    if 8 + n > total:
        raise _header_error("InvalidHeaderLength", f"{n} bytes of header, but the file has {total - 8}")  # noqa: E501
    return n


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise ValueError("duplicate key in the JSON header")
    return out


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _is_uint(x: Any) -> bool:
    return type(x) is int and x >= 0


def _parse_header(raw: bytes, buffer_len: int) -> tuple[dict[str, str] | None, list[tuple[Any, ...]]]:  # noqa: E501
    """Validated (metadata, [(name, code, shape, begin, end)] in offset order)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _header_error("InvalidHeader", "the header is not UTF-8") from None
    if not text.startswith("{"):
        raise _header_error("InvalidHeaderStart", "the header must be a JSON object")
    try:
        header = json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constant)
    except (ValueError, RecursionError) as e:
        raise _header_error("InvalidHeaderDeserialization", str(e)) from None
    if type(header) is not dict:
        raise _header_error("InvalidHeaderDeserialization", "the header must be a JSON object")
    metadata = header.pop("__metadata__", None)
    if metadata is not None and (
        type(metadata) is not dict or not all(type(v) is str for v in metadata.values())
    ):
        raise _header_error("InvalidHeaderDeserialization", "__metadata__ must map str to str (invalid type)")  # noqa: E501
    entries = []
    for name, info in header.items():
        if type(info) is not dict or set(info) != _KEYS:
            raise _header_error("InvalidHeaderDeserialization", f"tensor {name!r} needs exactly {sorted(_KEYS)}")  # noqa: E501
        code, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
        if type(code) is not str or code not in _DTYPES:
            raise SafetensorError(f"tensor {name!r} has a dtype ember can't load: {code!r:.40}")
        if type(shape) is not list or not all(_is_uint(s) for s in shape) or len(shape) > 64:
            raise _header_error("InvalidHeaderDeserialization", f"tensor {name!r}: shape must be a list of non-negative ints")  # noqa: E501
        if type(offsets) is not list or len(offsets) != 2 or not all(_is_uint(o) for o in offsets):  # noqa: E501
            raise _header_error("InvalidHeaderDeserialization", f"tensor {name!r}: data_offsets must be [begin, end]")  # noqa: E501
        entries.append((name, code, tuple(shape), offsets[0], offsets[1]))
    entries.sort(key=lambda e: (e[3], e[4]))
    pos = 0
    for name, code, shape, begin, end in entries:
        if begin != pos or end < begin:
            raise _header_error("InvalidOffset", f"tensor {name!r} (data_offsets must tile the buffer)")  # noqa: E501
        if end - begin != math.prod(shape) * _DTYPES[code][1]:
            raise _header_error("TensorInvalidInfo", f"invalid shape, data type, or offset for tensor {name!r}")  # noqa: E501
        pos = end
    if pos != buffer_len:
        raise _header_error("MetadataIncompleteBuffer", "incomplete metadata, file not fully covered")  # noqa: E501
    return metadata, entries


def _np_dtype(code: str) -> np.dtype:
    dt = BY_NAME[_DTYPES[code][0]]
    if dt.np is None:
        raise RuntimeError(f"loading {code} tensors needs the package ml_dtypes (pip install ml_dtypes)")  # noqa: E501
    return dt.np


def _tensor(arr: np.ndarray) -> Tensor:
    if sys.byteorder == "big":  # the file is little-endian
        arr.byteswap(inplace=True)
    return _wrap(arr)


def load(data: bytes) -> dict[str, Tensor]:
    r"""Tensors from the bytes of a safetensors file, by name (each tensor owns its memory).

    Examples::

        >>> import ember
        >>> from ember.utils import safetensors
        >>> safetensors.load(safetensors.save({"x": ember.ones(2)}))
        {'x': tensor([1., 1.])}
    """
    data = bytes(data)
    n = _header_length(data[:8], len(data))
    _, entries = _parse_header(data[8 : 8 + n], len(data) - 8 - n)
    out = {}
    for name, code, shape, begin, _ in sorted(entries):
        dt = _np_dtype(code)
        flat = np.frombuffer(data, dt, math.prod(shape), 8 + n + begin)
        out[name] = _tensor(flat.reshape(shape).copy())
    return out


def load_file(filename: str | os.PathLike, device: Any = "cpu") -> dict[str, Tensor]:
    r"""Load a safetensors file into a dict of tensors on ``device`` (``"cpu"``, ``"cuda:0"``, ...).

    Args:
        filename: path of the file.
        device: where the tensors go; an int means that CUDA device.
    """
    dev = _device(device) if not isinstance(device, int) else _device("cuda", device)
    with open(filename, "rb") as f:
        total = os.fstat(f.fileno()).st_size
        n = _header_length(f.read(8), total)
        _, entries = _parse_header(f.read(n), total - 8 - n)
        out = {}
        for name, code, shape, begin, end in sorted(entries):
            arr = np.empty(shape, _np_dtype(code))
            f.seek(8 + n + begin)
            # an ndarray is a Buffer (numpy's stubs: Python >= 3.12)
            if f.readinto(arr.reshape(-1).view(np.uint8)) != end - begin:  # type: ignore[arg-type]
                raise SafetensorError(f"file is truncated inside tensor {name!r}")
            t = _tensor(arr)
            out[name] = t if dev.type == "cpu" else t.to(dev)
    return out


def _shared_groups(tensors: dict[str, Tensor]) -> list[set[str]]:
    groups: dict[int, set[str]] = {}
    for name, t in tensors.items():
        if t._array.nbytes:
            groups.setdefault(id(_root(t._array)), set()).add(name)
    return [g for g in groups.values() if len(g) > 1]


def _serialize(tensors: dict[str, Tensor], metadata: dict[str, str] | None) -> tuple[bytes, list[Any]]:  # noqa: E501
    """The padded header and the arrays to write after it, in order."""
    if not isinstance(tensors, dict):
        raise ValueError(f"Expected a dict of [str, torch.Tensor] but received {type(tensors)}")
    for k, v in tensors.items():
        if not isinstance(k, str) or not isinstance(v, Tensor):
            raise ValueError(f"Key `{k}` is invalid, expected torch.Tensor but received {type(v)}")
        if not v.is_contiguous():
            raise ValueError(
                f"You are trying to save a non contiguous tensor: `{k}` which is not allowed. It "
                "either means you are trying to save tensors which are reference of each other in "
                "which case it's recommended to save only the full tensors, and reslice at load "
                "time, or simply call `.contiguous()` on your tensor to pack it before saving."
            )
        if v.dtype.name not in _CODES:
            raise ValueError(f"safetensors has no dtype code for {v.dtype} (tensor `{k}`)")
    if shared := _shared_groups(tensors):
        raise RuntimeError(
            "Some tensors share memory, this will lead to duplicate memory on disk and potential "
            f"differences when loading them again: {shared}. Save one of them, or `.clone()` "
            "the others."
        )
    if metadata is None:
        metadata = {"format": "pt"}  # what Hugging Face tooling writes and checks for
    if not isinstance(metadata, dict) or not all(type(k) is str and type(v) is str for k, v in metadata.items()):  # noqa: E501
        raise ValueError("metadata must be a dict mapping str to str")
    header: dict[str, Any] = {"__metadata__": metadata} if metadata else {}
    # the canonical order: larger alignment first, then by name
    order = sorted(tensors, key=lambda k: (-tensors[k].itemsize, k))
    arrays, pos = [], 0
    for k in order:
        a = tensors[k]._array
        a = np.asarray(a) if isinstance(a, np.ndarray | np.generic) else a.get()
        a = a.astype(a.dtype.newbyteorder("<"), copy=False)
        header[k] = {"dtype": _CODES[tensors[k].dtype.name], "shape": list(a.shape),
                     "data_offsets": [pos, pos + a.nbytes]}  # fmt: skip
        arrays.append(a.reshape(-1).view(np.uint8))
        pos += a.nbytes
    head = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    head += b" " * (-len(head) % 8)
    return struct.pack("<Q", len(head)) + head, arrays


def save(tensors: dict[str, Tensor], metadata: dict[str, str] | None = None) -> bytes:
    r"""The bytes of a safetensors file holding ``tensors`` (contiguous, not sharing memory).

    Args:
        tensors: name to tensor.
        metadata: free str-to-str metadata; ``None`` writes ``{"format": "pt"}``.

    Examples::

        >>> import ember
        >>> from ember.utils import safetensors
        >>> len(safetensors.save({"x": ember.zeros(3)}))
        108
    """
    head, arrays = _serialize(tensors, metadata)
    return b"".join([head, *(a.tobytes() for a in arrays)])


def save_file(tensors: dict[str, Tensor], filename: str | os.PathLike,
              metadata: dict[str, str] | None = None) -> None:  # fmt: skip
    r"""Write ``tensors`` to a safetensors file (through a temporary file renamed into place).

    Args:
        tensors: name to tensor (contiguous, not sharing memory).
        filename: path of the file.
        metadata: free str-to-str metadata; ``None`` writes ``{"format": "pt"}``.
    """
    head, arrays = _serialize(tensors, metadata)
    with _atomic_write(filename) as out:
        out.write(head)
        for a in arrays:
            out.write(memoryview(a))

"""Reading the legacy (pre-1.6, non-zip) checkpoint format.

``torch.save(..., _use_new_zipfile_serialization=False)`` still writes it: five pickles back to
back (the magic number, the protocol version, ``sys_info``, the object, the list of storage keys),
then each storage's bytes, an int64 element count and the data. The object's pickle names
storages by persistent ids ``('storage', type, key, location, numel, view)``.
"""

from __future__ import annotations

import io
import pickle
import struct
import sys
from typing import IO, Any

import numpy as np

from .. import _dtype as D
from .storage import Restore, _location, _np_dtype, _Storage, _StorageType
from .unpickler import _full_unpickle, _WeightsOnlyUnpickler

MAGIC_NUMBER = 0x1950A86A20F9469CFC6C  # first pickle of a legacy (pre-1.6) checkpoint
PROTOCOL_VERSION = 1001


class _LegacyStorages:
    """Storages of a legacy file: allocated when the pickle names them, filled from the tail."""

    def __init__(self, file_size: int) -> None:
        self.budget = file_size  # storages can't hold more bytes than the file
        self.roots: dict[str, tuple[np.ndarray, D.dtype | None, str]] = {}
        self.views: dict[str, tuple[str, int, int]] = {}
        self.placed: dict[str, Any] | None = None  # root key -> relocated bytes, on a 2nd pass

    def persistent_load(self, pid: tuple[Any, ...]) -> Any:
        if type(pid) is tuple and len(pid) == 4 and pid[0] in ("module", b"module"):
            return pid[1]  # weights_only=False: a module class pickled with its source
        if type(pid) is not tuple or len(pid) != 6 or pid[0] not in ("storage", b"storage"):
            raise pickle.UnpicklingError(f"legacy storage id must have 6 fields, got {pid!r:.100}")
        _, stype, key, location, numel, view = pid
        if type(stype) is not _StorageType or type(key) is not str or type(numel) is not int:
            raise pickle.UnpicklingError(f"malformed storage id {pid!r:.100}")
        isz = stype.itemsize
        if key not in self.roots:
            if not 0 <= numel * isz <= self.budget:
                raise RuntimeError(f"storage {key!r} claims {numel} elements, more than the file holds")  # noqa: E501
            self.budget -= numel * isz
            self.roots[key] = (np.zeros(numel * isz, np.uint8), stype.dtype, _location(location))
        if self.roots[key][0].nbytes != numel * isz:
            raise RuntimeError(f"storage {key!r} is used with two different sizes")
        data = self.roots[key][0] if self.placed is None else self.placed[key]
        if view is not None:  # a storage view (torch < 0.4): a slice of the root storage
            if type(view) is not tuple or len(view) != 3 or not all(type(v) is int for v in view[1:]):  # noqa: E501
                raise pickle.UnpicklingError(f"malformed storage view {view!r:.100}")
            _, offset, size = view
            if offset < 0 or size < 0 or (offset + size) * isz > data.nbytes:
                raise RuntimeError(f"storage view {view!r:.100} is out of bounds")
            data = data[offset * isz : (offset + size) * isz]
        return _Storage(data, stype.dtype)

    def fill(self, data: bytes, pos: int, keys: Any, little_endian: bool) -> None:
        """Copy each storage's bytes from the file's tail (an int64 count, then the data)."""
        if type(keys) is not list or not all(type(k) is str for k in keys):
            raise RuntimeError("legacy checkpoint: the storage key list is missing")
        for key in keys:
            if key not in self.roots:
                raise RuntimeError(f"legacy checkpoint: storage key {key!r} not found")
            root, dt, _ = self.roots[key]
            isz = 1 if dt is None else dt.itemsize
            if pos + 8 > len(data):
                raise RuntimeError("legacy checkpoint is truncated")
            (count,) = struct.unpack("<q" if little_endian else ">q", data[pos : pos + 8])
            if count * isz != root.nbytes:
                raise RuntimeError(f"storage has wrong size: expected {root.nbytes // isz} got {count}")  # noqa: E501
            pos += 8
            if pos + root.nbytes > len(data):
                raise RuntimeError("legacy checkpoint is truncated")
            root[:] = np.frombuffer(data, np.uint8, root.nbytes, pos)
            pos += root.nbytes
            if little_endian != (sys.byteorder == "little") and dt is not None:
                root.view(_np_dtype(dt)).byteswap(inplace=True)


def _load_legacy(f: IO[bytes], restore: Restore, weights_only: bool, pickle_module: Any) -> Any:
    data = f.read()
    if not data.startswith(b"\x80"):
        raise RuntimeError(
            "not a PyTorch checkpoint: expected a zip archive (torch.save) or a legacy pickle, "
            f"got {data[:8]!r}"
        )
    storages = _LegacyStorages(len(data))
    pos = 0

    def run(persistent_load: Any = None) -> Any:
        nonlocal pos
        if weights_only:
            u = _WeightsOnlyUnpickler(data, pos, persistent_load)
            out = u.load()
            pos = u.pos
            return out
        buf = io.BytesIO(data)
        buf.seek(pos)
        out = _full_unpickle(buf, persistent_load, pickle_module)
        pos = buf.tell()
        return out

    if run() != MAGIC_NUMBER:
        raise RuntimeError("Invalid magic number; corrupt file?")
    version = run()
    if version != PROTOCOL_VERSION:
        raise RuntimeError(f"Invalid protocol version: {version!r:.40}")
    sys_info = run()
    little = sys_info.get("little_endian", True) if type(sys_info) is dict else True
    start = pos
    result = run(storages.persistent_load)
    keys = run()
    storages.fill(data, pos, keys, bool(little))
    placed = {k: restore(root, loc, dt) for k, (root, dt, loc) in storages.roots.items()}
    if any(placed[k] is not root for k, (root, _, _) in storages.roots.items()):
        # map_location moved a storage: rebuild the object over the moved storages
        storages.placed, pos = placed, start
        result = run(storages.persistent_load)
    return result

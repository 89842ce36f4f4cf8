"""torch's zip checkpoint format: reading an archive and writing one.

An archive holds one top-level folder (its name is free) with ``data.pkl`` (the pickle),
``version``, ``byteorder``, ``.format_version``, ``.storage_alignment``,
``.data/serialization_id`` and one STORED record ``data/<key>`` per storage, its data starting at
a multiple of 64 bytes so that ``mmap`` can view it in place. The pickle names each storage by a
persistent id ``('storage', torch.FloatStorage, key, location, numel)``.
"""

from __future__ import annotations

import io
import os
import pickle
import struct
import sys
import zipfile
import zlib
from concurrent.futures import ThreadPoolExecutor
from typing import IO, Any

import numpy as np

from .storage import Restore, _location, _np_dtype, _Storage, _StorageType
from .unpickler import _full_unpickle, _WeightsOnlyUnpickler

STORAGE_ALIGNMENT = 64
_MAX_VERSION = 10  # torch 2.13 reads archive versions 1..10


# ---------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError,
               struct.error, NotImplementedError, zlib.error, OverflowError, KeyError)  # fmt: skip
_CORRUPT = "PytorchStreamReader failed reading zip archive"


class _ZipReader:
    """The records of a torch zip checkpoint, under one top-level folder whose name is free."""

    def __init__(self, f: IO[bytes], mm: Any = None) -> None:
        self.f, self.mm = f, mm
        self.background_crc = False  # check big records' CRCs in a thread, while reading on
        self.pending: list[tuple[str, int, Any]] = []
        self.pool: ThreadPoolExecutor | None = None
        try:
            self.size = f.seek(0, os.SEEK_END)
            zf = zipfile.ZipFile(f)
            infos = zf.infolist()
        except _ZIP_ERRORS as e:
            raise RuntimeError(f"{_CORRUPT}: {e}. The checkpoint file is likely corrupted.") from None  # noqa: E501
        self.zf = zf
        if not infos or "/" not in infos[0].filename:
            raise RuntimeError(f"{_CORRUPT}: no top-level folder in the archive")
        folder = infos[0].filename.split("/", 1)[0] + "/"
        self.records = {}
        for info in infos:
            if not info.filename.startswith(folder):
                raise RuntimeError(f"file in archive is not in a subdirectory {folder}: {info.filename}")  # noqa: E501
            self.records[info.filename[len(folder) :]] = info

    def read(self, name: str, nbytes: int | None = None) -> np.ndarray:
        """A record's bytes as a writable uint8 array (a view of the file when memory-mapped)."""
        info = self.records.get(name)
        if info is None:
            raise RuntimeError(f"{_CORRUPT}: no record '{name}' in the archive")
        if nbytes is not None and info.file_size != nbytes:
            raise RuntimeError(
                f"storage '{name}' has {info.file_size} bytes, but its pickle entry says {nbytes}"
            )
        try:
            if info.compress_type != zipfile.ZIP_STORED:
                with self.zf.open(info) as r:  # zipfile checks the CRC
                    return np.frombuffer(bytearray(r.read()), np.uint8)
            return self._read_stored(info)
        except _ZIP_ERRORS as e:
            raise RuntimeError(f"{_CORRUPT}: can't read record '{name}': {e}") from None

    def _read_stored(self, info: zipfile.ZipInfo) -> np.ndarray:
        # perf: read straight into the array (one copy, no CRC pass over an mmap).
        self.f.seek(info.header_offset)
        head = self.f.read(30)
        if len(head) != 30 or head[:4] != b"PK\x03\x04" or info.compress_size != info.file_size:
            raise zipfile.BadZipFile("bad local file header")
        name_len, extra_len = struct.unpack("<HH", head[26:30])
        start, n = info.header_offset + 30 + name_len + extra_len, info.file_size
        if start + n > self.size:
            raise zipfile.BadZipFile("record data runs past the end of the file")
        if self.mm is not None:
            return np.frombuffer(self.mm, np.uint8, n, start)
        out = np.empty(n, np.uint8)
        self.f.seek(start)
        if hasattr(self.f, "readinto"):
            got = self.f.readinto(out)
        else:
            chunk = self.f.read(n)
            got = len(chunk)
            out[:got] = np.frombuffer(chunk, np.uint8)
        if got != n:
            raise zipfile.BadZipFile("record data is truncated")
        # torch writes CRC 0 when its CRC option is off; any other value must match.
        if info.CRC and self.background_crc and n >= 1 << 20:
            # perf: zlib releases the GIL, so the check overlaps reading the next records
            self.pool = self.pool or ThreadPoolExecutor(1)
            # an ndarray is a Buffer (numpy's stubs: Python >= 3.12)
            self.pending.append((info.filename, info.CRC, self.pool.submit(zlib.crc32, out)))  # type: ignore[arg-type]  # noqa: E501
        elif info.CRC and zlib.crc32(out) != info.CRC:  # type: ignore[arg-type]  # as above
            raise zipfile.BadZipFile(f"Bad CRC-32 for file {info.filename!r}")
        return out

    def finish(self) -> None:
        """Wait for the background CRC checks: RuntimeError if a record is corrupt."""
        try:
            for name, crc, job in self.pending:
                if job.result() != crc:
                    raise RuntimeError(f"{_CORRUPT}: Bad CRC-32 for file {name!r}")
        finally:
            if self.pool is not None:
                self.pool.shutdown()

    def text(self, name: str) -> str:
        try:
            return self.read(name).tobytes().decode("utf-8")
        except UnicodeDecodeError:
            raise RuntimeError(f"{_CORRUPT}: record '{name}' is not text") from None


def _load_zip(f: IO[bytes], restore: Restore, weights_only: bool, mm: Any,
              pickle_module: Any) -> Any:  # fmt: skip
    z = _ZipReader(f, mm)
    if "constants.pkl" in z.records:
        raise RuntimeError("this is a TorchScript archive (torch.jit.save); ember can't load those")
    vname = "version" if "version" in z.records else ".data/version"
    if vname not in z.records:
        raise RuntimeError(f"{_CORRUPT}: Expected hasRecord(\"version\") to be true")
    version = z.text(vname).strip()
    if not version.isdigit() or not 1 <= int(version) <= _MAX_VERSION:
        raise RuntimeError(
            f"Attempted to read a PyTorch file with version {version!r}, but the maximum "
            f"supported version for reading is {_MAX_VERSION}."
        )
    order = z.text("byteorder").strip() if "byteorder" in z.records else "little"
    if order not in ("little", "big"):
        raise RuntimeError(f"{_CORRUPT}: unknown byteorder {order!r}")
    swap = order != sys.byteorder
    cache: dict[str, Any] = {}

    def persistent_load(pid: tuple[Any, ...]) -> _Storage:
        if len(pid) != 5:
            raise pickle.UnpicklingError(f"storage id must be ('storage', type, key, location, numel), got {pid!r:.100}")  # noqa: E501
        _, stype, key, location, numel = pid
        if type(stype) is not _StorageType or type(key) is not str or type(numel) is not int:
            raise pickle.UnpicklingError(f"malformed storage id {pid!r:.100}")
        nbytes = numel * stype.itemsize
        if key not in cache:
            raw = z.read(f"data/{key}", nbytes)
            if swap and stype.dtype is not None:
                raw.view(_np_dtype(stype.dtype)).byteswap(inplace=True)
            cache[key] = (restore(raw, _location(location), stype.dtype), [swap and stype.dtype is None])  # noqa: E501
        data, pending = cache[key]
        if data.nbytes != nbytes:
            raise RuntimeError(f"storage '{key}' is used with two different sizes")
        return _Storage(data, stype.dtype, pending)

    pkl = z.read("data.pkl").tobytes()
    # a callable map_location or a byteswap could write to a buffer while its CRC is computed
    z.background_crc = not swap and not getattr(restore, "calls_user", False)
    try:
        if weights_only:
            result = _WeightsOnlyUnpickler(pkl, 0, persistent_load).load()
        else:
            result = _full_unpickle(io.BytesIO(pkl), persistent_load, pickle_module)
    finally:
        z.finish()  # raises on a bad CRC, so a corrupt file never returns a result
    return result


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------
class _ZipWriter:
    """torch's zip layout: STORED records whose data start at multiples of 64, zip64 as needed."""

    def __init__(self, f: IO[bytes], folder: str) -> None:
        self.f, self.folder, self.pos = f, folder, 0
        self.entries: list[tuple[bytes, int, int, int]] = []

    def _write(self, b: Any) -> None:
        self.f.write(b)
        self.pos += memoryview(b).nbytes

    def write(self, name: str, data: Any, crc: int | None = None) -> None:
        name_b, n = f"{self.folder}/{name}".encode(), memoryview(data).nbytes
        crc, big = zlib.crc32(data) if crc is None else crc, n >= 0xFFFFFFFF
        extra = struct.pack("<HHQQ", 1, 16, n, n) if big else b""
        pad = -(self.pos + 30 + len(name_b) + len(extra) + 4) % STORAGE_ALIGNMENT
        extra += b"FB" + struct.pack("<H", pad) + b"Z" * pad  # torch's padding field
        n32 = 0xFFFFFFFF if big else n
        self.entries.append((name_b, crc, n, self.pos))
        head = struct.pack("<IHHHHHIIIHH", 0x04034B50, 45 if big else 20, 0x0800, 0, 0, 0x21,
                           crc, n32, n32, len(name_b), len(extra))  # fmt: skip
        self._write(head + name_b + extra)
        self._write(data)

    def close(self) -> None:
        cd_start = self.pos
        for name_b, crc, n, off in self.entries:
            big = [v for v in (n, n) if n >= 0xFFFFFFFF] + ([off] if off >= 0xFFFFFFFF else [])
            extra = struct.pack(f"<HH{len(big)}Q", 1, 8 * len(big), *big) if big else b""
            self._write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45 if big else 20,
                                    0x0800, 0, 0, 0x21, crc, min(n, 0xFFFFFFFF),
                                    min(n, 0xFFFFFFFF), len(name_b), len(extra), 0, 0, 0, 0,
                                    min(off, 0xFFFFFFFF)) + name_b + extra)  # fmt: skip
        cd_size, count, end64 = self.pos - cd_start, len(self.entries), self.pos
        self._write(struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, count, count,
                                cd_size, cd_start))  # fmt: skip
        self._write(struct.pack("<IIQI", 0x07064B50, 0, end64, 1))
        self._write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, min(count, 0xFFFF),
                                min(count, 0xFFFF), min(cd_size, 0xFFFFFFFF),
                                min(cd_start, 0xFFFFFFFF), 0))  # fmt: skip


def _write_archive(f: IO[bytes], folder: str, pkl: Any, records: list[np.ndarray]) -> None:
    """The records in the order torch 2.13 writes them."""
    z = _ZipWriter(f, folder)
    z.write("data.pkl", pkl)
    z.write(".format_version", b"1")
    z.write(".storage_alignment", str(STORAGE_ALIGNMENT).encode())
    z.write("byteorder", sys.byteorder.encode())
    # perf: a thread computes the CRCs (zlib releases the GIL) while earlier records are written
    with ThreadPoolExecutor(1) as pool:
        # an ndarray is a Buffer (numpy's stubs: Python >= 3.12)
        crcs = [pool.submit(zlib.crc32, r) if r.nbytes >= 1 << 20 else None for r in records]  # type: ignore[arg-type]  # noqa: E501
        for i, (rec, crc) in enumerate(zip(records, crcs)):
            z.write(f"data/{i}", rec, None if crc is None else crc.result())
    z.write("version", b"3\n")
    # torch writes 40 decimal digits; ours come from the content, so equal saves are equal bytes
    z.write(".data/serialization_id", b"%040d" % zlib.crc32(repr([e[1] for e in z.entries]).encode()))  # noqa: E501
    z.close()

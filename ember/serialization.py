"""``save`` and ``load`` in PyTorch's checkpoint formats: ``.pt`` (zip and legacy), safetensors.

:func:`save` writes torch's zip format (pickle protocol 2, one 64-byte aligned record per storage,
storages shared between views written once), so ``torch.load(f, weights_only=True)`` reads it, with
``mmap=True`` too. :func:`load` reads what ``torch.save`` writes (the zip format and the pre-1.6
legacy format) and what :func:`save` writes, plus ``.safetensors`` files as torch 2.13 does.

By default :func:`load` runs a weights-only unpickler: only protocol-2 opcodes, and only the
globals torch allows (tensor rebuild functions, storages, dtypes, ``OrderedDict``, ...) plus those
registered with :func:`add_safe_globals`. Nothing a file names outside that list is ever imported
or called.

Errors. A malformed or hostile file raises one of two exception types, never a crash inside NumPy
and never a half-built result:

* :class:`pickle.UnpicklingError`: the pickle (``data.pkl``) is truncated or malformed, uses an
  opcode outside the weights-only set, names a global that is not allowed (the message names it),
  or hands a rebuild function arguments of the wrong kind. torch raises this type for these too.
* :class:`RuntimeError`: the container is wrong (not a zip or legacy checkpoint, a missing or
  corrupt record, a CRC mismatch, an unsupported ``version``, a storage whose size disagrees with
  its pickle entry), a tensor's sizes, strides and offset reach outside its storage (torch's
  ``setStorage ... out of bounds``), or the file needs something ember lacks (quantized or sparse
  tensors, float8 dtypes, bfloat16 without ``ml_dtypes``, TorchScript, CUDA without CuPy).
  Malformed safetensors files raise ``ember.utils.safetensors.SafetensorError``, a RuntimeError.

Wrong argument types (``map_location=3``) raise TypeError and missing files FileNotFoundError, as
in torch.

The implementation lives in the private package ``ember._serialization``, one concept per module:
``archive`` (the zip format), ``legacy`` (the pre-1.6 format), ``pickler`` (the pickle ``save``
writes), ``unpickler`` and ``allowlist`` (weights-only loading), ``rebuild`` (the tensor rebuild
functions) and ``storage`` (storages and ``map_location``). Its ``__init__`` has the map.
"""

from __future__ import annotations

import contextlib
import io
import mmap as _mmap
import os
import pickle
from typing import IO, TYPE_CHECKING, Any, Callable, Iterator, Union

import numpy as np

from ._serialization.allowlist import _torch_globals, _user_allowed, _user_globals
from ._serialization.archive import STORAGE_ALIGNMENT as STORAGE_ALIGNMENT
from ._serialization.archive import _load_zip, _write_archive, _ZipReader
from ._serialization.legacy import MAGIC_NUMBER as MAGIC_NUMBER
from ._serialization.legacy import PROTOCOL_VERSION as PROTOCOL_VERSION
from ._serialization.legacy import _load_legacy
from ._serialization.pickler import DEFAULT_PROTOCOL, _Pickler, _StorageWriter
from ._serialization.rebuild import _parameter_type
from ._serialization.storage import _restore_fn, _restore_to
from ._serialization.unpickler import UNSAFE_MESSAGE as UNSAFE_MESSAGE
from ._serialization.unpickler import _globals_in_pickle
from ._tensor import Tensor, _wrap

if TYPE_CHECKING:
    from typing_extensions import TypeIs  # typing.TypeIs needs Python 3.13

__all__ = ["save", "load", "add_safe_globals", "safe_globals", "get_safe_globals",
           "clear_safe_globals", "get_unsafe_globals_in_checkpoint",
           "DEFAULT_PROTOCOL"]  # fmt: skip

FileLike = Union[str, os.PathLike, IO[bytes]]


# ---------------------------------------------------------------------------------------------
# Allow-list: the user's safe globals (torch's own are in _serialization/allowlist.py)
# ---------------------------------------------------------------------------------------------
def add_safe_globals(safe_globals: list[Callable | tuple[Callable, str]]) -> None:
    r"""Allow ``weights_only`` loading to use these globals (classes or functions).

    Args:
        safe_globals: objects, or ``(object, "module.name")`` pairs when the object is pickled
            under another name than ``obj.__module__ + "." + obj.__qualname__``.

    Examples::

        >>> import ember
        >>> class MyConfig:
        ...     pass
        >>> ember.serialization.add_safe_globals([MyConfig])
        >>> MyConfig in ember.serialization.get_safe_globals()
        True
        >>> ember.serialization.clear_safe_globals()
    """
    for g in safe_globals:
        if g not in _user_globals:
            _user_globals.append(g)


def get_safe_globals() -> list[Callable | tuple[Callable, str]]:
    """The globals added with :func:`add_safe_globals` (and active :class:`safe_globals`)."""
    return list(_user_globals)


def clear_safe_globals() -> None:
    """Forget every global added with :func:`add_safe_globals`."""
    _user_globals.clear()


class safe_globals:
    r"""Context manager: allow these globals for ``weights_only`` loading inside the block.

    Examples::

        >>> import collections, ember
        >>> with ember.serialization.safe_globals([collections.namedtuple]):
        ...     collections.namedtuple in ember.serialization.get_safe_globals()
        True
    """

    def __init__(self, safe_globals: list[Callable | tuple[Callable, str]]) -> None:
        self.safe_globals = safe_globals

    def __enter__(self) -> None:
        self._added = [g for g in self.safe_globals if g not in _user_globals]
        add_safe_globals(self._added)

    def __exit__(self, *exc: object) -> None:
        for g in self._added:
            with contextlib.suppress(ValueError):
                _user_globals.remove(g)


# ---------------------------------------------------------------------------------------------
# Files: a path or an open file, written atomically
# ---------------------------------------------------------------------------------------------
def _is_path(f: Any) -> TypeIs[str | os.PathLike]:
    return isinstance(f, str | os.PathLike)


@contextlib.contextmanager
def _atomic_write(path: Any) -> Iterator[IO[bytes]]:
    """A temporary file beside ``path``, fsynced and renamed over it only once fully written."""
    path = os.path.realpath(os.fspath(path))  # write through symlinks, as open() would
    parent = os.path.dirname(path)
    if not os.path.isdir(parent):
        raise RuntimeError(f"Parent directory {parent} does not exist.")
    tmp = f"{path}.{os.urandom(6).hex()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


# ---------------------------------------------------------------------------------------------
# Python's own pickle and copy of a tensor: kept here, as pickles name `_unpickle_tensor` by path
# ---------------------------------------------------------------------------------------------
def _reduce_tensor(t: Tensor) -> tuple[Any, tuple[Any, ...]]:
    """``Tensor.__reduce_ex__`` for Python's own pickle and ``copy``: the array, on the host."""
    a, param = t._array, _parameter_type()
    host = np.asarray(a) if isinstance(a, np.ndarray | np.generic) else a.get()
    is_param = param is not None and isinstance(t, param)
    return _unpickle_tensor, (host, str(t.device), t.requires_grad, is_param)


_reduce_parameter = _reduce_tensor  # Parameter.__reduce_ex__


def _unpickle_tensor(array: np.ndarray, location: str, requires_grad: bool,
                     parameter: bool = False) -> Tensor:  # fmt: skip
    t = _wrap(_restore_to(array, location), requires_grad)
    return _parameter_type()(t, requires_grad) if parameter else t


# ---------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------
def save(obj: object, f: FileLike) -> None:
    r"""Save an object (tensors, state dicts, nested containers) in torch's checkpoint format.

    The file is a zip archive exactly as ``torch.save`` writes it (pickle protocol 2, one record
    per storage, 64-byte aligned): ``torch.load(f, weights_only=True)`` reads it, with
    ``mmap=True`` as well. Tensors that view one buffer (tied weights, ``x`` and ``x.t()``) share
    one storage record and load back sharing memory. A state dict keeps its ``_metadata``.

    When ``f`` is a path the archive is written to a temporary file beside it, flushed to disk
    and renamed over ``f``: a crash mid-save leaves the previous file intact.

    .. warning::
        Saving a whole module (``ember.save(model)``) pickles its class by reference; loading it
        needs ``weights_only=False``, which runs whatever code the file names. Prefer
        ``ember.save(model.state_dict(), f)``.

    Args:
        obj: the object to save.
        f: a path (str or ``os.PathLike``) or a binary file object open for writing.

    Examples::

        >>> import io, ember
        >>> buf = io.BytesIO()
        >>> ember.save({"w": ember.ones(2, 3)}, buf)
        >>> _ = buf.seek(0)
        >>> ember.load(buf)["w"].shape
        torch.Size([2, 3])
    """
    storages = _StorageWriter()
    pkl = io.BytesIO()
    _Pickler(pkl, storages).dump(obj)
    if _is_path(f):
        stem = os.path.splitext(os.path.basename(os.fspath(f)))[0] or "archive"
        with _atomic_write(f) as out:
            _write_archive(out, stem, pkl.getbuffer(), storages.records)
    else:
        _write_archive(f, "archive", pkl.getbuffer(), storages.records)


def load(f: FileLike, map_location: Any = None, pickle_module: Any = None, *,
         weights_only: bool = True, mmap: bool | None = None) -> Any:  # fmt: skip
    r"""Load an object saved with ``torch.save`` or :func:`save`.

    Reads torch's zip format, the legacy (pre-1.6) format and, for a path ending in
    ``.safetensors``, safetensors files (see :mod:`ember.utils.safetensors`).

    With ``weights_only=True`` (the default) the pickle may only use torch's allow-listed globals
    (tensors, Parameters, dtypes, devices, ``OrderedDict``, containers and numbers) and those
    added with :func:`add_safe_globals`; anything else raises :class:`pickle.UnpicklingError`
    naming the global, before it is imported or called. Setting ``TORCH_FORCE_WEIGHTS_ONLY_LOAD=1``
    forces it on.

    .. warning::
        ``weights_only=False`` uses Python's full unpickler (needed for whole-module pickles), and
        a malicious file can then run arbitrary code. Only use it for files you trust.

    Args:
        f: a path or a binary file object open for reading (seekable).
        map_location: where storages go: ``None`` (where they were saved), a device or device
            string, a dict mapping saved locations to new ones, or a callable
            ``(storage, location) -> tensor | None`` (``None`` keeps the default).
        pickle_module: with ``weights_only=False``, the module whose ``Unpickler`` is used.
        weights_only: restrict unpickling to tensors and plain containers (default ``True``).
        mmap: memory-map the file instead of reading it (zip files given by path only); tensors
            are copy-on-write views of the file.

    Raises:
        pickle.UnpicklingError: the pickle is malformed or uses a global that is not allowed.
        RuntimeError: the archive or a storage is malformed, or uses a feature ember lacks.

    Examples::

        >>> import io, ember
        >>> buf = io.BytesIO()
        >>> w = ember.arange(6.0).reshape(2, 3)
        >>> ember.save({"w": w, "wt": w.t()}, buf)
        >>> _ = buf.seek(0)
        >>> sd = ember.load(buf, map_location="cpu")
        >>> sd["wt"]
        tensor([[0., 3.],
                [1., 4.],
                [2., 5.]])
    """
    if os.getenv("TORCH_FORCE_WEIGHTS_ONLY_LOAD", "0").lower() in ("1", "y", "yes", "true"):
        weights_only = True
    if weights_only and pickle_module is not None:
        raise RuntimeError("Can not safely load weights when explicit pickle_module is specified")
    if _is_path(f) and os.fsdecode(f).endswith(".safetensors"):
        return _load_safetensors(os.fsdecode(f), map_location)
    restore = _restore_fn(map_location)
    pickle_module = pickle_module or pickle
    with contextlib.ExitStack() as stack:
        fh = stack.enter_context(open(f, "rb")) if _is_path(f) else f  # noqa: SIM115
        if not fh.seekable():
            fh = io.BytesIO(fh.read())
        start = fh.tell()
        is_zip = fh.read(4) == b"PK\x03\x04"
        fh.seek(start)
        if is_zip:
            mm = None
            if mmap:
                if not _is_path(f):
                    raise ValueError("f must be a file path in order to use the mmap argument")
                if os.path.getsize(f) > 0:
                    mm = _mmap.mmap(fh.fileno(), 0, access=_mmap.ACCESS_COPY)
            return _load_zip(fh, restore, weights_only, mm, pickle_module)
        if mmap:
            raise RuntimeError(
                "mmap can only be used with files saved with "
                "`torch.save(_use_new_zipfile_serialization=True)`, please torch.save your "
                "checkpoint with this option in order to use mmap."
            )
        return _load_legacy(fh, restore, weights_only, pickle_module)


def _load_safetensors(path: str, map_location: Any) -> dict[str, Tensor]:
    # torch 2.13: a .safetensors path goes to safetensors.torch.load_file with a device.
    from .utils import safetensors  # noqa: PLC0415

    if isinstance(map_location, dict) or callable(map_location):
        kind = "dict" if isinstance(map_location, dict) else "callable"
        raise RuntimeError(
            f"Loading safetensors file with {kind} map_location is not supported. Use a device "
            "string or torch.device instead."
        )
    return safetensors.load_file(path, device="cpu" if map_location is None else str(map_location))  # noqa: E501


def get_unsafe_globals_in_checkpoint(f: FileLike) -> list[str]:
    r"""The globals in a checkpoint's pickle that ``weights_only`` loading would reject.

    Nothing in the pickle runs. Names allowed by default or through :func:`add_safe_globals` are
    left out.

    Examples::

        >>> import io, ember
        >>> buf = io.BytesIO()
        >>> ember.save({"w": ember.zeros(1)}, buf)
        >>> _ = buf.seek(0)
        >>> ember.serialization.get_unsafe_globals_in_checkpoint(buf)
        []
    """
    with contextlib.ExitStack() as stack:
        fh = stack.enter_context(open(f, "rb")) if _is_path(f) else f  # noqa: SIM115
        start = fh.tell()
        if fh.read(4) != b"PK\x03\x04":
            raise ValueError("Expected input to be a checkpoint returned by torch.save")
        fh.seek(start)
        z = _ZipReader(fh)
        if "constants.pkl" in z.records:
            raise ValueError("Expected input to be a checkpoint returned by torch.save but got a torchscript checkpoint")  # noqa: E501
        names = _globals_in_pickle(z.read("data.pkl").tobytes())
    allowed = set(_torch_globals()) | set(_user_allowed())
    return sorted(names - allowed)

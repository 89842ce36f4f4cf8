"""The unpicklers: weights-only (torch's protocol-2 opcode subset, run over bytes) and full.

The weights-only unpickler runs only the opcodes protocol 2 needs, resolves each GLOBAL through
the allow-list and calls only allowed functions. Any malformed input becomes
:class:`pickle.UnpicklingError` (a failed storage or geometry check stays a RuntimeError). The full
unpickler (``weights_only=False``) imports any global, with torch's names mapped onto ember's.
"""

from __future__ import annotations

import _compat_pickle
import pickle
import struct
from collections import Counter, OrderedDict
from typing import IO, Any, Callable, Sequence

from .._tensor import Size
from .allowlist import _callables, _is_user_allowed, _resolve_global
from .rebuild import _parameter_type, _rebuild_parameter

UNSAFE_MESSAGE = (
    "Re-running `ember.load` with `weights_only` set to `False` will likely succeed, but it can "
    "result in arbitrary code execution. Do it only if you got the file from a trusted source."
)

_OP_ARG_BYTES = {b"N"[0]: 0, 0x88: 0, 0x89: 0, b")"[0]: 0, b"]"[0]: 0, b"}"[0]: 0, 0x8F: 0,
                 b"("[0]: 0, b"t"[0]: 0, 0x85: 0, 0x86: 0, 0x87: 0, b"a"[0]: 0, b"e"[0]: 0,
                 b"s"[0]: 0, b"u"[0]: 0, b"R"[0]: 0, b"b"[0]: 0, 0x81: 0, b"Q"[0]: 0,
                 b"J"[0]: 4, b"K"[0]: 1, b"M"[0]: 2, b"G"[0]: 8, b"h"[0]: 1, b"j"[0]: 4,
                 b"q"[0]: 1, b"r"[0]: 4, 0x80: 1}  # fmt: skip
_STOP, _GLOBAL, _BINUNICODE, _SHORT_BINSTRING, _LONG1 = 0x2E, 0x63, 0x58, 0x55, 0x8A


class _WeightsOnlyUnpickler:
    """Runs one pickle from ``data[pos:]`` with torch's weights-only rules; ``load`` returns it."""

    def __init__(self, data: bytes, pos: int, persistent_load: Callable[[Any], Any] | None) -> None:  # noqa: E501
        self.data, self.pos, self.persistent_load = data, pos, persistent_load

    def load(self) -> Any:
        try:
            return self._run()
        except pickle.UnpicklingError as e:
            raise pickle.UnpicklingError(f"Weights only load failed. {e}\n{UNSAFE_MESSAGE}") from None  # noqa: E501
        except RecursionError as e:
            raise pickle.UnpicklingError(f"Weights only load failed: pickle nests too deeply ({e})") from None  # noqa: E501
        except RuntimeError:
            raise
        except (IndexError, KeyError, TypeError, ValueError, AttributeError, OverflowError,
                struct.error) as e:  # fmt: skip
            raise pickle.UnpicklingError(
                f"Weights only load failed: invalid pickle data near byte {self.pos} "
                f"({type(e).__name__}: {e})"
            ) from None

    def _take(self, n: int) -> bytes:
        end = self.pos + n
        if end > len(self.data):
            raise pickle.UnpicklingError("pickle data was truncated")
        out = self.data[self.pos : end]
        self.pos = end
        return out

    def _line(self) -> str:
        end = self.data.find(b"\n", self.pos)
        if end < 0:
            raise pickle.UnpicklingError("pickle data was truncated")
        out = self.data[self.pos : end].decode("utf-8")
        self.pos = end + 1
        return out

    def _run(self) -> Any:  # noqa: C901 - one flat loop over opcodes, like pickle's own
        # perf: a flat if-chain over opcode bytes, most frequent first.
        data, take = self.data, self._take
        stack: list[Any] = []
        metastack: list[list[Any]] = []
        items: Sequence[Any]  # what a MARK ... opcode pops
        memo: dict[int, Any] = {}
        unpack = struct.unpack
        while True:
            if self.pos >= len(data):
                raise pickle.UnpicklingError("pickle data was truncated")
            op = data[self.pos]
            self.pos += 1
            if op == 0x71:  # q BINPUT
                memo[take(1)[0]] = stack[-1]
            elif op == 0x68:  # h BINGET
                stack.append(memo[take(1)[0]])
            elif op == 0x58:  # X BINUNICODE
                (n,) = unpack("<I", take(4))
                stack.append(str(take(n), "utf-8", "surrogatepass"))
            elif op == 0x4B:  # K BININT1
                stack.append(take(1)[0])
            elif op == 0x28:  # ( MARK
                metastack.append(stack)
                stack = []
            elif op == 0x74:  # t TUPLE
                items, stack = tuple(stack), metastack.pop()
                stack.append(items)
            elif op == 0x85:  # TUPLE1
                stack[-1] = (stack[-1],)
            elif op == 0x86:  # TUPLE2
                stack[-2:] = [(stack[-2], stack[-1])]
            elif op == 0x87:  # TUPLE3
                stack[-3:] = [(stack[-3], stack[-2], stack[-1])]
            elif op == 0x29:  # ) EMPTY_TUPLE
                stack.append(())
            elif op == 0x89:  # NEWFALSE
                stack.append(False)
            elif op == 0x88:  # NEWTRUE
                stack.append(True)
            elif op == 0x52:  # R REDUCE
                args = stack.pop()
                func = stack[-1]
                if id(func) not in _callables() and not _is_user_allowed(func):
                    raise pickle.UnpicklingError(f"Trying to call reduce for unrecognized function {func!r}")  # noqa: E501
                if type(args) is not tuple:
                    raise pickle.UnpicklingError("REDUCE arguments must be a tuple")
                stack[-1] = func(*args)
            elif op == 0x51:  # Q BINPERSID
                pid = stack.pop()
                if self.persistent_load is None or type(pid) is not tuple or not pid or pid[0] not in ("storage", b"storage"):  # noqa: E501
                    raise pickle.UnpicklingError(f"Only persistent_load of storage is allowed, got {pid!r:.80}")  # noqa: E501
                stack.append(self.persistent_load(pid))
            elif op == 0x75:  # u SETITEMS
                items, stack = stack, metastack.pop()
                target = stack[-1]
                if type(target) not in (dict, OrderedDict, Counter) or len(items) % 2:
                    raise pickle.UnpicklingError(f"Can only SETITEMS for dict, collections.OrderedDict, collections.Counter, but got {type(target)}")  # noqa: E501
                for i in range(0, len(items), 2):
                    target[items[i]] = items[i + 1]
            elif op == 0x73:  # s SETITEM
                v, k = stack.pop(), stack.pop()
                if type(stack[-1]) not in (dict, OrderedDict, Counter):
                    raise pickle.UnpicklingError(f"Can only SETITEM for dict, collections.OrderedDict, collections.Counter, but got {type(stack[-1])}")  # noqa: E501
                stack[-1][k] = v
            elif op == 0x7D:  # } EMPTY_DICT
                stack.append({})
            elif op == 0x5D:  # ] EMPTY_LIST
                stack.append([])
            elif op == 0x61:  # a APPEND
                item = stack.pop()
                if type(stack[-1]) is not list:
                    raise pickle.UnpicklingError(f"Can only append to lists, but got {type(stack[-1])}")  # noqa: E501
                stack[-1].append(item)
            elif op == 0x65:  # e APPENDS
                items, stack = stack, metastack.pop()
                if type(stack[-1]) is not list:
                    raise pickle.UnpicklingError(f"Can only extend lists, but got {type(stack[-1])}")  # noqa: E501
                stack[-1].extend(items)
            elif op == _GLOBAL:
                module, name = _fix_imports(self._line(), self._line())
                stack.append(_resolve_global(module, name, True))
            elif op == 0x62:  # b BUILD
                state = stack.pop()
                _build(stack[-1], state)
            elif op == 0x4E:  # N NONE
                stack.append(None)
            elif op == 0x4A:  # J BININT
                stack.append(unpack("<i", take(4))[0])
            elif op == 0x4D:  # M BININT2
                stack.append(unpack("<H", take(2))[0])
            elif op == 0x47:  # G BINFLOAT
                stack.append(unpack(">d", take(8))[0])
            elif op == _LONG1:
                stack.append(int.from_bytes(take(take(1)[0]), "little", signed=True))
            elif op == _SHORT_BINSTRING:
                stack.append(str(take(take(1)[0]), "utf-8"))
            elif op == 0x6A:  # j LONG_BINGET
                stack.append(memo[unpack("<I", take(4))[0]])
            elif op == 0x72:  # r LONG_BINPUT
                memo[unpack("<I", take(4))[0]] = stack[-1]
            elif op == 0x8F:  # EMPTY_SET
                stack.append(set())
            elif op == 0x81:  # NEWOBJ
                args, cls = stack.pop(), stack.pop()
                stack.append(_newobj(cls, args))
            elif op == 0x80:  # PROTO
                if take(1)[0] > 5:
                    raise pickle.UnpicklingError("unsupported pickle protocol")
            elif op == _STOP:
                if len(stack) != 1 or metastack:
                    raise pickle.UnpicklingError("pickle ended with a malformed stack")
                return stack[0]
            else:
                raise pickle.UnpicklingError(f"Unsupported operand {op}")


def _fix_imports(module: str, name: str) -> tuple[str, str]:
    """Python 2 names (``__builtin__.set``), which protocol 2 writes, as Python 3's."""
    if (module, name) in _compat_pickle.NAME_MAPPING:
        return _compat_pickle.NAME_MAPPING[(module, name)]
    return _compat_pickle.IMPORT_MAPPING.get(module, module), name


def _newobj(cls: Any, args: Any) -> Any:
    if type(args) is not tuple:
        raise pickle.UnpicklingError("NEWOBJ arguments must be a tuple")
    if cls is _parameter_type():
        return _rebuild_parameter(*args, None) if len(args) == 2 else _rebuild_parameter(*args)
    if any(cls is c for c in (OrderedDict, Counter, set, Size, complex)) or _is_user_allowed(cls):
        return cls.__new__(cls, *args)
    raise pickle.UnpicklingError(
        f"Can only create new object for nn.Parameter or classes allowlisted via `add_safe_globals` but got {cls!r}"  # noqa: E501
    )


def _build(inst: Any, state: Any) -> None:
    """BUILD: OrderedDict's ``__dict__`` (a state dict's ``_metadata``) and allow-listed types."""
    if type(inst) in (OrderedDict, Counter):
        if type(state) is not dict or not all(type(k) is str for k in state):
            raise pickle.UnpicklingError("BUILD state of an OrderedDict must be a dict of str")
        inst.__dict__.update(state)
    elif _is_user_allowed(type(inst)):
        if hasattr(inst, "__setstate__"):
            inst.__setstate__(state)
            return
        slots = None
        if type(state) is tuple and len(state) == 2:
            state, slots = state
        if state:
            inst.__dict__.update(state)
        for k, v in (slots or {}).items():
            setattr(inst, k, v)
    else:
        raise pickle.UnpicklingError(
            "Can only build Tensor, Parameter, OrderedDict or types allowlisted via "
            f"`add_safe_globals`, but got {type(inst)}"
        )


def _globals_in_pickle(data: bytes) -> set[str]:
    """Every ``module.name`` a protocol-2 pickle's GLOBAL opcodes name, without running it."""
    out: set[str] = set()
    pos, n = 0, len(data)
    while pos < n:
        op = data[pos]
        pos += 1
        if op == _STOP:
            return out
        if op == _GLOBAL:
            end1 = data.find(b"\n", pos)
            end2 = data.find(b"\n", end1 + 1) if end1 >= 0 else -1
            if end2 < 0:
                break
            module, name = (data[pos:end1].decode("utf-8", "replace"),
                            data[end1 + 1 : end2].decode("utf-8", "replace"))  # fmt: skip
            out.add(".".join(_fix_imports(module, name)))
            pos = end2 + 1
        elif op == _BINUNICODE and pos + 4 <= n:
            pos += 4 + struct.unpack("<I", data[pos : pos + 4])[0]
        elif op in (_SHORT_BINSTRING, _LONG1) and pos < n:
            pos += 1 + data[pos]
        elif op in _OP_ARG_BYTES:
            pos += _OP_ARG_BYTES[op]
        else:
            raise pickle.UnpicklingError(f"Unsupported operand {op}")
    raise pickle.UnpicklingError("pickle data was truncated")


# ---------------------------------------------------------------------------------------------
# Full unpickler (weights_only=False): any importable global, torch's names mapped onto ember
# ---------------------------------------------------------------------------------------------
def _full_unpickle(f: IO[bytes], persistent_load: Callable[[Any], Any] | None,
                   pickle_module: Any) -> Any:  # fmt: skip
    class Unpickler(pickle_module.Unpickler):
        def find_class(self, module: str, name: str) -> Any:
            module, name = _fix_imports(module, name)
            obj = _resolve_global(module, name, False)
            return super().find_class(module, name) if obj is None else obj

        def persistent_load(self, pid: Any) -> Any:
            if persistent_load is None:
                raise pickle.UnpicklingError("unsupported persistent id encountered")
            return persistent_load(pid)

    try:
        return Unpickler(f, encoding="utf-8").load()
    except EOFError:
        raise pickle.UnpicklingError("pickle data was truncated") from None

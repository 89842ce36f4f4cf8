"""Grad-mode switches: ``no_grad``, ``enable_grad``, ``set_grad_enabled``, ``inference_mode``.

The flag is one process-wide attribute (``_state.enabled``) read on every op, so it is kept as
cheap as possible. torch keeps it per thread; ember programs that toggle it from several threads
at once are the one place this differs.
"""

from __future__ import annotations

import functools
from typing import Any

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled",
           "is_inference_mode_enabled"]  # fmt: skip


class _State:
    enabled = True
    inference = False


_state = _State()


def is_grad_enabled() -> bool:
    """Whether ops record the graph now."""
    return _state.enabled


def is_inference_mode_enabled() -> bool:
    """Whether an ``inference_mode`` block is active."""
    return _state.inference


class _DecoratorContextManager:
    """Base: a context manager that also decorates functions (and generators)."""

    def __call__(self, func: Any) -> Any:
        if isinstance(func, type):
            raise RuntimeError(f"Cannot decorate classes with {type(self).__name__}")
        # perf: inspect is slow to import; CO_GENERATOR is the flag inspect checks
        if getattr(getattr(func, "__code__", None), "co_flags", 0) & 0x20:

            @functools.wraps(func)
            def gen_wrapper(*args: Any, **kwargs: Any) -> Any:
                gen = func(*args, **kwargs)
                with self.clone():
                    response = gen.send(None)
                while True:
                    try:
                        request = yield response
                    except GeneratorExit:
                        gen.close()
                        raise
                    with self.clone():
                        try:
                            response = gen.send(request)
                        except StopIteration as e:
                            return e.value

            return gen_wrapper

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.clone():
                return func(*args, **kwargs)

        return wrapper

    def clone(self) -> Any:
        return type(self)()


class no_grad(_DecoratorContextManager):
    r"""Context manager and decorator that turns gradient recording off.

    Examples::

        >>> import ember
        >>> x = ember.ones(2, requires_grad=True)
        >>> with ember.no_grad():
        ...     y = x * 2
        >>> y.requires_grad
        False
    """

    def __init__(self) -> None:
        self.prev = False

    def __enter__(self) -> None:
        self.prev = _state.enabled
        _state.enabled = False

    def __exit__(self, *exc: object) -> None:
        _state.enabled = self.prev


class enable_grad(_DecoratorContextManager):
    """Context manager and decorator that turns gradient recording on."""

    def __enter__(self) -> None:
        self.prev = _state.enabled
        _state.enabled = True

    def __exit__(self, *exc: object) -> None:
        _state.enabled = self.prev


class set_grad_enabled(_DecoratorContextManager):
    """Set grad mode to ``mode``; as a context manager it restores the old mode on exit."""

    def __init__(self, mode: bool) -> None:
        self.prev = _state.enabled
        self.mode = mode
        _state.enabled = mode

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: object) -> None:
        _state.enabled = self.prev

    def clone(self) -> set_grad_enabled:
        return set_grad_enabled(self.mode)


class inference_mode(_DecoratorContextManager):
    """Like ``no_grad`` (ember has no separate inference tensors); ``inference_mode(False)`` is a no-op."""

    def __init__(self, mode: bool = True) -> None:
        self.mode = mode

    def __call__(self, func: Any) -> Any:
        if isinstance(func, bool):  # @inference_mode(False) used the class as a factory
            return inference_mode(func)
        return super().__call__(func)

    def __enter__(self) -> None:
        self.prev = (_state.enabled, _state.inference)
        if self.mode:
            _state.enabled, _state.inference = False, True

    def __exit__(self, *exc: object) -> None:
        _state.enabled, _state.inference = self.prev

    def clone(self) -> inference_mode:
        return inference_mode(self.mode)

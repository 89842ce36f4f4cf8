"""``Parameter`` and ``Buffer``: the tensors a ``Module`` registers and saves."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from typing_extensions import Self  # typing.Self needs Python 3.11

from ember._tensor import Tensor, _TensorMeta, _wrap

__all__ = ["Parameter", "Buffer"]

_new = object.__new__


class Parameter(Tensor):
    r"""A Tensor that a :class:`Module` registers as a parameter when assigned as an attribute.

    ``Parameter(data)`` shares ``data``'s memory and is a leaf; ops on a Parameter return plain
    Tensors.

    Args:
        data (Tensor, optional): the values (an empty tensor when ``None``).
        requires_grad (bool, optional): whether the parameter requires gradient. Default: ``True``.

    Examples::

        >>> import ember
        >>> p = ember.nn.Parameter(ember.zeros(2))
        >>> p
        Parameter containing:
        tensor([0., 0.], requires_grad=True)
    """

    # No __slots__: unlike Tensor, a Parameter may carry Python attributes (a __dict__).

    def __new__(cls, data: Tensor | None = None, requires_grad: bool = True) -> Self:
        if data is None:
            from ember._factory import empty  # noqa: PLC0415

            data = empty(0)
        if not isinstance(data, Tensor):
            raise AttributeError(f"'{type(data).__name__}' object has no attribute 'detach'")
        p = _new(cls)
        p._array = data._array
        p._rg = False
        p.grad_fn = None
        p._grad = None
        if data._vc is None:
            data._vc = [0]
        p._vc = data._vc  # shares memory, so shares the version counter too
        p._output_nr = 0
        p._accumulator = None
        p._meta = None
        if requires_grad:
            if not (data.dtype.is_floating_point or data.dtype.is_complex):
                raise RuntimeError(
                    "Only Tensors of floating point and complex dtype can require gradients"
                )
            p._rg = True
        return p

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True) -> None:
        pass

    def __repr__(self, *, tensor_contents: Any = None) -> str:  # type: ignore[override]
        from ember._tensor_repr import tensor_repr  # noqa: PLC0415

        return "Parameter containing:\n" + tensor_repr(self)

    def __deepcopy__(self, memo: dict[int, Any]) -> Parameter:
        if id(self) in memo:
            return memo[id(self)]
        # torch: only the values and requires_grad are copied (not .grad, not Python attributes).
        new = type(self)(_wrap(self._array.copy()), self._rg)
        memo[id(self)] = new
        return new

    def __reduce_ex__(self, proto: Any) -> Any:
        from ember.serialization import _reduce_parameter  # noqa: PLC0415

        return _reduce_parameter(self)

    def __setstate__(self, state: Any) -> None:
        if isinstance(state, dict):
            self.__dict__.update(state)


class _BufferMeta(_TensorMeta):
    # torch: ``isinstance(t, nn.Buffer)`` is true for the plain tensor that ``Buffer()`` tags.
    def __instancecheck__(cls, obj: Any) -> bool:
        if cls is Buffer:
            meta = getattr(obj, "_meta", None)
            return isinstance(obj, Tensor) and meta is not None and "buffer_persistent" in meta
        return type.__instancecheck__(cls, obj)


class Buffer(Tensor, metaclass=_BufferMeta):
    r"""Tag a tensor as a buffer: assigning it to a :class:`Module` attribute registers it.

    ``Buffer(data, persistent=True)`` returns a plain Tensor (a detached alias of ``data``) that
    ``isinstance(t, nn.Buffer)`` recognises. A non-persistent buffer is left out of
    ``state_dict``.

    Args:
        data (Tensor, optional): the values (an empty tensor when ``None``).
        persistent (bool, optional): whether the buffer is part of ``state_dict``. Default: ``True``.
    """

    __slots__ = ()

    def __new__(cls, data: Tensor | None = None, *, persistent: bool = True) -> Any:
        if data is None:
            from ember._factory import empty  # noqa: PLC0415

            data = empty(0)
        t = data.detach()
        t._rg = data._rg if data.grad_fn is None else False
        # ember: Tensor has __slots__, so the persistence tag lives in the _meta dict.
        t._meta = {"buffer_persistent": bool(persistent)}
        return t


def _buffer_persistent(t: Any) -> bool | None:
    """The ``persistent`` flag of a tensor made by ``Buffer()``, else None."""
    meta = getattr(t, "_meta", None)
    return meta.get("buffer_persistent") if meta else None

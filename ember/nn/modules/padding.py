"""Padding layers: constant/zero, reflection, replication and circular, 1-D to 3-D."""

from __future__ import annotations

from typing import Any

from ember._tensor import Tensor
from ember.nn._functional.misc import pad
from ember.nn.modules.module import Module

__all__ = ["ConstantPad1d", "ConstantPad2d", "ConstantPad3d", "ZeroPad1d", "ZeroPad2d",
           "ZeroPad3d", "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d",
           "ReplicationPad1d", "ReplicationPad2d", "ReplicationPad3d", "CircularPad1d",
           "CircularPad2d", "CircularPad3d"]  # fmt: skip


def _ntuple(v: Any, n: int) -> tuple[int, ...]:
    return (v,) * n if isinstance(v, int) else tuple(v)


class _PadNd(Module):
    """``F.pad`` with a fixed ``padding`` tuple and mode."""

    __constants__ = ["padding"]
    padding: tuple[int, ...]
    _mode = "constant"
    _n = 2

    def __init__(self, padding: Any) -> None:
        super().__init__()
        self.padding = _ntuple(padding, 2 * self._n)

    def forward(self, input: Tensor) -> Tensor:
        return pad(input, self.padding, self._mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    __constants__ = ["padding", "value"]
    value: float

    def __init__(self, padding: Any, value: float) -> None:
        super().__init__(padding)
        self.value = value

    def forward(self, input: Tensor) -> Tensor:
        return pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    r"""Pad the last axis with a constant: ``padding`` is an int or ``(left, right)``."""

    _n = 1


class ConstantPad2d(_ConstantPadNd):
    r"""Pad the last two axes with a constant: ``(left, right, top, bottom)``."""

    _n = 2


class ConstantPad3d(_ConstantPadNd):
    r"""Pad the last three axes with a constant."""

    _n = 3


class ZeroPad1d(ConstantPad1d):
    r"""Pad the last axis with zeros."""

    def __init__(self, padding: Any) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad2d(ConstantPad2d):
    r"""Pad the last two axes with zeros: ``(left, right, top, bottom)``.

    Examples::

        >>> import ember
        >>> ember.nn.ZeroPad2d((1, 1, 2, 0))(ember.ones(1, 1, 1, 1)).shape
        torch.Size([1, 1, 3, 3])
    """

    def __init__(self, padding: Any) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad3d(ConstantPad3d):
    r"""Pad the last three axes with zeros."""

    def __init__(self, padding: Any) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ReflectionPad1d(_PadNd):
    r"""Pad the last axis with its reflection (the edge value not repeated)."""

    _mode, _n = "reflect", 1


class ReflectionPad2d(_PadNd):
    r"""Pad the last two axes with their reflection."""

    _mode, _n = "reflect", 2


class ReflectionPad3d(_PadNd):
    r"""Pad the last three axes with their reflection."""

    _mode, _n = "reflect", 3


class ReplicationPad1d(_PadNd):
    r"""Pad the last axis by repeating its edge value."""

    _mode, _n = "replicate", 1


class ReplicationPad2d(_PadNd):
    r"""Pad the last two axes by repeating their edge values."""

    _mode, _n = "replicate", 2


class ReplicationPad3d(_PadNd):
    r"""Pad the last three axes by repeating their edge values."""

    _mode, _n = "replicate", 3


class _CircularPadNd(_PadNd):
    _mode = "circular"

    def forward(self, input: Tensor) -> Tensor:
        n = self._n
        if input.ndim not in (n + 1, n + 2):
            raise ValueError(f"expected {n + 1}D or {n + 2}D input (got {input.ndim}D input)")
        return pad(input, self.padding, "circular")


class CircularPad1d(_CircularPadNd):
    r"""Pad the last axis by wrapping around."""

    _n = 1


class CircularPad2d(_CircularPadNd):
    r"""Pad the last two axes by wrapping around."""

    _n = 2


class CircularPad3d(_CircularPadNd):
    r"""Pad the last three axes by wrapping around."""

    _n = 3

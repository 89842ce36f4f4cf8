"""Type aliases shared across ember."""

from __future__ import annotations

from typing import Any, Union

Array = Any  # numpy.ndarray or cupy.ndarray
DeviceLike = Union[str, int, "ember.device", None]  # noqa: F821
DTypeLike = Union["ember.dtype", None]  # noqa: F821

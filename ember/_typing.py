"""Type aliases shared across ember."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Union

if TYPE_CHECKING:
    import ember

Array = Any  # numpy.ndarray or cupy.ndarray
DeviceLike = Union[str, int, "ember.device", None]
DTypeLike = Union["ember.dtype", None]

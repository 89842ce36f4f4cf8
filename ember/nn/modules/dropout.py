"""Dropout layers: ``Dropout``, ``Dropout1d/2d/3d``, ``AlphaDropout``, ``FeatureAlphaDropout``."""

from __future__ import annotations

from ember._tensor import Tensor
from ember.nn import functional as F

from .module import Module

__all__ = ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout",
           "FeatureAlphaDropout"]  # fmt: skip


class _DropoutNd(Module):
    __constants__ = ["p", "inplace"]
    p: float
    inplace: bool

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if p < 0 or p > 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    r"""In training, zero each element with probability ``p`` and scale the rest by :math:`1/(1-p)`.

    In evaluation mode (``module.eval()``) it is the identity.

    Args:
        p (float): probability of an element to be zeroed. Default: 0.5.
        inplace (bool): do the operation in place. Default: ``False``.

    Shape:
        - Input: :math:`(*)`, any shape.
        - Output: :math:`(*)`, same shape as the input.

    Examples::

        >>> import ember
        >>> ember.nn.Dropout(p=0.25)
        Dropout(p=0.25, inplace=False)
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout(input, self.p, self.training, self.inplace)


class Dropout1d(_DropoutNd):
    r"""In training, zero whole channels of a ``(N, C, L)`` or ``(C, L)`` input with probability ``p``.

    Args:
        p (float): probability of a channel to be zeroed. Default: 0.5.
        inplace (bool): do the operation in place. Default: ``False``.
    """  # noqa: E501

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout1d(input, self.p, self.training, self.inplace)


class Dropout2d(_DropoutNd):
    r"""In training, zero whole channels of a ``(N, C, H, W)`` input with probability ``p``.

    Args:
        p (float): probability of a channel to be zeroed. Default: 0.5.
        inplace (bool): do the operation in place. Default: ``False``.
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout2d(input, self.p, self.training, self.inplace)


class Dropout3d(_DropoutNd):
    r"""In training, zero whole channels of a ``(N, C, D, H, W)`` input with probability ``p``.

    Args:
        p (float): probability of a channel to be zeroed. Default: 0.5.
        inplace (bool): do the operation in place. Default: ``False``.
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout3d(input, self.p, self.training, self.inplace)


class AlphaDropout(_DropoutNd):
    r"""Dropout for SELU networks: keeps the input's mean and variance (dropped values saturate).

    Args:
        p (float): probability of an element to be dropped. Default: 0.5.
        inplace (bool): accepted for torch compatibility. Default: ``False``.
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.alpha_dropout(input, self.p, self.training)


class FeatureAlphaDropout(_DropoutNd):
    r"""Channel-wise :class:`AlphaDropout`.

    Args:
        p (float): probability of a channel to be dropped. Default: 0.5.
        inplace (bool): accepted for torch compatibility. Default: ``False``.
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.feature_alpha_dropout(input, self.p, self.training)

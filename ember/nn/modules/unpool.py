"""``MaxUnpool1d/2d/3d``: put pooled maxima back where ``MaxPool(return_indices=True)`` found them.

(torch defines these in ``nn/modules/pooling.py``.)
"""

from __future__ import annotations

from typing import Any

from ember._tensor import Tensor
from ember.nn._functional import vision as Fv
from ember.nn.modules.module import Module

__all__ = ["MaxUnpool1d", "MaxUnpool2d", "MaxUnpool3d"]


class _MaxUnpoolNd(Module):
    _nd = 2

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> None:
        super().__init__()
        self.kernel_size = Fv._ntuple(kernel_size, self._nd)
        self.stride = Fv._ntuple(stride if stride is not None else kernel_size, self._nd)
        self.padding = Fv._ntuple(padding, self._nd)

    def forward(self, input: Tensor, indices: Tensor, output_size: Any = None) -> Tensor:
        return Fv._max_unpool(input, indices, self._nd, self.kernel_size, self.stride,
                              self.padding, output_size)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpoolNd):
    r"""Inverse of ``MaxPool1d``: ``(N, C, L_in)`` values and indices to ``(N, C, L_out)``."""

    _nd = 1


class MaxUnpool2d(_MaxUnpoolNd):
    r"""Inverse of ``MaxPool2d``: non-maximal positions are filled with zeros.

    Examples::

        >>> import ember
        >>> pool, unpool = ember.nn.MaxPool2d(2, return_indices=True), ember.nn.MaxUnpool2d(2)
        >>> x = ember.arange(16.0).view(1, 1, 4, 4)
        >>> unpool(*pool(x))[0, 0]
        tensor([[ 0.,  0.,  0.,  0.],
                [ 0.,  5.,  0.,  7.],
                [ 0.,  0.,  0.,  0.],
                [ 0., 13.,  0., 15.]])
    """

    _nd = 2


class MaxUnpool3d(_MaxUnpoolNd):
    r"""Inverse of ``MaxPool3d``: ``(N, C, D, H, W)`` values and indices to the unpooled volume."""

    _nd = 3

"""``ChannelShuffle``: interleave channel groups (ShuffleNet)."""

from __future__ import annotations

from ember._tensor import Tensor
from ember.nn._functional.misc import channel_shuffle
from ember.nn.modules.module import Module

__all__ = ["ChannelShuffle"]


class ChannelShuffle(Module):
    r"""Split channels into ``groups`` and interleave them: ``(N, g k, *) -> (N, k g, *)``."""

    __constants__ = ["groups"]
    groups: int

    def __init__(self, groups: int) -> None:
        super().__init__()
        self.groups = groups

    def forward(self, input: Tensor) -> Tensor:
        return channel_shuffle(input, self.groups)

    def extra_repr(self) -> str:
        return f"groups={self.groups}"

"""Instance normalisation layers: ``InstanceNorm1d/2d/3d``.

Each (sample, channel) plane is normalised with its own mean and variance. Unlike batch norm the
defaults are ``affine=False`` and ``track_running_stats=False``: no parameters, no buffers.
"""

from __future__ import annotations

import warnings
from typing import Any

from ember._tensor import Tensor
from ember.nn._functional.norm import instance_norm
from ember.nn.modules.batchnorm import _NormBase

__all__ = ["InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d"]


class _InstanceNorm(_NormBase):
    _no_batch_dim = 0  # the input rank without a batch dimension: (C, L) is 2 for 1d

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = False, track_running_stats: bool = False, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype)

    def _check_input_dim(self, input: Tensor) -> None:
        n = self._no_batch_dim
        if input.ndim not in (n, n + 1):
            raise ValueError(f"expected {n}D or {n + 1}D input (got {input.ndim}D input)")

    def _apply_instance_norm(self, input: Tensor) -> Tensor:
        return instance_norm(input, self.running_mean, self.running_var, self.weight, self.bias,
                             self.training or not self.track_running_stats,
                             self.momentum if self.momentum is not None else 0.0, self.eps)

    def forward(self, input: Tensor) -> Tensor:
        self._check_input_dim(input)
        feature_dim = input.ndim - self._no_batch_dim
        if input.shape[feature_dim] != self.num_features:
            if self.affine:
                raise ValueError(
                    f"expected input's size at dim={feature_dim} to match num_features"
                    f" ({self.num_features}), but got: {input.shape[feature_dim]}."
                )
            warnings.warn(
                f"input's size at dim={feature_dim} does not match num_features. You can silence "
                "this warning by not passing in num_features, which is not used because "
                "affine=False",
                stacklevel=2,
            )
        if input.ndim == self._no_batch_dim:  # unbatched: run as a batch of one
            return self._apply_instance_norm(input.unsqueeze(0)).squeeze(0)
        return self._apply_instance_norm(input)

    def _load_from_state_dict(self, state_dict: Any, prefix: str, local_metadata: Any,
                              strict: bool, missing_keys: list[str], unexpected_keys: list[str],
                              error_msgs: list[str]) -> None:
        # torch: checkpoints from before 0.4 carry running stats the default layer no longer has
        version = local_metadata.get("version", None)
        if version is None and not self.track_running_stats:
            keys = [prefix + n for n in ("running_mean", "running_var") if prefix + n in state_dict]
            if keys:
                klass = type(self).__name__
                names = " and ".join(f'"{k}"' for k in keys)
                error_msgs.append(
                    f"Unexpected running stats buffer(s) {names} for {klass} with "
                    "track_running_stats=False. If state_dict is a checkpoint saved before 0.4.0, "
                    f"this may be expected because {klass} does not track running stats by "
                    "default since 0.4.0. Please remove these keys from state_dict. If the running "
                    f"stats are actually needed, instead set track_running_stats=True in {klass} "
                    f"to enable them. See the documentation of {klass} for details."
                )
                for k in keys:
                    state_dict.pop(k)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)


class InstanceNorm1d(_InstanceNorm):
    r"""Instance normalisation over a 3-D ``(N, C, L)`` (or unbatched ``(C, L)``) input.

    Args:
        num_features: :math:`C`. eps: added to the variance. Default: 1e-5.
        momentum: running-statistics update factor. Default: 0.1.
        affine: learn per-channel ``weight`` and ``bias``. Default: ``False``.
        track_running_stats: keep running statistics (used in eval mode). Default: ``False``.

    Examples::

        >>> import ember
        >>> ember.nn.InstanceNorm1d(100)
        InstanceNorm1d(100, eps=1e-05, momentum=0.1, affine=False, bias=False, track_running_stats=False)
    """  # noqa: E501

    _no_batch_dim = 2


class InstanceNorm2d(_InstanceNorm):
    r"""Instance normalisation over a 4-D ``(N, C, H, W)`` (or unbatched ``(C, H, W)``) input."""

    _no_batch_dim = 3


class InstanceNorm3d(_InstanceNorm):
    r"""Instance normalisation over a 5-D ``(N, C, D, H, W)`` (or unbatched 4-D) input."""

    _no_batch_dim = 4

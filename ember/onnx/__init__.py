"""``ember.onnx``: exporting to ONNX needs torch's tracer, which ember does not have."""

from __future__ import annotations

from typing import Any

__all__ = ["export", "is_in_onnx_export"]

_NO_EXPORT = (
    "ember.onnx.export is not supported: ember has no graph tracer. Save the weights with "
    "ember.save(model.state_dict(), path), load them into the same model under torch "
    "(torch.load(path, weights_only=True)), and export from there with torch.onnx.export."
)


def export(model: Any, args: Any = (), f: Any = None, *a: Any, **kw: Any) -> None:
    r"""Raises ``NotImplementedError``: see the message for the torch route."""
    raise NotImplementedError(_NO_EXPORT)


def is_in_onnx_export() -> bool:
    r"""Whether an ONNX export is running: never in ember."""
    return False

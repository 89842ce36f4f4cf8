"""Named-tuple results of ops such as ``max(dim)`` (``torch.return_types.max(values=, indices=)``)."""

from __future__ import annotations

from typing import Any

__all__ = ["max", "min", "sort", "topk", "kthvalue", "median", "mode", "aminmax", "var_mean",
           "std_mean", "slogdet", "qr", "svd", "cummax", "cummin"]  # fmt: skip


def _field(i: int) -> property:
    """The property that reads item ``i`` of a return-type tuple."""
    return property(lambda self: tuple.__getitem__(self, i))


def _make(name: str, fields: tuple[str, ...]) -> type:
    def __new__(cls: type, seq: Any = None, **kw: Any) -> Any:
        vals = tuple(seq) if seq is not None else tuple(kw[f] for f in fields)
        return tuple.__new__(cls, vals)

    def __repr__(self: Any) -> str:
        body = ",\n".join(f"{f}={v!r}" for f, v in zip(fields, self))
        return f"torch.return_types.{name}(\n{body})"

    def __reduce__(self: Any) -> Any:
        return (type(self), (tuple(self),))

    ns: dict[str, Any] = {"__new__": __new__, "__repr__": __repr__, "__reduce__": __reduce__,
                          "__slots__": (), "_fields": fields, "__module__": "ember.return_types"}  # fmt: skip
    for i, f in enumerate(fields):
        ns[f] = _field(i)
    ns["n_fields"] = ns["n_sequence_fields"] = len(fields)
    return type(name, (tuple,), ns)


_VI = ("values", "indices")
max = _make("max", _VI)  # noqa: A001
min = _make("min", _VI)  # noqa: A001
sort = _make("sort", _VI)
topk = _make("topk", _VI)
kthvalue = _make("kthvalue", _VI)
median = _make("median", _VI)
mode = _make("mode", _VI)
cummax = _make("cummax", _VI)
cummin = _make("cummin", _VI)
aminmax = _make("aminmax", ("min", "max"))
var_mean = _make("var_mean", ("var", "mean"))  # unused by torch (plain tuple), kept for symmetry
std_mean = _make("std_mean", ("std", "mean"))
slogdet = _make("slogdet", ("sign", "logabsdet"))
qr = _make("qr", ("Q", "R"))
svd = _make("svd", ("U", "S", "V"))

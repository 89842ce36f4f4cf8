"""``ember.sparse``: sparse COO tensors (``mm``, ``sum``) on NumPy index arrays."""

from __future__ import annotations

from .._sparse import SparseTensor, mm, sparse_coo_tensor, spmm, to_sparse
from .._sparse import sparse_sum as sum  # noqa: A004 - torch's name

__all__ = ["mm", "sum", "spmm", "sparse_coo_tensor", "to_sparse", "SparseTensor",
           "check_sparse_tensor_invariants"]  # fmt: skip


class check_sparse_tensor_invariants:
    r"""Accepted for compatibility: ember always checks a COO tensor's indices against its size."""

    def __init__(self, enable: bool = True) -> None:
        self.state = enable

    @staticmethod
    def is_enabled() -> bool:
        return True

    @staticmethod
    def enable() -> None:
        pass

    @staticmethod
    def disable() -> None:
        pass

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: object) -> None:
        pass

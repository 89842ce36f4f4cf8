"""Variable-length sequences for RNNs: ``PackedSequence``, packing, padding and their inverses.

A packed batch stores the time steps one after another, each holding only the sequences still
running (``batch_sizes[t]`` of them, longest first). All packing and padding here is one gather
with a precomputed index, so gradients flow through it.
"""

from __future__ import annotations

from typing import Any, Iterable, NamedTuple

import numpy as np

from ember._tensor import Tensor

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pad_packed_sequence",
           "pad_sequence", "unpad_sequence", "pack_sequence", "unpack_sequence"]  # fmt: skip


class PackedSequence_(NamedTuple):  # noqa: N801 - torch's name
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None
    unsorted_indices: Tensor | None


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    """The inverse of an index permutation (``None`` stays ``None``)."""
    if permutation is None:
        return None
    from ember import tensor  # noqa: PLC0415

    inv = np.empty(permutation.numel(), dtype=np.int64)
    inv[permutation.cpu().numpy()] = np.arange(permutation.numel())
    return tensor(inv).to(permutation.device)


class PackedSequence(PackedSequence_):
    r"""The data and per-step batch sizes of a packed batch of variable-length sequences.

    Build one with :func:`pack_padded_sequence` or :func:`pack_sequence`, not directly.

    Attributes:
        data (Tensor): the packed time steps, shape :math:`(\sum_i L_i, *)`.
        batch_sizes (Tensor): how many sequences are still running at each step (int64, CPU).
        sorted_indices (Tensor, optional): the order that sorted the batch by length.
        unsorted_indices (Tensor, optional): the inverse of ``sorted_indices``.
    """

    def __new__(cls, data: Tensor, batch_sizes: Tensor | None = None,
                sorted_indices: Tensor | None = None,
                unsorted_indices: Tensor | None = None) -> PackedSequence:  # fmt: skip
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is not None:
            if batch_sizes.device.type != "cpu":
                raise ValueError(
                    "batch_sizes should always be on CPU. Instances of PackedSequence should never "
                    "be created manually. They should be instantiated by functions like "
                    "pack_sequence and pack_padded_sequences in nn.utils.rnn. "
                    "https://pytorch.org/docs/stable/nn.html#torch.nn.utils.rnn.pack_sequence"
                )
            return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)
        if not (isinstance(data, list | tuple) and len(data) == 2):
            raise ValueError("Expected a (data, batch_sizes) pair")
        return super().__new__(cls, data[0], data[1], sorted_indices, unsorted_indices)

    def _map(self, fn: Any) -> PackedSequence:
        idx = (self.sorted_indices, self.unsorted_indices)
        s, u = (None if i is None else i.to(fn(self.data).device) for i in idx)
        return type(self)(fn(self.data), self.batch_sizes, s, u)

    def to(self, *args: Any, **kwargs: Any) -> PackedSequence:
        """``data.to(...)``; the indices follow the data's device, ``batch_sizes`` stays on CPU."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        return self._map(lambda d: data)

    def cuda(self, *args: Any, **kwargs: Any) -> PackedSequence:
        return self._map(lambda d: d.cuda(*args, **kwargs))

    def cpu(self, *args: Any, **kwargs: Any) -> PackedSequence:
        return self._map(lambda d: d.cpu(*args, **kwargs))

    def double(self) -> PackedSequence:
        return self._map(lambda d: d.double())

    def float(self) -> PackedSequence:
        return self._map(lambda d: d.float())

    def half(self) -> PackedSequence:
        return self._map(lambda d: d.half())

    def long(self) -> PackedSequence:
        return self._map(lambda d: d.long())

    def int(self) -> PackedSequence:
        return self._map(lambda d: d.int())

    def pin_memory(self) -> PackedSequence:
        return self

    @property
    def is_cuda(self) -> bool:
        return self.data.is_cuda

    def is_pinned(self) -> bool:
        return False


def _lengths_array(lengths: Any) -> np.ndarray:
    if isinstance(lengths, Tensor):
        if lengths.ndim != 1:
            raise RuntimeError(
                f"'lengths' argument should be a 1D CPU int64 tensor, but got {lengths.ndim}D "
                f"{lengths.device.type} {lengths.dtype} tensor"
            )
        return lengths.cpu().numpy().astype(np.int64)
    return np.asarray(lengths, dtype=np.int64).reshape(-1)


def _batch_sizes(lengths: np.ndarray) -> np.ndarray:
    """``batch_sizes[t]``: how many of the (descending) ``lengths`` exceed ``t``."""
    T = int(lengths[0])
    return (lengths[None, :] > np.arange(T)[:, None]).sum(1).astype(np.int64)


def pack_padded_sequence(input: Tensor, lengths: Any, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:  # fmt: skip
    r"""Pack a padded batch of variable-length sequences.

    Args:
        input (Tensor): padded batch, :math:`(T, B, *)` (or :math:`(B, T, *)` with ``batch_first``).
        lengths (Tensor or list(int)): the length of each sequence (on the CPU).
        batch_first (bool): whether ``input`` is :math:`(B, T, *)`. Default: ``False``.
        enforce_sorted (bool): require ``lengths`` to be decreasing; when ``False`` the batch is
            sorted here and the permutation kept in the result. Default: ``True``.
    """
    from ember import tensor  # noqa: PLC0415

    lens = _lengths_array(lengths)
    sorted_indices = None
    if not enforce_sorted:
        order = np.argsort(-lens, kind="stable")
        lens = lens[order]
        sorted_indices = tensor(order).to(input.device)
        input = input.index_select(0 if batch_first else 1, sorted_indices)
    if input.numel() == 0:
        raise RuntimeError("Cannot pack empty tensors.")
    B = input.shape[0] if batch_first else input.shape[1]
    if lens.shape[0] != B:
        raise RuntimeError(
            f"Expected `len(lengths)` to be equal to batch_size, but got {lens.shape[0]} "
            f"(batch_size={B})"
        )
    if lens[-1] <= 0:
        raise RuntimeError(
            "Length of all samples has to be greater than 0, but found an element in 'lengths' "
            "that is <= 0"
        )
    if enforce_sorted and (np.diff(lens) > 0).any():
        raise RuntimeError(
            "`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. You "
            "can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to "
            "sidestep this requirement if you do not need ONNX exportability."
        )
    if batch_first:
        input = input.transpose(0, 1)
    T = input.shape[0]
    if lens[0] > T:
        raise RuntimeError(
            f"Expected input to have at least {int(lens[0])} time steps, but got {T}"
        )
    bs = _batch_sizes(lens)
    # row t * B + b of the (T * B, *) view, for every step t and every running sequence b < bs[t]
    idx = np.concatenate([t * B + np.arange(n) for t, n in enumerate(bs)])
    data = input.reshape((T * B,) + tuple(input.shape[2:]))[tensor(idx).to(input.device)]
    return PackedSequence(data, tensor(bs), sorted_indices, None)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False,
                        padding_value: float = 0.0,
                        total_length: int | None = None) -> tuple[Tensor, Tensor]:  # fmt: skip
    r"""Inverse of :func:`pack_padded_sequence`: the padded batch and the lengths.

    Args:
        sequence (PackedSequence): the batch to pad.
        batch_first (bool): return :math:`(B, T, *)` instead of :math:`(T, B, *)`.
        padding_value (float): the value of the padded positions. Default: 0.
        total_length (int, optional): pad to this many steps instead of the longest sequence.

    Returns:
        ``(padded, lengths)``, ``lengths`` an int64 tensor in the original batch order.
    """
    from ember import tensor  # noqa: PLC0415

    bs = sequence.batch_sizes.numpy()
    T = bs.shape[0]
    if total_length is not None:
        if total_length < T:
            raise ValueError(
                "Expected total_length to be at least the length of the longest sequence in "
                f"input, but got total_length={total_length} and max sequence length being {T}"
            )
        T = total_length
    B = int(bs[0])
    data = sequence.data
    n = data.shape[0]
    # every (t, b) position reads its packed row, or row n: one appended padding row
    src = np.full((T, B), n, dtype=np.int64)
    for t, k in enumerate(bs):
        src[t, :k] = np.arange(k) + int(bs[:t].sum())
    pad_row = data.new_full((1,) + tuple(data.shape[1:]), padding_value)
    from ember import cat  # noqa: PLC0415

    padded = cat([data, pad_row])[tensor(src.reshape(-1)).to(data.device)]
    padded = padded.reshape((T, B) + tuple(data.shape[1:]))
    lengths = (bs[None, :] > np.arange(B)[:, None]).sum(1).astype(np.int64)
    if batch_first:
        padded = padded.transpose(0, 1)
    if sequence.unsorted_indices is not None:
        u = sequence.unsorted_indices
        padded = padded.index_select(0 if batch_first else 1, u)
        lengths = lengths[u.cpu().numpy()]
    return padded, tensor(lengths)


def pad_sequence(sequences: Tensor | Iterable[Tensor], batch_first: bool = False,
                 padding_value: float = 0.0, padding_side: str = "right") -> Tensor:  # fmt: skip
    r"""Stack variable-length sequences :math:`(L_i, *)` into one padded tensor.

    Args:
        sequences (list[Tensor]): the sequences.
        batch_first (bool): return :math:`(B, T, *)` instead of :math:`(T, B, *)`.
        padding_value (float): the value of the padded positions. Default: 0.
        padding_side (str): pad on the ``'right'`` (default) or the ``'left'``.
    """
    from ember import cat, tensor  # noqa: PLC0415

    if padding_side not in ("left", "right"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got {padding_side}.")  # noqa: E501
    seqs = list(sequences.unbind(0)) if isinstance(sequences, Tensor) else list(sequences)
    lens = np.array([s.shape[0] for s in seqs], dtype=np.int64)
    T, B = int(lens.max()) if len(lens) else 0, len(seqs)
    starts = np.concatenate([[0], np.cumsum(lens)[:-1]])
    n = int(lens.sum())
    src = np.full((B, T), n, dtype=np.int64)
    for b in range(B):
        off = 0 if padding_side == "right" else T - lens[b]
        src[b, off : off + lens[b]] = starts[b] + np.arange(lens[b])
    rest = tuple(seqs[0].shape[1:])
    pad_row = seqs[0].new_full((1,) + rest, padding_value)
    out = cat(seqs + [pad_row])[tensor((src if batch_first else src.T).reshape(-1)).to(pad_row.device)]  # noqa: E501
    return out.reshape(((B, T) if batch_first else (T, B)) + rest)


def unpad_sequence(padded_sequences: Tensor, lengths: Tensor, batch_first: bool = False) -> list[Tensor]:  # noqa: E501
    r"""Inverse of :func:`pad_sequence`: the list of unpadded sequences."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [seq[: int(n)] for seq, n in zip(padded_sequences, _lengths_array(lengths))]


def pack_sequence(sequences: list[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    r"""Pack a list of variable-length sequences :math:`(L_i, *)` (``pad_sequence`` + pack)."""
    lengths = [v.size(0) for v in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    r"""Inverse of :func:`pack_sequence`: the list of sequences."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)

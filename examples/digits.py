"""The UCI handwritten digits (1,797 8x8 images, CC BY 4.0) as an ``ember.utils.data.Dataset``.

The data ship with the repository (``examples/data/digits.csv.gz``, see ``DIGITS_LICENSE.md``);
nothing is downloaded. Each line of the file is 64 pixel values in ``0..16`` and a label.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

import ember as torch
from ember.utils.data import Dataset

DATA_FILE = Path(__file__).resolve().parent / "data" / "digits.csv.gz"
NUM_TEST = 360  # 20% of the 1,797 images, held out


def load_digits_arrays(path: Path = DATA_FILE) -> tuple[np.ndarray, np.ndarray]:
    """All images as ``(1797, 8, 8)`` uint8 in ``0..16`` and labels as ``(1797,)`` int64."""
    with gzip.open(path, "rt") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.int64)
    return table[:, :64].reshape(-1, 8, 8).astype(np.uint8), table[:, 64]


class Digits(Dataset):
    r"""The handwritten digits, split once (with a fixed seed) into 1,437 train and 360 test images.

    Sample ``i`` is ``(image, label)``: ``image`` a ``(1, 8, 8)`` float32 tensor scaled to
    ``[0, 1]``, ``label`` an ``int`` in ``0..9``.

    Args:
        train (bool): the training part (``True``) or the held-out test part.
        path (Path): the ``.csv.gz`` file to read.
    """

    classes = [str(d) for d in range(10)]

    def __init__(self, train: bool = True, path: Path = DATA_FILE) -> None:
        images, labels = load_digits_arrays(path)
        order = np.random.default_rng(0).permutation(len(labels))  # the same split every run
        keep = order[NUM_TEST:] if train else order[:NUM_TEST]
        self.data = torch.from_numpy(images[keep])  # (N, 8, 8) uint8, like torchvision's MNIST
        self.targets = torch.from_numpy(labels[keep])
        self._images = (self.data.float() / 16.0).unsqueeze(1)  # scaled once, not per sample
        self._labels = self.targets.tolist()

    def __len__(self) -> int:
        return len(self._labels)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        return self._images[index], self._labels[index]

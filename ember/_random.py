"""Random number generation: ``manual_seed``, ``Generator`` (NumPy's PCG64 underneath).

Streams are not bit-identical to torch's; seeding makes ember runs reproducible among themselves.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["Generator", "manual_seed", "seed", "initial_seed", "get_rng_state", "set_rng_state",
           "default_generator"]  # fmt: skip


class Generator:
    """A source of random numbers (``torch.Generator``)."""

    def __init__(self, device: Any = "cpu") -> None:
        from ._device import device as _device  # noqa: PLC0415

        self.device = _device(device)
        self._seed = 67280421310721
        self._np_rng: np.random.Generator | None = None

    @property
    def _rng(self) -> np.random.Generator:
        """The NumPy generator, made on first use: ``numpy.random`` costs ~10 ms to import, so
        ``import ember`` leaves it unloaded until a random number is drawn."""
        rng = self._np_rng
        if rng is None:
            rng = self._np_rng = np.random.default_rng(self._seed)
        return rng

    def manual_seed(self, seed: int) -> Generator:
        s = int(seed)
        if s < 0:
            s += 1 << 64
        self._seed = s
        self._np_rng = None  # reseeded lazily, on the next draw
        return self

    def seed(self) -> int:
        # a fresh int
        s = int(np.random.SeedSequence().entropy) % (1 << 63)  # type: ignore[arg-type]
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> Any:
        from ._tensor import _wrap  # noqa: PLC0415

        import pickle  # noqa: PLC0415

        return _wrap(np.frombuffer(pickle.dumps(self._rng.bit_generator.state), dtype=np.uint8).copy())  # noqa: E501

    def set_state(self, state: Any) -> Generator:
        import pickle  # noqa: PLC0415

        self._rng.bit_generator.state = pickle.loads(state._array.tobytes())  # noqa: S301 - our own bytes
        return self

    def __repr__(self) -> str:
        return f"<torch._C.Generator object at {id(self):#x}>"


default_generator = Generator()


def _gen(generator: Generator | None) -> np.random.Generator:
    return (generator or default_generator)._rng


def manual_seed(seed: int) -> Generator:
    """Seed the default generator (and CUDA's, when CuPy is loaded)."""
    default_generator.manual_seed(seed)
    from . import _device  # noqa: PLC0415

    if _device._cupy is not None:
        _device._cupy.random.seed(int(seed) % (1 << 32))
    return default_generator


def seed() -> int:
    """Seed the default generator non-deterministically; returns the seed."""
    return default_generator.seed()


def initial_seed() -> int:
    """The seed of the default generator."""
    return default_generator.initial_seed()


def get_rng_state() -> Any:
    """The default generator's state, as a uint8 tensor."""
    return default_generator.get_state()


def set_rng_state(new_state: Any) -> None:
    """Restore a state from ``get_rng_state``."""
    default_generator.set_state(new_state)

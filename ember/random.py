"""``ember.random``: the default generator's seed and state (``torch.random``).

Everything delegates to ``ember._random``; ``fork_rng`` saves the state on entry and restores it
on exit, so random draws inside the block leave the outer stream untouched.
"""

from __future__ import annotations

import contextlib
from collections.abc import Generator as _Iter
from typing import Any

from ._random import (Generator, default_generator, get_rng_state, initial_seed, manual_seed,
                      seed, set_rng_state)  # fmt: skip

__all__ = ["Generator", "default_generator", "manual_seed", "seed", "initial_seed",
           "get_rng_state", "set_rng_state", "fork_rng"]  # fmt: skip


@contextlib.contextmanager
def fork_rng(devices: Any = None, enabled: bool = True, _caller: str = "fork_rng",
             _devices_kw: str = "devices", device_type: str = "cuda") -> _Iter[None, None, None]:
    """Run the block on a copy of the CPU generator's state, restored afterwards.

    ``devices`` is accepted for compatibility; only the CPU generator is forked.

    Examples::

        >>> import ember
        >>> _ = ember.manual_seed(0)
        >>> with ember.random.fork_rng():
        ...     a = ember.rand(1)
        >>> bool(ember.rand(1) == a)
        True
    """
    if not enabled:
        yield
        return
    state = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(state)

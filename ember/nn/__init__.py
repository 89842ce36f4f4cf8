"""``ember.nn``: ``Module``, its containers, the layers, ``functional``, ``init`` and ``utils``."""

from __future__ import annotations

from . import attention, functional, init, modules, parallel, parameter, utils  # noqa: F401
from .modules import *  # noqa: F403
from .parameter import *  # noqa: F403
from .parallel import DataParallel

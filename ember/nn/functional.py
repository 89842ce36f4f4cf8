r"""``ember.nn.functional``: the stateless functions behind every layer and loss.

Each family lives in ``ember/nn/_functional/<family>.py``; this module is the public surface.
"""

from __future__ import annotations

from ._functional.activation import *  # noqa: F403
from ._functional.attention import *  # noqa: F403
from ._functional.conv import *  # noqa: F403
from ._functional.dropout import *  # noqa: F403
from ._functional.linear import *  # noqa: F403
from ._functional.loss import *  # noqa: F403
from ._functional.misc import *  # noqa: F403
from ._functional.norm import *  # noqa: F403
from ._functional.pooling import *  # noqa: F403
from ._functional.vision import *  # noqa: F403

"""The machinery behind :mod:`ember.serialization`, one concept per module.

``ember.serialization`` is the public surface (``save``, ``load``, the safe-globals functions); the
modules here implement it, from the bottom up:

* ``storage``: storage classes and dtypes, and ``map_location`` (where each storage goes).
* ``rebuild``: the functions torch's pickles call to rebuild tensors and Parameters from storages.
* ``allowlist``: which globals a weights-only pickle may name, mapped onto ember's objects.
* ``unpickler``: the weights-only unpickler (torch's protocol-2 opcode subset) and the full one.
* ``archive``: torch's zip format: reading a checkpoint, writing the records.
* ``legacy``: reading the pre-1.6 (non-zip) format.
* ``pickler``: the protocol-2 pickler ``save`` runs, with one storage record per shared buffer.
"""

from __future__ import annotations

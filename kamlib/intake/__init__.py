"""What comes in: the client's data pack and what is asked of the client.

The data contract (:mod:`.schema`), reading and checking a pack (:mod:`.datapack`; the
checks that need the as-of date and window in :mod:`.checks`), the
Excel intake form and pack writer (:mod:`.form`), the account managers' plan inputs
(:mod:`.plan_inputs`), and the packs made here: the demo client (:mod:`.demo`) and packs
shaped like real clients' (:mod:`.scenarios`). Uses :mod:`kamlib.core` only.
"""

from ..core import frames as _frames  # noqa: F401  (text held as objects)

"""What the method found that a reader must be told, kept as data.

The method never words a sentence: it returns a :class:`Note` (what it found, as a code,
and the values the sentence needs) and :mod:`kamlib.report.words` puts it into the
client's language. Every sentence a report shows is then worded in one place, where it
can be reviewed, restyled or translated without touching a computation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Note:
    """One finding to tell the reader: ``code`` names it (``"<step>.<what>"``),
    ``values`` are what its sentence states.

    Examples
    --------
    >>> n = Note("seg.no_cost")
    >>> n.code, n.values
    ('seg.no_cost', {})
    >>> note("seg.groups", entities=12, units=5).values["units"]
    5
    """

    code: str
    values: dict[str, Any] = field(default_factory=dict, hash=False)


def note(code: str, **values: Any) -> Note:
    """A :class:`Note` with its values as keyword arguments."""
    return Note(code, values)

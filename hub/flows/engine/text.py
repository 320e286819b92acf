"""Values from other systems in the hub's own log lines.

A record id, a message or a field value comes from a system the hub does not control. Written as it is
into a log line, a newline would start a line that looks like the hub's own ("page 2: 0 records ...") and
an escape sequence could rewrite what a terminal shows. ``printable`` keeps such a value on one line and
visible: control characters (newline, carriage return, tab, ESC, DEL, the C1 range, line and paragraph
separators) are written as Python escapes, so nothing is lost and nothing is interpreted.
"""

from __future__ import annotations

import unicodedata

MAX_CHARS = 500  # a log line quotes a value, it does not carry it


def printable(value: object, *, limit: int = MAX_CHARS) -> str:
    """``value`` as text on one line, control characters escaped (``\\n``, ``\\x1b``), cut at ``limit``."""
    text = "".join(_char(c) for c in str(value)[: limit * 2])
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _char(c: str) -> str:
    if c == "\\":
        return "\\\\"
    if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp"):
        return c.encode("unicode_escape").decode("ascii")
    return c

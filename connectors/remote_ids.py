"""What makes a remote id unsafe to put in an upstream URL path, for every system alike.

An id is quoted into one path segment, but `.` and `..` survive quoting and the
HTTP client then normalises them away (`work-orders/.` becomes `work-orders`), and
an id that still decodes to a separator or a dot segment may be decoded again
upstream. Such ids are refused before any call.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import unquote

MAX_LENGTH = 255
DECODINGS = 3  # percent-decodings looked through: `%252e` is `%2e` is `.`


def id_problem(value: str) -> str | None:
    """Why `value` cannot be a remote id (None: it can), phrased to follow the argument's name."""
    if not value.strip():
        return "is empty"
    if len(value) > MAX_LENGTH:
        return f"is longer than {MAX_LENGTH} characters"
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in value):
        return "contains a control character or is not valid Unicode"
    form = value
    for _ in range(DECODINGS + 1):
        if "/" in form or "\\" in form:
            return "contains a path separator"
        if form.strip() in (".", ".."):
            return "is a dot segment"
        if any(unicodedata.category(ch) == "Cc" for ch in form):
            return "contains an encoded control character"
        decoded = unquote(form)
        if decoded == form:
            break
        form = decoded
    return None

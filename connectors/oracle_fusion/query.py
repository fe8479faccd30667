"""Oracle's `q` filter (REST framework version 2 and later: RowMatch expressions), written safely.

Values are quoted as Oracle quotes strings (single quotes, a quote doubled), so no id or status
can change the shape of an expression; numbers go bare.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def literal(value: Any) -> str:
    """One value in a `q` expression: a number bare, anything else a single-quoted string."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def among(attribute: str, values: Iterable[Any]) -> str:
    """`Attribute IN (v1, v2, …)`."""
    return f"{attribute} IN ({', '.join(literal(v) for v in values)})"


def equals(attribute: str, value: Any) -> str:
    """`Attribute = value`."""
    return f"{attribute} = {literal(value)}"


def after(attribute: str, moment: str) -> str:
    """`Attribute > 'moment'` (strictly after)."""
    return f"{attribute} > {literal(moment)}"


def conjunction(terms: Iterable[str]) -> str | None:
    """Terms joined by `and` (None: no term)."""
    joined = " and ".join(terms)
    return joined or None

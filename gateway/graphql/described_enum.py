"""A GraphQL enum built from one of the gateway's own Python enums, with a description per value."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any

import strawberry


def described(source: type[Enum], name: str, description: str, values: Mapping[str, str]) -> Any:
    """`source`'s members as a GraphQL enum named `name`; a member without a text in `values` fails at import."""
    members = {m.name: strawberry.enum_value(m.value, description=values[m.name]) for m in source}
    return strawberry.enum(Enum(name, members), description=description)  # type: ignore[call-overload]

"""Checks of free-form GraphQL inputs (JSON scalars), shared by the admin schema's parts."""

from __future__ import annotations

from schema.errors import BadUserInput


def string_map(value: object, field: str) -> dict[str, str]:
    """A JSON input that must be an object of string values (metadata, credentials)."""
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise BadUserInput(f"{field} must be an object of string values", field=field)
    return dict(value)

"""GraphQL errors -> `extensions.code`, in one place. Nothing internal leaks."""

from __future__ import annotations

import logging
from typing import Any

from graphql import GraphQLError

from schema.errors import PlantgateError

log = logging.getLogger("plantgate.graphql")


def format_error(error: GraphQLError, request_id: str) -> dict[str, Any]:
    """The client's view of one error: message, location, path and a code."""
    original = error.original_error
    formatted: dict[str, Any] = {"message": error.message}
    if error.locations:
        formatted["locations"] = [{"line": location.line, "column": location.column} for location in error.locations]
    if error.path:
        formatted["path"] = error.path
    if isinstance(original, PlantgateError):
        extensions = {"code": original.code, **original.extensions}
    elif original is None or (not error.path and isinstance(original, (GraphQLError, ValueError, TypeError))):
        # Parse, validation and variable-coercion errors: the request itself is wrong.
        extensions = {"code": "BAD_USER_INPUT"}
    else:
        log.error(
            "internal error in %s (request %s)",
            ".".join(map(str, error.path or [])) or "request",
            request_id,
            exc_info=original,
        )
        formatted["message"] = f"Internal error (request id {request_id})"
        extensions = {"code": "INTERNAL"}
    extensions["requestId"] = request_id
    formatted["extensions"] = extensions
    return formatted


class RequestError(Exception):
    """GraphQL request errors: the operation never started, so the response carries no `data`."""

    def __init__(self, errors: list[GraphQLError]) -> None:
        super().__init__(errors[0].message)
        self.errors = errors

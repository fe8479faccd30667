"""The API's error codes (PRODUCT.md "GraphQL API"), raised anywhere below the gateway.

Each error knows its `extensions.code`; the gateway turns them into GraphQL
errors in one place. Messages must never carry credentials.
"""

from __future__ import annotations

from typing import Any


class PlantgateError(Exception):
    """An error the client may see, with its code and extra extensions."""

    code = "INTERNAL"

    def __init__(self, message: str, **extensions: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extensions = {k: v for k, v in extensions.items() if v is not None}


class Unauthenticated(PlantgateError):
    code = "UNAUTHENTICATED"


class Forbidden(PlantgateError):
    code = "FORBIDDEN"


class BadUserInput(PlantgateError):
    code = "BAD_USER_INPUT"


class NotFound(PlantgateError):
    code = "NOT_FOUND"


class InsufficientCredits(PlantgateError):
    code = "INSUFFICIENT_CREDITS"


class SystemUnreachable(PlantgateError):
    code = "SYSTEM_UNREACHABLE"


class SystemAuthFailed(PlantgateError):
    code = "SYSTEM_AUTH_FAILED"


class SystemRejected(PlantgateError):
    code = "SYSTEM_REJECTED"


class UnsupportedOperation(PlantgateError):
    code = "UNSUPPORTED_OPERATION"


class RateLimited(PlantgateError):
    code = "RATE_LIMITED"

    def __init__(self, message: str, retry_after: float | None = None, **extensions: Any) -> None:
        super().__init__(message, retryAfter=retry_after, **extensions)
        self.retry_after = retry_after


class Conflict(SystemRejected):
    """The record changed in the system since the version the client holds (ETag, rowstamp)."""

    def __init__(self, message: str, current_version: str | None = None, **extensions: Any) -> None:
        super().__init__(message, reason="CONFLICT", currentVersion=current_version, **extensions)


class PersistedQueryNotFound(PlantgateError):
    """Automatic persisted queries: the hash is unknown, the client resends it with the query text."""

    code = "PERSISTED_QUERY_NOT_FOUND"

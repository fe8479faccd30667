"""Enums of the gateway's own closed sets, defined once for the admin and the data schemas.

Typed clients generate one type per enum name: `ConnectionStatus` must mean the
same values wherever it appears, so both schemas import these. `_value_: str` tells
type checkers what `strawberry.enum_value(...)` members hold at run time: their string.
"""

from __future__ import annotations

import enum

import strawberry


@strawberry.enum(description="A connection's health, as the gateway last saw it.")
class ConnectionStatus(enum.Enum):
    _value_: str
    PENDING = strawberry.enum_value("PENDING", description="Created by a connect link that is not completed yet.")
    ACTIVE = strawberry.enum_value("ACTIVE", description="The system answers and the login works.")
    DEGRADED = strawberry.enum_value("DEGRADED", description="The system answers, but some calls fail.")
    UNREACHABLE = strawberry.enum_value("UNREACHABLE", description="The system does not answer.")
    REAUTH_REQUIRED = strawberry.enum_value(
        "REAUTH_REQUIRED", description="The system refuses the login: reauthorize the connection."
    )
    DISCONNECTED = strawberry.enum_value("DISCONNECTED", description="Disconnected: its credits went back to the pool.")


@strawberry.enum(description="Where the system runs.")
class Hosting(enum.Enum):
    _value_: str
    CLOUD = strawberry.enum_value("CLOUD", description="The vendor's cloud.")
    ON_PREMISES = strawberry.enum_value("ON_PREMISES", description="The customer's own servers (credits doubled).")


@strawberry.enum(description="Where one entity's sync stands.")
class SyncState(enum.Enum):
    _value_: str
    IDLE = strawberry.enum_value("IDLE", description="Not synced yet.")
    RUNNING = strawberry.enum_value("RUNNING", description="A run is under way.")
    SUCCEEDED = strawberry.enum_value("SUCCEEDED", description="The last run succeeded.")
    FAILED = strawberry.enum_value("FAILED", description="The last run failed: retried on its own backoff (retryAt).")
    UNAVAILABLE = strawberry.enum_value(
        "UNAVAILABLE", description="The system has no such endpoint for this login: asked again rarely."
    )


@strawberry.enum(description="How a sync run reads the system.")
class SyncMode(enum.Enum):
    _value_: str
    FULL = strawberry.enum_value("FULL", description="Every record (and deletions marked).")
    INCREMENTAL = strawberry.enum_value("INCREMENTAL", description="Records changed since the last run.")


@strawberry.enum(description="The kind of a sync event (its webhook event type: sync.completed, sync.failed).")
class SyncEventType(enum.Enum):
    _value_: str
    SYNC_COMPLETED = strawberry.enum_value("sync.completed", description="A sync run completed.")
    SYNC_FAILED = strawberry.enum_value("sync.failed", description="A sync run failed.")


@strawberry.enum(description="The kind of system.")
class SystemCategory(enum.Enum):
    _value_: str
    CMMS = strawberry.enum_value("CMMS", description="Computerized maintenance management system.")
    EAM = strawberry.enum_value("EAM", description="Enterprise asset management.")
    ERP = strawberry.enum_value("ERP", description="Enterprise resource planning.")


@strawberry.enum(description="Where a connect link stands.")
class ConnectSessionStatus(enum.Enum):
    _value_: str
    PENDING = strawberry.enum_value("PENDING", description="Not completed yet (it may still expire).")
    COMPLETED = strawberry.enum_value("COMPLETED", description="The customer connected its system through it.")
    EXPIRED = strawberry.enum_value("EXPIRED", description="It expired before it was completed.")


@strawberry.enum(description="Where one webhook delivery stands.")
class WebhookDeliveryStatus(enum.Enum):
    _value_: str
    PENDING = strawberry.enum_value("PENDING", description="To be sent, or retried after a failed attempt.")
    DELIVERED = strawberry.enum_value("DELIVERED", description="The endpoint acknowledged it (2xx).")
    FAILED = strawberry.enum_value("FAILED", description="Given up after retrying for the maximum age.")

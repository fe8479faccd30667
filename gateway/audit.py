"""The audit trail: who (which admin key) did what to what, and when; changes kept with secrets removed.

Admin mutations record their entry right after their change commits (one short
transaction of its own); changes made by the gateway's own services in one
transaction (a connect link completed, an admin key issued, rotated or retired)
record it inside that transaction. "Key use" is recorded once per admin key
and `KEY_USE_WINDOW` per process: the first request with a key, and again
after an hour of use, without a row for every request.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass
from enum import Enum
from typing import Any

from sqlmodel import Session

from .requestid import current_request_id
from .scrub import scrub_value
from .store.engine import Store
from .store.log_tables import AuditEvent

KEY_USE_WINDOW = 3600.0  # seconds
log = logging.getLogger("plantgate.audit")


class AuditAction(Enum):
    CONNECTION_CREATE = "CONNECTION_CREATE"
    CONNECTION_DISCONNECT = "CONNECTION_DISCONNECT"
    CONNECTION_SYNC = "CONNECTION_SYNC"
    CONNECTION_TOKEN_ROTATE = "CONNECTION_TOKEN_ROTATE"
    CONNECTION_REAUTHORIZE = "CONNECTION_REAUTHORIZE"
    CONNECTION_SETTINGS_UPDATE = "CONNECTION_SETTINGS_UPDATE"
    WEBHOOK_CREATE = "WEBHOOK_CREATE"
    WEBHOOK_UPDATE = "WEBHOOK_UPDATE"
    WEBHOOK_DELETE = "WEBHOOK_DELETE"
    WEBHOOK_SECRET_ROTATE = "WEBHOOK_SECRET_ROTATE"
    WEBHOOK_REDELIVER = "WEBHOOK_REDELIVER"
    WEBHOOK_TEST = "WEBHOOK_TEST"
    CONNECT_LINK_CREATE = "CONNECT_LINK_CREATE"
    CONNECT_LINK_EXCHANGE = "CONNECT_LINK_EXCHANGE"
    CONNECT_LINK_COMPLETE = "CONNECT_LINK_COMPLETE"
    ADMIN_KEY_CREATE = "ADMIN_KEY_CREATE"
    ADMIN_KEY_ROTATE = "ADMIN_KEY_ROTATE"
    ADMIN_KEY_RETIRE = "ADMIN_KEY_RETIRE"
    ADMIN_KEY_USE = "ADMIN_KEY_USE"
    ORGANIZATION_SETTINGS_UPDATE = "ORGANIZATION_SETTINGS_UPDATE"
    AGENT_CREATE = "AGENT_CREATE"
    AGENT_KEY_ROTATE = "AGENT_KEY_ROTATE"
    AGENT_DELETE = "AGENT_DELETE"


class ActorType(Enum):
    ADMIN_KEY = "ADMIN_KEY"  # an admin request: actor id is the key's id (never the key)
    CONNECT_LINK = "CONNECT_LINK"  # a customer on a connect link: actor id is the connect session's id
    OPERATOR = "OPERATOR"  # the command line (plantgate create-org, the demo)


@dataclass(frozen=True)
class Actor:
    type: ActorType
    id: str | None = None


OPERATOR = Actor(ActorType.OPERATOR)


@dataclass(frozen=True)
class Target:
    type: str  # CONNECTION WEBHOOK_ENDPOINT WEBHOOK_DELIVERY CONNECT_SESSION ADMIN_KEY ORGANIZATION AGENT
    id: str | None


def record_audit(
    session: Session,
    organization_id: str,
    actor: Actor,
    action: AuditAction,
    target: Target,
    changes: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add one audit entry in the caller's transaction; `changes` lose every secret-looking value."""
    request_id = current_request_id.get()
    event = AuditEvent(
        organization_id=organization_id,
        action=action.value,
        actor_type=actor.type.value,
        actor_id=actor.id,
        target_type=target.type,
        target_id=target.id,
        changes=scrub_value(changes or {}),
        request_id=None if request_id == "-" else request_id,
    )
    session.add(event)
    return event


async def audit(
    store: Store,
    organization_id: str,
    actor: Actor,
    action: AuditAction,
    target: Target,
    changes: dict[str, Any] | None = None,
) -> None:
    """Record one audit entry in a transaction of its own, after the action committed.

    Never raises: the action is done and its answer (a token shown once) must reach the caller; an
    entry that cannot be stored is logged instead, with its change already scrubbed.
    """

    def write() -> None:
        with store.write() as session:
            record_audit(session, organization_id, actor, action, target, changes)

    try:
        await store.run(write)
    except Exception:
        log.error(
            "could not record the audit entry %s on %s %s by %s %s: %s",
            action.value,
            target.type,
            target.id,
            actor.type.value,
            actor.id,
            json.dumps(scrub_value(changes or {}), default=str),
            exc_info=True,
        )


class KeyUse:
    """Which admin keys this process recorded as used, and when: one ADMIN_KEY_USE entry per key and window."""

    def __init__(self, window: float = KEY_USE_WINDOW) -> None:
        self.window = window
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()

    def due(self, key_id: str) -> bool:
        """True (and noted) when `key_id` has not been recorded within the window."""
        now = time.monotonic()
        with self._lock:
            last = self._last.get(key_id)
            if last is not None and now - last < self.window:
                return False
            self._last[key_id] = now
            if len(self._last) > 10_000:  # forget the oldest: at worst one more entry for them
                for stale in sorted(self._last, key=self._last.__getitem__)[:1000]:
                    del self._last[stale]
            return True

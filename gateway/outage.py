"""One log line when a dependency goes down and one when it is back, however many calls fail between.

During an outage every request and every tick fails the same way; a traceback
each would bury the one fact worth reading. Calls report their outcome with
the time they started, so a call that was already in flight when the state
changed (a success finishing after the outage began, a failure after recovery)
does not flip it back.
"""

from __future__ import annotations

import logging
import threading
import time


def describe(exc: BaseException) -> str:
    """The root cause's type and first line, without what wraps it (SQLAlchemy adds the SQL and its parameters)."""
    while exc.__cause__ is not None:
        exc = exc.__cause__
    cause = getattr(exc, "orig", None) or exc
    first = (str(cause).strip().splitlines() or [""])[0][:200]
    return f"{type(cause).__name__}: {first}" if first else type(cause).__name__


class OutageLog:
    """Tracks whether `what` is down and logs each change once, on `logger`."""

    def __init__(self, logger: logging.Logger, what: str, meanwhile: str, back: str) -> None:
        self.logger = logger
        self.what = what
        self.meanwhile = meanwhile  # what the process does while it is down
        self.back = back  # what it does again once it answers
        self._lock = threading.Lock()
        self._down_since: float | None = None
        self._up_since = 0.0

    @property
    def down(self) -> bool:
        return self._down_since is not None

    def failed(self, exc: BaseException, started: float | None = None) -> None:
        """A call that began at `started` (monotonic; default now) failed because `what` is down."""
        started = time.monotonic() if started is None else started
        with self._lock:
            if self._down_since is not None or started < self._up_since:
                return
            self._down_since = time.monotonic()
        self.logger.warning("%s unavailable (%s); %s", self.what, describe(exc), self.meanwhile)

    def answered(self, started: float | None = None) -> None:
        """A call that began at `started` succeeded: `what` is up (again)."""
        started = time.monotonic() if started is None else started
        with self._lock:
            if self._down_since is None or started < self._down_since:
                return
            lasted = time.monotonic() - self._down_since
            self._down_since, self._up_since = None, time.monotonic()
        self.logger.info("%s available again after %.0f s; %s", self.what, lasted, self.back)

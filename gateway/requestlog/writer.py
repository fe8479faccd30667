"""Request log entries written in batches from a thread of their own, so an upstream call never waits on the store.

Entries wait in a bounded in-memory buffer; the thread writes them every
`interval` seconds, or sooner once a batch is full. While the database cannot
take them they stay buffered; when the buffer is full the oldest are dropped
(counted in `plantgate_request_log_dropped_total`). `close` writes what is left,
so a clean shutdown loses nothing.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from typing import Any

from sqlalchemy import insert

from ..metrics import REQUEST_LOG_DROPPED
from ..store.engine import Store
from ..store.log_tables import RequestLogEntry

log = logging.getLogger("plantgate.requestlog")


class RequestLogWriter:
    def __init__(self, store: Store, capacity: int = 20_000, batch: int = 500, interval: float = 1.0) -> None:
        self.store = store
        self.capacity = capacity
        self.batch = batch
        self.interval = max(interval, 0.01)
        self._pending: deque[dict[str, Any]] = deque()
        self._lock = threading.Lock()  # guards _pending, _thread, _closed
        self._flushing = threading.Lock()  # one writer at a time: the thread, or close()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._failing = False

    def add(self, row: dict[str, Any]) -> None:
        """Queue one entry (a `request_log` row as a dict); never blocks on the database."""
        with self._lock:
            if len(self._pending) >= self.capacity:
                self._pending.popleft()
                REQUEST_LOG_DROPPED.inc()
            self._pending.append(row)
            if self._closed:
                return  # close() flushes once more after its join
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="plantgate-request-log", daemon=True)
                self._thread.start()
            if len(self._pending) >= self.batch:
                self._wake.set()

    def _run(self) -> None:
        while True:
            self._wake.wait(self.interval)
            self._wake.clear()
            self.flush()
            with self._lock:
                if self._closed:
                    return

    def flush(self) -> int:
        """Write every buffered entry now; returns how many were written (0 while the database fails)."""
        written = 0
        with self._flushing:
            while True:
                with self._lock:
                    rows = [self._pending.popleft() for _ in range(min(self.batch, len(self._pending)))]
                if not rows:
                    return written
                try:
                    with self.store.write() as session:
                        session.execute(insert(RequestLogEntry), rows)
                except Exception:
                    self._requeue(rows)
                    if not self._failing:
                        log.warning("could not write the request log; entries stay buffered", exc_info=True)
                    self._failing = True
                    return written
                if self._failing:
                    log.info("writing the request log again")
                self._failing = False
                written += len(rows)

    def _requeue(self, rows: list[dict[str, Any]]) -> None:
        with self._lock:
            room = self.capacity - len(self._pending)
            kept = rows[-room:] if room > 0 else []
            REQUEST_LOG_DROPPED.inc(len(rows) - len(kept))
            self._pending.extendleft(reversed(kept))

    def close(self) -> None:
        """Stop the thread and write what is left."""
        with self._lock:
            self._closed = True
            thread = self._thread
        self._wake.set()
        if thread is not None:
            thread.join(timeout=30)
        self.flush()

"""The seeded tables a sandbox serves: generated once, copied on read, changed only on request."""

from __future__ import annotations

import copy
import threading
from datetime import datetime, timedelta, timezone
from typing import Any

Record = dict[str, Any]
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def iso(ms: int) -> str:
    """Epoch milliseconds as ISO 8601: UTC, milliseconds, `Z` (as UpKeep and MaintainX write them)."""
    moment = EPOCH + timedelta(milliseconds=ms)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def parse_ms(value: str) -> int:
    """The inverse of `iso` (accepts any ISO 8601 with an offset or `Z`; naive means UTC)."""
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return (moment - EPOCH) // timedelta(milliseconds=1)


def now_ms() -> int:
    return (datetime.now(timezone.utc) - EPOCH) // timedelta(milliseconds=1)


class SeededDataset:
    """Deterministic records per resource, in the order the list endpoints serve them.

    Subclasses say how to generate the tables and how the vendor writes a
    modification time. `touch` and `remove` serve tests (incremental reads,
    deletions); `insert` and `patch` serve the vendor API's own writes.
    """

    stamp_field = "updatedAt"

    def __init__(self, seed: int = 7) -> None:
        self.seed = seed
        self._lock = threading.RLock()
        self._tables: dict[str, list[Record]] | None = None
        self._index: dict[str, dict[Any, Record]] = {}

    def generate(self) -> dict[str, list[Record]]:  # pragma: no cover - interface
        raise NotImplementedError

    def now_stamp(self) -> Any:  # pragma: no cover - interface
        """The vendor's representation of "now" for `stamp_field`."""
        raise NotImplementedError

    def _load(self) -> dict[str, list[Record]]:
        with self._lock:
            if self._tables is None:
                tables = self.generate()
                self._index = {name: {r["id"]: r for r in rows} for name, rows in tables.items()}
                self._tables = tables
            return self._tables

    def records(self, resource: str) -> list[Record]:
        """All records of a resource in list order (copies, safe to change)."""
        tables = self._load()
        with self._lock:
            return copy.deepcopy(tables[resource])

    def get(self, resource: str, record_id: Any) -> Record | None:
        self._load()
        with self._lock:
            return copy.deepcopy(self._index[resource].get(record_id))

    def count(self, resource: str) -> int:
        return len(self._load()[resource])

    def snapshot(self) -> dict[str, list[Record]]:
        """Every table, for comparing two datasets."""
        return {name: self.records(name) for name in self._load()}

    def _known(self, resource: str, ids: list[Any]) -> dict[Any, Record]:
        index = self._index[resource]
        missing = [i for i in ids if i not in index]
        if missing:
            raise KeyError(missing[0])
        return index

    def touch(self, resource: str, ids: list[Any], stamp: Any = None) -> list[Record]:
        """Marks records as modified now (or at `stamp`); raises KeyError on an unknown id, changing nothing."""
        self._load()
        stamp = self.now_stamp() if stamp is None else stamp
        with self._lock:
            index = self._known(resource, ids)
            for record_id in ids:
                index[record_id][self.stamp_field] = stamp
            return [copy.deepcopy(index[i]) for i in ids]

    def insert(self, resource: str, record: Record) -> Record:
        """Appends a record created through the API (it already carries its id and stamps)."""
        tables = self._load()
        with self._lock:
            tables[resource].append(record)
            self._index[resource][record["id"]] = record
            return copy.deepcopy(record)

    def patch(self, resource: str, record_id: Any, changes: Record) -> Record | None:
        """Applies changed fields and stamps the record as modified now; None if unknown."""
        self._load()
        with self._lock:
            record = self._index[resource].get(record_id)
            if record is None:
                return None
            record.update(changes)
            record[self.stamp_field] = self.now_stamp()
            return copy.deepcopy(record)

    def remove(self, resource: str, ids: list[Any]) -> list[Record]:
        """Deletes records, as a user deleting them in the system would; returns them."""
        tables = self._load()
        with self._lock:
            index = self._known(resource, ids)
            gone = [index.pop(i) for i in ids]
            tables[resource][:] = [r for r in tables[resource] if r["id"] in index]
            return gone

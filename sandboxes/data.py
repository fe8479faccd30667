"""The seeded tables a sandbox serves: generated once, copied on read, changed only on request.

Also the generation steps the UpKeep and MaintainX seeds share (`SeededGenerator`).
"""

from __future__ import annotations

import copy
import itertools
import random
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

Record = dict[str, Any]
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def iso(ms: int) -> str:
    """Epoch milliseconds as ISO 8601: UTC, milliseconds, `Z` (as UpKeep and MaintainX write them)."""
    moment = EPOCH + timedelta(milliseconds=ms)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def parse_ms(value: str) -> int:
    """The inverse of `iso` (accepts any ISO 8601 with an offset or `Z`; naive means UTC)."""
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - EPOCH) // timedelta(milliseconds=1)


def now_ms() -> int:
    return (datetime.now(UTC) - EPOCH) // timedelta(milliseconds=1)


class SeededDataset:
    """Deterministic records per resource, in the order the list endpoints serve them.

    Subclasses say how to generate the tables, how the vendor writes a
    modification time and, where it is not `id`, which field holds a record's id
    (`id_field`). `touch` and `remove` serve tests (incremental reads, deletions);
    `insert` and `patch` serve the vendor API's own writes.
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

    def id_field(self, resource: str) -> str:
        """The field holding a resource's record ids (some vendors name it per resource: `taskID`)."""
        return "id"

    def _load(self) -> dict[str, list[Record]]:
        with self._lock:
            if self._tables is None:
                tables = self.generate()
                self._index = {name: {r[self.id_field(name)]: r for r in rows} for name, rows in tables.items()}
                self._tables = tables
            return self._tables

    def records(self, resource: str) -> list[Record]:
        """All records of a resource in list order (copies, safe to change)."""
        tables = self._load()
        with self._lock:
            return copy.deepcopy(tables[resource])

    def select(
        self, resource: str, keep: Callable[[Record], bool], start: int = 0, count: int | None = None
    ) -> list[Record]:
        """Up to `count` records from position `start` of those `keep` accepts (copies).

        A list call copies only the page it serves, not the whole table: the
        sandbox should cost little next to the gateway it stands in front of.
        """
        tables = self._load()
        with self._lock:
            kept = (record for record in tables[resource] if keep(record))
            stop = None if count is None else start + count
            return copy.deepcopy(list(itertools.islice(kept, start, stop)))

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
            self._index[resource][record[self.id_field(resource)]] = record
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
            key = self.id_field(resource)
            tables[resource][:] = [r for r in tables[resource] if r[key] in index]
            return gone


class SeededGenerator:
    """What the UpKeep and MaintainX seed generators share: one Random, the order
    of the reference tables, and the draws that decide how records relate.

    Every draw comes from `self.rng` in a fixed order, so a seed always gives the
    same bytes; helpers here draw exactly what the vendor code drew before them.
    Stamps are epoch milliseconds, written as ISO 8601 (`iso`).
    """

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def users(self) -> list[Record]:  # pragma: no cover - interface
        raise NotImplementedError

    def teams(self, users: list[Record]) -> list[Record]:  # pragma: no cover - interface
        raise NotImplementedError

    def locations(self) -> list[Record]:  # pragma: no cover - interface
        raise NotImplementedError

    def vendors(self) -> list[Record]:  # pragma: no cover - interface
        raise NotImplementedError

    def assets(self, locations: list[Record]) -> list[Record]:  # pragma: no cover - interface
        raise NotImplementedError

    def parts(self, locations: list[Record], vendors: list[Record]) -> list[Record]:  # pragma: no cover - interface
        raise NotImplementedError

    def reference_tables(self) -> dict[str, list[Record]]:
        """Users, teams, locations, vendors, assets and parts, each built after what it refers to."""
        tables: dict[str, list[Record]] = {}
        tables["users"] = self.users()
        tables["teams"] = self.teams(tables["users"])
        tables["locations"] = self.locations()
        tables["vendors"] = self.vendors()
        tables["assets"] = self.assets(tables["locations"])
        tables["parts"] = self.parts(tables["locations"], tables["vendors"])
        return tables

    def weighted(self, pairs: tuple[tuple[Any, int], ...]) -> Any:
        """One value of `(value, weight)` pairs, drawn by weight."""
        values = [v for v, _ in pairs]
        weights = [w for _, w in pairs]
        return self.rng.choices(values, weights=weights)[0]

    @staticmethod
    def stamped(record: Record, created: int, updated: int) -> Record:
        """Sets `createdAt` and `updatedAt` (never before the creation)."""
        record["createdAt"] = iso(created)
        record["updatedAt"] = iso(max(created, updated))
        return record

    def received(self, quantity: int, fulfilled: bool, partial: bool) -> int:
        """How much of a purchase-order line has arrived: all, some (not all, at least one), or none."""
        if fulfilled:
            return quantity
        if partial:
            return self.rng.randint(1, quantity - 1)
        return 0

    def claim_work_order(
        self, work_orders: list[tuple[int, Record]], claimed: set[Any], created: int, within: int
    ) -> Record | None:
        """The work order an approved request became: one of the `(createdAt, work order)` pairs
        created within `within` ms after the request and not yet claimed by another; None if none is."""
        window = [w for at, w in work_orders if w["id"] not in claimed and created <= at <= created + within]
        if not window:
            return None
        work_order = self.rng.choice(window)
        claimed.add(work_order["id"])
        return work_order

    def request_subject(
        self,
        assets: list[Record],
        places: list[Record],
        location_field: str,
        asset_titles: tuple[str, ...],
        place_titles: tuple[str, ...],
    ) -> tuple[Any, Any, str]:
        """What a request that became no work order is about: `(asset id, location id, title)`.

        An asset four times in five (its location is `location_field`), else a place;
        titles are templates with `{a}` for the asset's name or `{l}` for the place's.
        """
        if self.rng.random() < 0.8:
            asset = self.rng.choice(assets)
            return asset["id"], asset[location_field], self.rng.choice(asset_titles).format(a=asset["name"])
        place = self.rng.choice(places)
        return None, place["id"], self.rng.choice(place_titles).format(l=place["name"])

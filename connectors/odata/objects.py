"""Custom objects: an entity set the unified mapping does not read, served as its own type.

An object's `remote_name` is `SERVICE/EntitySet` and its `id_path` the key
properties, comma-separated; only the connector's own services may be named,
so a setting cannot point the gateway at any other service of the system.
A composite key becomes the remote id `A='1',B='2'` (as SAP writes it in URLs).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from schema.errors import NotFound
from schema.model import CustomField, CustomObject
from schema.record import Record

from ..batching import chunks
from ..discovery import map_object
from ..mapping import dig
from .query import Query, eq_all, key_text, key_values


@dataclass(frozen=True)
class ObjectSet:
    """Where a custom object is read from: service, entity set and key properties."""

    obj: CustomObject
    service: str
    entity_set: str
    keys: tuple[str, ...]

    @classmethod
    def of(cls, obj: CustomObject, services: Iterable[str], system: str) -> ObjectSet:
        service, _, entity_set = obj.remote_name.partition("/")
        keys = tuple(k.strip() for k in obj.id_path.split(",") if k.strip())
        if service not in set(services) or not entity_set.isidentifier() or not keys:
            raise NotFound(f"{system} has no entity set '{obj.remote_name}' to serve")
        return cls(obj, service, entity_set, keys)

    def query(self, **options: Any) -> Query:
        """The keys and every property the object's fields (and display value) read."""
        obj = self.obj
        paths = [f.remote_path for f in obj.fields] + ([obj.display_path] if obj.display_path else [])
        select = tuple(dict.fromkeys([*self.keys, *(p.split(".")[0] for p in paths)]))
        return Query(select=select, orderby=self.keys, **options)

    def fetch_queries(self, remote_ids: list[str], per_call: int) -> list[Query]:
        """Reads of these records, `per_call` keys `or`-joined in each; ids that are no key are skipped."""
        wanted = [v for i in dict.fromkeys(remote_ids) if (v := key_values(self.keys, i)) is not None]
        return [self.query(filter=" or ".join(eq_all(v) for v in part)) for part in chunks(wanted, per_call)]

    def record(self, row: dict[str, Any], value_of: Callable[[Any, CustomField], Any]) -> Record:
        record = map_object(self.obj, row, value_of, dig(row, "__metadata.etag"))
        record.remote_id = record.values["remoteId"] = key_text(self.keys, row)
        return record

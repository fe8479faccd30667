"""Automatic persisted queries (Apollo's APQ protocol) with an in-process LRU.

A client sends `extensions.persistedQuery = {version: 1, sha256Hash}` without
the query; if the hash is unknown it gets PERSISTED_QUERY_NOT_FOUND and resends
hash and query, which is then remembered. Entries are kept per organization,
so no caller learns which documents another organization runs.
"""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from dataclasses import dataclass
from threading import Lock
from typing import Any

from schema.errors import BadUserInput, PersistedQueryNotFound

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Persisted:
    """The query to run and, when it came with a hash, the key to remember it under."""

    query: str | None
    key: tuple[str, str] | None = None


class PersistedQueries:
    def __init__(self, max_size: int) -> None:
        self.max_size = max_size
        self._queries: OrderedDict[tuple[str, str], str] = OrderedDict()
        self._lock = Lock()

    def resolve(self, scope: str, query: str | None, extensions: dict[str, Any] | None) -> Persisted:
        """The request's query text: as sent, or looked up by its hash."""
        persisted = (extensions or {}).get("persistedQuery")
        if persisted is None:
            return Persisted(query)
        digest = _hash_of(persisted)
        key = (scope, digest)
        if query is None:
            with self._lock:
                known = self._queries.get(key)
                if known is not None:
                    self._queries.move_to_end(key)
            if known is None:
                raise PersistedQueryNotFound("PersistedQueryNotFound")
            return Persisted(known)
        if hashlib.sha256(query.encode()).hexdigest() != digest:
            raise BadUserInput("provided sha256Hash does not match the query", field="extensions.persistedQuery")
        return Persisted(query, key)

    def remember(self, persisted: Persisted) -> None:
        """Keep a verified query once it proved runnable (invalid documents take no room)."""
        if persisted.key is None or persisted.query is None or self.max_size <= 0:
            return
        with self._lock:
            self._queries[persisted.key] = persisted.query
            self._queries.move_to_end(persisted.key)
            while len(self._queries) > self.max_size:
                self._queries.popitem(last=False)


def _hash_of(persisted: Any) -> str:
    if not isinstance(persisted, dict) or persisted.get("version") != 1:
        raise BadUserInput(
            "extensions.persistedQuery must be {version: 1, sha256Hash}", field="extensions.persistedQuery"
        )
    digest = persisted.get("sha256Hash")
    if not isinstance(digest, str) or not _SHA256.match(digest.lower()):
        raise BadUserInput("sha256Hash must be 64 hexadecimal characters", field="extensions.persistedQuery")
    return digest.lower()

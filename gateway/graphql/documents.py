"""Parsed, validated documents, so each distinct query is parsed and validated once per schema.

Parsing and validating is a large share of a small query's cost, and clients
send the same few documents over and over. An entry is keyed by the schema
object's identity, the caller's limits and the query text, and holds only the
document's syntax tree: never variables, results or anything a caller was
answered. Only documents that passed every check are kept, so a stream of bad
documents takes no room. The schema is referenced weakly and compared on every
hit: a schema evicted from the schema cache can neither be kept alive by this
cache nor be confused with a later schema that reuses its `id()`.
"""

from __future__ import annotations

import weakref
from collections import OrderedDict
from collections.abc import Hashable
from threading import Lock

from graphql import DocumentNode, GraphQLSchema

MAX_ENTRIES = 500
MAX_CHARACTERS = 500_000  # total query text kept: a parsed tree takes about 100 bytes per character


class DocumentCache:
    """Least recently used documents, bounded by count and by total query length."""

    def __init__(self, max_entries: int = MAX_ENTRIES, max_characters: int = MAX_CHARACTERS) -> None:
        self.max_entries = max_entries
        self.max_characters = max_characters
        self._entries: OrderedDict[tuple[int, Hashable, str], tuple[weakref.ref[GraphQLSchema], DocumentNode]] = (
            OrderedDict()
        )
        self._characters = 0
        self._lock = Lock()

    def get(self, schema: GraphQLSchema, limits: Hashable, query: str) -> DocumentNode | None:
        key = (id(schema), limits, query)
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[0]() is not schema:  # the id of a schema that no longer exists
                self._drop(key)
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def put(self, schema: GraphQLSchema, limits: Hashable, query: str, document: DocumentNode) -> None:
        """Keep a document that parsed, validated and fit `limits` against `schema`."""
        if len(query) > self.max_characters:
            return
        key = (id(schema), limits, query)
        with self._lock:
            if key in self._entries:
                self._drop(key)
            self._entries[key] = (weakref.ref(schema), document)
            self._characters += len(query)
            while len(self._entries) > self.max_entries or self._characters > self.max_characters:
                self._drop(next(iter(self._entries)))

    def __len__(self) -> int:
        return len(self._entries)

    def _drop(self, key: tuple[int, Hashable, str]) -> None:
        del self._entries[key]
        self._characters -= len(key[2])

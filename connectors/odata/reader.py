"""`EntitySetClient`: what `ODataConnector` asks of a client, whatever the protocol version.

Both versions read pages of an entity set, follow the server's next link to the
end (`collect`), read many sets at once, count, write with `If-Match` and pass raw
requests through; they differ in envelopes, login and how many reads go in one call.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from typing import Any

import httpx

from ..passthrough import RawRequest, RawResponse
from .envelope import Collection
from .query import Query


class EntitySetClient(ABC):
    system: str

    @abstractmethod
    async def collection(self, service: str, entity_set: str, query: Query = Query()) -> Collection:
        """One page of a set."""

    @abstractmethod
    async def follow(self, next_url: str) -> Collection:
        """The page a server's next link points at."""

    async def collect(self, service: str, entity_set: str, query: Query = Query()) -> Collection:
        """Every page of a read, following the next link until the server stops paging."""
        return await self.rest_of(await self.collection(service, entity_set, query))

    async def rest_of(self, page: Collection) -> Collection:
        """A first page joined with the pages its next link leads to."""
        results, count = list(page.results), page.count
        while page.next_url:
            page = await self.follow(page.next_url)
            results += page.results
        return Collection(results, count)

    async def collect_all(self, service: str, entity_set: str, queries: Iterable[Query]) -> list[dict[str, Any]]:
        """Several reads of one set at once (e.g. one per chunk of keys); their rows in query order."""
        parts = await asyncio.gather(*(self.collect(service, entity_set, query) for query in queries))
        return [row for part in parts for row in part.results]

    @abstractmethod
    async def count(self, service: str, entity_set: str, filter: str | None = None) -> int: ...

    @abstractmethod
    async def metadata(self, service: str) -> bytes: ...

    @abstractmethod
    async def send(
        self, method: str, service: str, path: str, json: Any = None, headers: Mapping[str, str] | None = None
    ) -> httpx.Response:
        """A write (or a read of one entity) at `path` within the service."""

    @abstractmethod
    def entity_of(self, response: httpx.Response) -> dict[str, Any]:
        """The entity a write answered with."""

    @abstractmethod
    def expanded(self, entity: dict[str, Any], navigations: tuple[str, ...]) -> bool:
        """Whether an answered entity carries these navigations inline."""

    @abstractmethod
    async def passthrough(self, instance_root: str, request: RawRequest) -> RawResponse: ...

    @abstractmethod
    async def aclose(self) -> None: ...

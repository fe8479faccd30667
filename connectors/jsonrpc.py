"""Reusable pieces for ERPs that expose their models over JSON-RPC (Tryton, Odoo).

Such systems read any model with one generic call, `search_read(domain, offset,
limit, order, fields)`, where a domain is a list of `[field, operator, value]`
clauses joined by AND. A connector declares per entity a model, the fields to
read and a mapping; it supplies the transport (`search_read`, `search_count`),
the login and the odd value formats as hooks, and may join related records per
page (`enrich`).

Lists page by key: ordered by id, each page asks for `id > <last id seen>`, so
a record archived, deleted or created before the cursor neither skips nor
repeats one. A count is one `search_count` with the listing's domain and context.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from schema.model import CustomField
from schema.record import Record

from .base import Connector, Filterable, FilterPlan, ListQuery, Page, plan_filter
from .mapping import EntityMap, Spec, dig, spec_path
from .paging import KeysetPaging, Start
from .writes import WriteMap

Domain = list[Any]
# A cursor is `id>` and the last id listed; bare digits are offsets from before keyset paging,
# read once by position, as they were written (the next cursor is a key).
KEYS = KeysetPaging("id>", key=r"[0-9]+", offsets=True)


def page_start(cursor: str | None) -> tuple[Domain, int]:
    """Where a page starts: the domain clause after the cursor's id, or (an old offset cursor) the offset."""
    start = KEYS.start(cursor)
    return ([["id", ">", int(start.after)]] if start.after is not None else []), start.offset


def next_cursor(rows: list[dict[str, Any]], limit: int) -> str | None:
    """After a full page, its last id (a short page is the last one)."""
    return KEYS.next_cursor(Start(), [int(r["id"]) for r in rows], len(rows) >= limit)


def _any_custom(custom: CustomField, value: Any) -> bool:
    return True


@dataclass(frozen=True)
class Ref(Spec):
    """A many2one id as the unified relation's remote id (None stays None)."""

    path: str

    def extract(self, raw: Any) -> Any:
        value = dig(raw, self.path)
        return None if value in (None, False) else str(value)


@dataclass(frozen=True)
class Model:
    """One remote model read as one unified entity."""

    mapping: EntityMap
    model: str
    fields: tuple[str, ...]
    status_field: str | None = None  # unified enum field a status filter applies to
    status_remote: str | None = None  # the model's field holding the raw status
    domain: tuple[Any, ...] = ()  # always applied to lists
    context: Mapping[str, Any] = field(default_factory=dict)
    writes: WriteMap | None = None  # writable fields, where the system takes writes

    @property
    def entity(self) -> str:
        return self.mapping.entity


class ModelRpcConnector(Connector):
    """A model-based JSON-RPC system described by `models`; keyset paging by id."""

    models: ClassVar[tuple[Model, ...]] = ()
    live_paging = "keyset"
    # The fields a domain compares for `updatedAfter` / `createdAfter`; None: each model's own, the
    # field its mapping reads `updatedAt` / `createdAt` from (a model without that time has none).
    updated_field: ClassVar[str | None] = "write_date"
    created_field: ClassVar[str | None] = "create_date"

    # -- hooks --------------------------------------------------------------

    async def search_read(
        self, model: Model, domain: Domain, offset: int, limit: int | None, context: Mapping[str, Any]
    ) -> list[dict[str, Any]]:
        """One search_read call, ordered by id; logs in first where needed."""
        raise NotImplementedError

    async def search_count(self, model: Model, domain: Domain, context: Mapping[str, Any]) -> int | None:
        """How many records match `domain`, in one call (None where the system cannot count)."""
        return None

    def format_time(self, value: datetime) -> Any:
        return value.strftime("%Y-%m-%d %H:%M:%S")

    def format_value(self, value: Any) -> Any:
        """A custom filter's value as the domain takes it."""
        return self.format_time(value) if isinstance(value, datetime) else value

    async def enrich(self, model: Model, rows: list[dict[str, Any]]) -> None:
        """Join related records into a page's rows (one call per page, never per row)."""

    # -- protocol -----------------------------------------------------------

    def model(self, entity: str) -> Model:
        self.require(entity)
        return next(m for m in self.models if m.entity == entity)

    def entity_map(self, entity: str) -> EntityMap | None:
        return self.model(entity).mapping

    def read_fields(self, model: Model) -> list[str]:
        """The model's mapped fields plus the connection's custom ones (only what is asked comes back)."""
        custom = [f.remote_path for f in self.config.extension.sourced_for(model.entity)]
        return list(dict.fromkeys([*model.fields, *custom]))

    def write_map(self, entity: str) -> WriteMap | None:
        return self.model(entity).writes

    def stamp_fields(self, model: Model) -> tuple[str | None, str | None]:
        """The (updated, created) time fields a domain compares on this model; None: it keeps no such time."""
        mapping = model.mapping
        return (
            self.updated_field or spec_path(mapping.updated_at),
            self.created_field or spec_path(mapping.created_at),
        )

    async def check(self) -> None:
        first = self.models[0]
        await self.search_read(first, list(first.domain), 0, 1, first.context)

    def filterable(self, model: Model) -> Filterable:
        """A domain compares any field: the times the model keeps, custom fields, and the raw status where
        the model names its field (a status filter on a model that names none filters nothing)."""
        updated, created = self.stamp_fields(model)
        return Filterable(
            model.mapping,
            model.status_field if model.status_remote else None,
            updated_after=bool(updated),
            created_after=bool(created),
            statuses=True,
            custom=_any_custom,
        )

    def list_domain(self, model: Model, query: ListQuery) -> Domain | None:
        """The model's own clauses and the filters, as a domain; None when no record can match.

        The kit's planner (`plan_filter` on `filterable`) splits the filter; what it pushes is
        rendered by `plan_domain`, and a domain takes every filter `filterable` declares.
        """
        plan = plan_filter(query, self.filterable(model))
        return None if plan is None else self.plan_domain(model, plan)

    def plan_domain(self, model: Model, plan: FilterPlan) -> Domain:
        """The model's own clauses and the pushed part of a plan."""
        pushed, domain = plan.pushed, list(model.domain)
        updated, created = self.stamp_fields(model)
        if pushed.updated_after and updated:
            domain.append([updated, ">", self.format_time(pushed.updated_after)])
        if pushed.created_after and created:
            domain.append([created, ">", self.format_time(pushed.created_after)])
        if pushed.statuses is not None:
            domain.append([model.status_remote, "in", list(plan.raw_statuses)])
        domain += [[custom.remote_path, "=", self.format_value(value)] for custom, value in pushed.custom]
        return domain

    async def records(self, model: Model, rows: list[dict[str, Any]]) -> list[Record]:
        """A page's rows joined with their related records (`enrich`), mapped, with the connection's custom values."""
        if rows:
            await self.enrich(model, rows)
        return self.with_custom_values([model.mapping.map(row) for row in rows])

    async def list_page(self, entity: str, query: ListQuery, cursor: str | None, limit: int) -> Page:
        model = self.model(entity)
        domain = self.list_domain(model, query)
        after, offset = page_start(cursor)
        if domain is None:
            return Page([], None)
        limit = min(limit, self.max_page_size)
        rows = await self.search_read(model, domain + after, offset, limit, model.context)
        return Page(await self.records(model, rows), next_cursor(rows, limit))

    async def count(self, entity: str, query: ListQuery) -> int | None:
        """`search_count` with the listing's domain and context: every filter is in the domain."""
        model = self.model(entity)
        domain = self.list_domain(model, query)
        if domain is None:
            return 0
        return await self.search_count(model, domain, model.context)

    async def fetch_many(self, entity: str, remote_ids: list[str]) -> list[Record]:
        """One call by `id in [...]`; archived records count, as a relation may point at them."""
        model = self.model(entity)
        ids = sorted({int(i) for i in remote_ids if i.isdigit()})
        if not ids:
            return []
        rows = await self.search_read(model, [["id", "in", ids]], 0, None, {**model.context, "active_test": False})
        return await self.records(model, rows)

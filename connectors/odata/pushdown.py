"""Filter pushdown: the part of a listing's filter an OData service evaluates itself.

The service filters on the change time stamp, on the raw status values behind
a status (when the stream names a filterable property for it), on custom
fields at a top-level property and on a filterable deletion marker; the rest
is matched on the mapped records. An entity that never marks a record deleted
needs no filter to leave deleted records out.
"""

from __future__ import annotations

from dataclasses import replace

from ..base import ListQuery
from .query import all_of, custom_literal, eq_any, literal
from .streams import EntitySetStream


def pushdown(stream: EntitySetStream, query: ListQuery) -> tuple[str | None, ListQuery] | None:
    """The `$filter` for what the service can filter, and what is left to filter here.

    None means nothing can match (a status no raw value maps to).
    """
    clauses: list[str] = []
    rest = query
    if query.updated_after and stream.updated_field:
        clauses.append(f"{stream.updated_field} gt {literal(query.updated_after)}")
        rest = replace(rest, updated_after=None)
    if not query.include_deleted and (stream.deletion or "deletedAt" not in stream.mapping.fields):
        clauses += [stream.deletion.kept()] if stream.deletion else []
        rest = replace(rest, include_deleted=True)
    spec = stream.mapping.enum_spec(stream.status_field) if stream.status_field else None
    if query.statuses is not None and stream.status_property and spec:
        raw = [r for s in query.statuses for r in spec.raw_values(s)]
        if stream.deletion:
            status = stream.deletion.status_filter(stream.status_property, raw, query.statuses)
        else:
            status = eq_any(stream.status_property, raw) if raw else None
        if status is None:
            return None
        clauses.append(status)
        rest = replace(rest, statuses=None)
    pushed = [(f, v) for f, v in query.custom if f.filterable and "." not in f.remote_path]
    clauses += [f"{f.remote_path} eq {custom_literal(f, v)}" for f, v in pushed]
    rest = replace(rest, custom=tuple(c for c in query.custom if c not in pushed))
    return all_of(clauses), rest

"""Filter pushdown: the part of a listing's filter an OData service evaluates, as a `$filter`.

The kit's planner (`base.plan_filter`) splits the filter; the service filters on
the change time stamp, on the raw status values behind a status (when the stream
names a filterable property for it), on custom fields at a top-level property and
on a filterable deletion marker, and the rest is matched on the mapped records.
This module says so (`filterable`) and writes the pushed part (`clause`).
"""

from __future__ import annotations

from typing import Any

from schema.model import CustomField

from ..base import Filterable, FilterPlan
from .query import all_of, eq_any
from .streams import EntitySetStream


def _filterable_custom(custom: CustomField, value: Any) -> bool:
    return custom.filterable and "." not in custom.remote_path


def filterable(stream: EntitySetStream) -> Filterable:
    """What the service filters on a stream's records."""
    return Filterable(
        stream.mapping,
        stream.status_field,
        updated_after=stream.updated_field is not None,
        statuses=stream.status_property is not None,
        marked_status=stream.deletion.status if stream.deletion else None,
        deleted=stream.deletion is not None,
        custom=_filterable_custom,
    )


def clause(stream: EntitySetStream, plan: FilterPlan) -> str | None:
    """The `$filter` of a plan's pushed part (None: it pushes nothing)."""
    pushed, clauses, dialect = plan.pushed, list[str | None](), stream.dialect
    if pushed.updated_after and stream.updated_field:
        clauses.append(f"{stream.updated_field} gt {dialect.literal(pushed.updated_after)}")
    if not pushed.include_deleted and stream.deletion:
        clauses.append(stream.deletion.kept())
    if pushed.statuses is not None and stream.status_property:
        raw = list(plan.raw_statuses)
        if stream.deletion:
            clauses.append(stream.deletion.status_filter(stream.status_property, raw, pushed.statuses))
        else:
            clauses.append(eq_any(stream.status_property, raw, dialect))
    clauses += [f"{f.remote_path} eq {dialect.custom_literal(f, v)}" for f, v in pushed.custom]
    return all_of(clauses)

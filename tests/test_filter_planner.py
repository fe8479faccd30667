"""The kit's filter planner: a listing's filter split into what the system filters and what is matched
here, with one "nothing can match" answer (None), on plain declarations."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from connectors.base import TIMES, Filterable, ListQuery, plan_filter
from connectors.mapping import Date, EntityMap, Enum
from schema.model import CustomField

STATUS = Enum("state", {"open": "OPEN", "wip": "IN_PROGRESS", "hold": "IN_PROGRESS", "done": "DONE"})
ORDERS = EntityMap("WorkOrder", "id", {"status": STATUS}, created_at=Date("created"), updated_at=Date("changed"))
UNDATED = EntityMap("WorkOrder", "id", {"status": STATUS})
MARKED = EntityMap("WorkOrder", "id", {"status": STATUS, "deletedAt": "deleted"})
SINCE = datetime(2026, 1, 1, tzinfo=UTC)
PLANT = CustomField("WorkOrder", "plant", "String", "plant", filterable=True)
NESTED = CustomField("WorkOrder", "crew", "String", "crew.name", filterable=True)


def top_level(custom: CustomField, value: Any) -> bool:
    return "." not in custom.remote_path


def test_what_the_system_cannot_filter_is_all_matched_here() -> None:
    query = ListQuery(updated_after=SINCE, statuses=("OPEN",), custom=((PLANT, "P1"),))
    plan = plan_filter(query, Filterable(ORDERS, "status"))
    assert plan is not None
    assert plan.pushed == ListQuery() and plan.residual == query
    assert not plan.exact and plan.screened


def test_what_the_system_filters_is_pushed_and_not_matched_again() -> None:
    query = ListQuery(updated_after=SINCE, created_after=SINCE, statuses=("IN_PROGRESS",), custom=((PLANT, "P1"),))
    can = Filterable(ORDERS, "status", updated_after=True, created_after=True, statuses=True, custom=top_level)
    plan = plan_filter(query, can)
    assert plan is not None
    assert plan.pushed == query and plan.raw_statuses == ("wip", "hold")
    assert plan.residual == ListQuery() and plan.exact and not plan.screened


def test_custom_filters_split_by_what_the_system_takes() -> None:
    query = ListQuery(custom=((PLANT, "P1"), (NESTED, "night")))
    plan = plan_filter(query, Filterable(ORDERS, custom=top_level))
    assert plan is not None
    assert plan.pushed.custom == ((PLANT, "P1"),) and plan.residual.custom == ((NESTED, "night"),)
    assert not plan.exact


def test_coarse_filters_are_pushed_and_checked_again_yet_count_as_exact() -> None:
    query = ListQuery(updated_after=SINCE, custom=((PLANT, "P1"),))
    can = Filterable(ORDERS, updated_after=True, custom=top_level, recheck=frozenset((*TIMES, "custom")))
    plan = plan_filter(query, can)
    assert plan is not None
    assert plan.pushed == query and plan.residual == query
    assert plan.exact and plan.screened


def test_a_status_no_raw_value_stands_for_matches_nothing() -> None:
    can = Filterable(ORDERS, "status", statuses=True)
    assert plan_filter(ListQuery(statuses=("CANCELLED",)), can) is None
    assert plan_filter(ListQuery(statuses=()), can) is None
    assert plan_filter(ListQuery(statuses=("CANCELLED",)), Filterable(ORDERS, "status")) is not None, (
        "matched here, a status is simply not found"
    )


def test_a_status_the_system_finds_by_a_deletion_marker_can_match_without_raw_values() -> None:
    can = Filterable(MARKED, "status", statuses=True, marked_status="CANCELLED", deleted=True)
    plan = plan_filter(ListQuery(statuses=("CANCELLED",)), can)
    assert plan is not None and plan.pushed.statuses == ("CANCELLED",) and plan.raw_statuses == ()
    assert plan_filter(ListQuery(statuses=("ARCHIVED",)), can) is None


def test_a_time_bound_on_records_without_that_time_matches_nothing_unless_the_system_filters_it() -> None:
    assert plan_filter(ListQuery(updated_after=SINCE), Filterable(UNDATED)) is None
    assert plan_filter(ListQuery(created_after=SINCE), Filterable(UNDATED)) is None
    plan = plan_filter(ListQuery(updated_after=SINCE), Filterable(UNDATED, updated_after=True))
    assert plan is not None and plan.pushed.updated_after == SINCE


def test_leaving_deleted_records_out() -> None:
    kept_out = ListQuery(include_deleted=False)
    marker = plan_filter(kept_out, Filterable(MARKED, deleted=True))
    assert marker is not None and not marker.pushed.include_deleted and marker.residual.include_deleted
    assert marker.exact
    never_marked = plan_filter(kept_out, Filterable(ORDERS))
    assert never_marked is not None and never_marked.pushed == ListQuery() and never_marked.residual == ListQuery()
    assert never_marked.exact, "records that are never marked deleted need no filter"
    here = plan_filter(kept_out, Filterable(MARKED))
    assert here is not None and not here.residual.include_deleted and not here.exact


def test_a_status_filter_on_a_stream_without_status_filters_nothing() -> None:
    plan = plan_filter(ListQuery(statuses=("OPEN",)), Filterable(ORDERS))
    assert plan is not None and plan.pushed == ListQuery() and plan.residual == ListQuery() and plan.exact


def test_the_residual_keeps_exactly_the_records_the_whole_filter_keeps() -> None:
    rows = [
        {"id": 1, "state": "open", "changed": "2025-12-31T00:00:00Z", "plant": "P1"},
        {"id": 2, "state": "wip", "changed": "2026-01-02T00:00:00Z", "plant": "P1"},
        {"id": 3, "state": "done", "changed": "2026-01-02T00:00:00Z", "plant": "P1"},
        {"id": 4, "state": "hold", "changed": "2026-01-03T00:00:00Z", "plant": "P2"},
    ]
    records = [ORDERS.map(row) for row in rows]
    for record in records:
        record.values["plant"] = record.remote_data["plant"]
    query = ListQuery(updated_after=SINCE, statuses=("IN_PROGRESS",), custom=((PLANT, "P1"),))
    everywhere = [r.remote_id for r in records if query.matches(r, "status")]
    assert everywhere == ["2"]
    for can in (
        Filterable(ORDERS, "status"),
        Filterable(ORDERS, "status", statuses=True),
        Filterable(ORDERS, "status", updated_after=True, recheck=frozenset(TIMES)),
    ):
        plan = plan_filter(query, can)
        assert plan is not None
        system = [r for r in records if replace(plan.pushed, custom=()).matches(r, "status")]
        system = [r for r in system if all(r.values.get(f.name) == v for f, v in plan.pushed.custom)]
        assert [r.remote_id for r in system if plan.residual.matches(r, "status")] == everywhere, can

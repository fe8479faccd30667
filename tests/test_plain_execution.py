"""Selections of plain fields, completed in one loop, answer exactly what graphql-core's field-by-field path answers."""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
import strawberry

from gateway.graphql import plain_fields
from gateway.graphql.plain_execution import PlainFieldsExecutor
from schema.record import Record


@strawberry.enum
class Status(enum.Enum):
    OPEN = "OPEN"
    DONE = "DONE"


def _plain(name: str, kind: Any) -> Any:
    def resolve(root: strawberry.Parent[dict]) -> Any:
        return root[name]

    resolve.__annotations__["return"] = kind
    return strawberry.field(resolver=plain_fields.with_plain(resolve, lambda root, _info: root[name]), name=name)


@strawberry.type
class Row:
    title: str | None = _plain("title", str | None)
    status: Status | None = _plain("status", Status | None)
    count: int = _plain("count", int)

    @strawberry.field
    def shout(self, root: strawberry.Parent[dict], times: int = 1) -> str:  # not plain: it has an argument
        return str(root["title"]) * times


def _value(name: str, kind: Any) -> Any:
    """A field reading a record's value, marked so (as the data schema's value fields are)."""

    def resolve(root: strawberry.Parent[Record]) -> Any:
        return root.values.get(name)

    resolve.__annotations__["return"] = kind
    plain = plain_fields.reading_value(name, lambda root, _info: root.values.get(name))
    return strawberry.field(resolver=plain_fields.with_plain(resolve, plain), name=name)


@strawberry.type
class Item:
    title: str | None = _value("title", str | None)
    code: strawberry.ID = _value("code", strawberry.ID)
    status: Status | None = _value("status", Status | None)
    count: int | None = _value("count", int | None)


ROWS: list[dict[str, Any]] = []
RECORDS: list[Record] = []


@strawberry.type
class Query:
    @strawberry.field
    def rows(self) -> list[Row | None]:
        return ROWS  # type: ignore[return-value]

    @strawberry.field
    def items(self) -> list[Item | None]:
        return RECORDS  # type: ignore[return-value]


class CountingExecutor(PlainFieldsExecutor):
    """Counts resolve infos built: one per field of a selection on the one-loop path, one per value otherwise."""

    infos = 0
    objects = 0  # objects completed one by one (graphql-core's path for list items)

    def build_resolve_info(self, *args: Any) -> Any:
        CountingExecutor.infos += 1
        return super().build_resolve_info(*args)

    def complete_object_value(self, *args: Any) -> Any:
        CountingExecutor.objects += 1
        return super().complete_object_value(*args)


def schemas() -> tuple[strawberry.Schema, strawberry.Schema]:
    made = []
    for executor in (None, CountingExecutor):
        schema = strawberry.Schema(query=Query, execution_context_class=executor)
        assert plain_fields.apply(schema._schema) == 3 + 4
        made.append(schema)
    return made[0], made[1]


def answers(query: str, rows: list[dict[str, Any]]) -> tuple[Any, Any]:
    ROWS[:] = rows
    ordinary, plain = schemas()
    CountingExecutor.infos = CountingExecutor.objects = 0
    expected, got = ordinary.execute_sync(query), plain.execute_sync(query)
    as_sent = [
        (r.data, [(e.message, e.path) for e in r.errors or []]) for r in (expected, got)
    ]  # what a client is sent
    return as_sent[0], as_sent[1]


GOOD = [{"title": f"pump {i}", "status": Status.OPEN if i % 2 else "DONE", "count": i} for i in range(50)]


def test_a_list_of_plain_fields_is_completed_in_one_loop_with_the_same_answer():
    expected, got = answers("{ rows { title status count } }", GOOD)
    assert got == expected and not got[1]
    assert got[0]["rows"][1] == {"title": "pump 1", "status": "OPEN", "count": 1}
    assert CountingExecutor.infos == 1 + 3  # the root field, then one per selected field: not 50 × 3
    assert CountingExecutor.objects == 0  # the rows in one loop too, not item by item


def test_null_rows_of_a_list_stay_null_in_the_one_loop():
    expected, got = answers("{ rows { title status count } }", [GOOD[0], None, GOOD[2]])
    assert got == expected and got[0]["rows"][1] is None and not got[1]
    assert CountingExecutor.objects == 0


def test_a_selection_with_a_field_that_is_not_plain_takes_graphql_cores_path():
    expected, got = answers("{ rows { title shout(times: 2) __typename } }", GOOD)
    assert got == expected and got[0]["rows"][0] == {"title": "pump 0", "shout": "pump 0pump 0", "__typename": "Row"}
    assert CountingExecutor.infos >= 1 + 50 * 2  # one per value of every row


@pytest.mark.parametrize(
    "bad",
    [
        {"title": "x", "status": None, "count": None},  # null for a non-null field: the row becomes null
        {"title": "x", "status": "LOST", "count": 1},  # an enum value the type does not know
        {"title": "x", "status": None, "count": "many"},  # an Int that is not one
        {"title": "x", "status": None, "count": ValueError("upstream said no")},  # a resolver's error value
    ],
)
def test_an_error_in_one_row_is_reported_at_its_path_as_before(bad):
    expected, got = answers("{ rows { title status count } }", [GOOD[0], bad, GOOD[2]])
    assert got == expected
    assert got[0]["rows"][0] == {"title": "pump 0", "status": "DONE", "count": 0}
    if bad["status"]:  # a nullable field's error nulls the field
        assert got[0]["rows"][1] == {"title": "x", "status": None, "count": 1}
    else:  # a non-null field's error nulls its row
        assert got[0]["rows"][1] is None
    assert [path for _, path in got[1]] == [["rows", 1, "status" if bad["status"] else "count"]]


def _item(**values: Any) -> Record:
    return Record("Item", str(values.get("code")), values)


ITEMS = [_item(title=f"pump {i}", code=f"P{i}", status="OPEN" if i % 2 else "DONE", count=i) for i in range(20)]


@pytest.mark.parametrize(
    "odd",
    [
        _item(title="x", code="P", status="DONE", count=1),  # every value plain
        _item(title=7, code=12, status=Status.OPEN, count=None),  # values a String, an ID, an enum convert
        _item(title=True, code="P", status=None, count=2.0),  # a Boolean as text, a whole float as Int
        _item(title="x", code="P", status="LOST", count=1),  # an enum value the type does not know
        _item(title="x", code=None, status="OPEN", count=1),  # null for a non-null ID: the row becomes null
        _item(title="x", code="P", status="OPEN", count=1.5),  # an Int that is not one
    ],
)
def test_values_read_off_records_answer_as_graphql_cores_path_does(odd):
    ROWS[:] = []
    RECORDS[:] = [ITEMS[0], odd, ITEMS[2]]
    ordinary, plain = schemas()
    query = "{ items { title code status count } }"
    expected, got = ordinary.execute_sync(query), plain.execute_sync(query)
    assert got.data == expected.data
    assert [(e.message, e.path) for e in got.errors or []] == [(e.message, e.path) for e in expected.errors or []]
    assert got.data["items"][0] == {"title": "pump 0", "code": "P0", "status": "DONE", "count": 0}


def test_items_that_fail_their_type_check_or_are_awaited_are_completed_as_graphql_core_does(monkeypatch):
    """Records pass `Item`'s type check (as the data schema's records do theirs); another object with
    values does not, and an awaitable item is awaited first: both lists are completed item by item."""
    definition = Item.__strawberry_definition__
    monkeypatch.setattr(definition, "is_type_of", lambda obj, _info: isinstance(obj, Record))

    async def later(record: Record) -> Record:
        return record

    def run(rows: Callable[[], list[Any]]) -> tuple[Any, Any]:
        answers_ = []
        for schema in schemas():
            RECORDS[:] = rows()  # fresh awaitables for each schema
            result = asyncio.run(schema.execute("{ items { title code } }"))
            answers_.append((result.data, [(e.message, e.path) for e in result.errors or []]))
        return answers_[0], answers_[1]

    expected, got = run(lambda: ITEMS[:3])
    assert got == expected and len(got[0]["items"]) == 3 and not got[1]
    expected, got = run(lambda: [ITEMS[0], SimpleNamespace(values={"title": "x", "code": "P"}), ITEMS[2]])
    assert got == expected and got[0]["items"][1] is None and got[1][0][1] == ["items", 1]
    expected, got = run(lambda: [ITEMS[0], later(ITEMS[1]), ITEMS[2]])
    assert got == expected and got[0]["items"][1] == {"title": "pump 1", "code": "P1"}

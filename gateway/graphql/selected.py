"""The values a list query reads of each record: what its `nodes` and `edges { node }` select.

Each field of a record type reads the record's value of its own name (an enum's `<name>Raw`, a
relation's ids and a component's lines alike), and `id` and `remoteData` read the record
itself, so the names selected are the values to map. Handed to `DataSource.list`, so that a
live list maps only these (connectors/selection.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from strawberry.types.nodes import SelectedField, Selection


def record_fields(selected: Iterable[Selection]) -> frozenset[str]:
    """The field names selected on a page's records; `selected`: the list field's `info.selected_fields`."""
    names: set[str] = set()
    for page in _fields(selected):
        for part in _fields(page.selections):
            if part.name == "nodes":
                names.update(f.name for f in _fields(part.selections))
            elif part.name == "edges":
                for edge in _fields(part.selections):
                    if edge.name == "node":
                        names.update(f.name for f in _fields(edge.selections))
    return frozenset(names)


def _fields(selections: Iterable[Selection]) -> Iterator[SelectedField]:
    """The fields of a selection, with those of its fragments (inline or named), whatever their condition."""
    for selection in selections:
        if isinstance(selection, SelectedField):
            yield selection
        else:
            yield from _fields(selection.selections)

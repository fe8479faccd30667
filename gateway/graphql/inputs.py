"""Checks of free-form GraphQL inputs: JSON scalars, and every string argument of a request.

Arguments are checked before anything runs, literal or from a variable, so a value
no database or system can take (a NUL, which PostgreSQL refuses in text; a lone
surrogate, which UTF-8 cannot encode; nesting past the limit) is a BAD_USER_INPUT
naming the argument, never an internal error further down.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    ArgumentNode,
    DocumentNode,
    ListValueNode,
    ObjectValueNode,
    StringValueNode,
    VariableNode,
    Visitor,
    visit,
)

from schema.errors import BadUserInput


def string_map(value: object, field: str) -> dict[str, str]:
    """A JSON input that must be an object of string values (metadata, credentials)."""
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise BadUserInput(f"{field} must be an object of string values", field=field)
    return dict(value)


def text_problem(value: str) -> str | None:
    """Why a string cannot be stored or sent on (None: it can)."""
    if "\x00" in value:
        return "contains a NUL character"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid Unicode (it has a lone surrogate)"
    return None


class _Arguments(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[ArgumentNode] = []

    def enter_argument(self, node: ArgumentNode, *_: Any) -> None:
        self.found.append(node)


def check_arguments(document: DocumentNode, variables: dict[str, Any] | None, max_depth: int) -> None:
    """Every argument value of `document` (variables substituted): clean text, nesting within `max_depth`."""
    collector = _Arguments()
    visit(document, collector)
    for argument in collector.found:
        check_value(argument.value, argument.name.value, variables or {}, max_depth)


def check_value(value: Any, name: str, variables: dict[str, Any], max_depth: int) -> None:
    """One argument: a GraphQL value node or plain JSON, walked without recursion."""
    stack: list[tuple[Any, str, int]] = [(value, name, 0)]
    while stack:
        item, path, depth = stack.pop()
        if isinstance(item, VariableNode):
            stack.append((variables.get(item.name.value), path, depth))
            continue
        if isinstance(item, (StringValueNode, str)):
            problem = text_problem(item.value if isinstance(item, StringValueNode) else item)
            if problem:
                raise BadUserInput(f"'{path}' {problem}", field=path)
            continue
        children = _children(item)
        if children is None:
            continue
        if depth + 1 > max_depth:
            raise BadUserInput(f"'{name}' is nested more than {max_depth} levels deep", field=name)
        for key, child in children:
            problem = text_problem(key) if isinstance(item, dict) else None
            if problem:
                raise BadUserInput(f"a key in '{path}' {problem}", field=path)
            stack.append((child, f"{path}.{key}", depth + 1))


def _children(item: Any) -> list[tuple[str, Any]] | None:
    """An object's or list's members as (key, value); None for a scalar."""
    if isinstance(item, ObjectValueNode):
        return [(field.name.value, field.value) for field in item.fields]
    if isinstance(item, ListValueNode):
        return [(str(i), v) for i, v in enumerate(item.values)]
    if isinstance(item, dict):
        return [(str(k), v) for k, v in item.items()]
    if isinstance(item, list):
        return [(str(i), v) for i, v in enumerate(item)]
    return None

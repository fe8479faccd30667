"""Objects whose selection is only plain fields, completed in one loop instead of field by field.

A 100-row list of six scalar fields runs graphql-core's `execute_field` 600 times, and each
builds a resolve info, a path and a node list and checks for an awaitable, around a value
that is one read off the record (a field `plain_fields` gave a plain resolver). When every
field an object's selection asks for is such a field, without arguments, of a scalar or
enum type, this executor reads and serializes them in one loop, with one resolve info per
field of the selection (plain resolvers read their root and `info.context` only). Anything
else, and any error, goes graphql-core's way: the object is executed again field by field,
so an error is reported at its path and nulls propagate as before (a plain read has no side
effects, so reading twice changes nothing). Execution methods are graphql-core's internals
(its `Executor` documents subclassing them): tests/test_plain_execution.py compares answers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLID,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLString,
    Undefined,
    get_nullable_type,
    is_leaf_type,
    is_non_null_type,
)
from graphql.pyutils import Path
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from schema.record import Record

from .plain_fields import is_plain, value_name

# Per selected field: its response name, and how its completed value is read off an object.
Step = tuple[str, Callable[[Any], Any]]


class PlainFieldsExecutor(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context, with the one-loop path for selections of plain fields."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # By the identity of a collected field set: the field set (kept alive) and its plan, or None.
        self._plans: dict[int, tuple[Any, list[Step] | None]] = {}

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: Any,
        position_context: Any,
    ) -> Any:
        plan = self._plan_of(parent_type, path, grouped_field_set)
        if plan is not None:
            try:
                return {name: read(source_value) for name, read in plan}
            except Exception:  # executed again below, where the error gets its path
                pass
        return super().execute_fields(parent_type, source_value, path, grouped_field_set, position_context)

    def complete_iterable_value(
        self,
        item_type: GraphQLOutputType,
        field_details_list: Any,
        info: GraphQLResolveInfo,
        path: Path,
        items: Iterable[Any],
        position_context: Any,
    ) -> Any:
        """A list of objects whose selection is plain, completed in one loop, not item by item."""
        if type(items) is list and position_context is None:  # not a generator, nor a deferred part
            rows = self._plain_rows(items, item_type, path, info, field_details_list)
            if rows is not None:
                return rows
        return super().complete_iterable_value(item_type, field_details_list, info, path, items, position_context)

    def _plain_rows(
        self, items: list[Any], item_type: GraphQLOutputType, path: Path, info: GraphQLResolveInfo, details: Any
    ) -> list[Any] | None:
        """What graphql-core's item-by-item completion gives, or None where it must run: items not of
        an object type, deferred or streamed parts, a type check that fails or is awaited, any error."""
        object_type = get_nullable_type(item_type)
        if not isinstance(object_type, GraphQLObjectType):
            return None
        grouped_field_set, defer_usages, _ = self.collect_subfields(object_type, details)
        if defer_usages or self.get_stream_usage(details, path) is not None:
            return None
        plan = self._plan_of(object_type, path.add_key(0, None), grouped_field_set)
        if plan is None:
            return None
        nullable, is_type_of, is_awaitable = not is_non_null_type(item_type), object_type.is_type_of, self.is_awaitable
        try:
            rows: list[Any] = []
            for item in items:
                if item is None and nullable:
                    rows.append(None)
                elif item is None or (is_type_of(item, info) is not True if is_type_of else is_awaitable(item)):
                    return None  # an error to report, or an item to check or await
                else:
                    rows.append({name: read(item) for name, read in plan})
            return rows
        except Exception:  # completed item by item instead, where the error gets its path
            return None

    def _plan_of(self, parent_type: GraphQLObjectType, path: Path | None, grouped_field_set: Any) -> list[Step] | None:
        """`_plan`, made once per collected field set (graphql-core memoizes one per selection and
        keeps it alive for the whole execution, so its id is not reused)."""
        kept = self._plans.get(id(grouped_field_set))
        if kept is None:
            kept = self._plans[id(grouped_field_set)] = (
                grouped_field_set,
                self._plan(parent_type, path, grouped_field_set),
            )
        return kept[1]

    def _plan(self, parent_type: GraphQLObjectType, path: Path | None, grouped_field_set: Any) -> list[Step] | None:
        """The steps for this selection, or None when any field of it needs graphql-core's path."""
        if path is None or (self.middleware_manager is not None and self.middleware_manager.middlewares):
            return None  # the operation's root fields; middleware wraps every resolver
        fields = []
        for response_name, details in grouped_field_set.items():
            node = details[0].node
            field = self.schema.get_field(parent_type, node.name.value)
            if field is None or not is_plain(field) or field.args or node.arguments:
                return None
            completion = _completion(field)
            if completion is None:
                return None
            fields.append((response_name, details, field, completion))
        steps: list[Step] = []
        for response_name, details, field, completion in fields:
            info = self.build_resolve_info(
                field, [d.node for d in details], parent_type, Path(path, response_name, parent_type.name)
            )
            steps.append((response_name, _reader(field, info, completion)))
        return steps


def _reader(field: GraphQLField, info: GraphQLResolveInfo, complete: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A field's completed value from its object. Where the field reads a record's value, and the value
    is text that a String or ID gives as it is or that names an enum value, without a call for either."""
    resolve = field.resolve
    assert resolve is not None  # plain fields have their resolver
    name = value_name(resolve)
    if name is None:
        return lambda source: complete(resolve(source, info))
    texts = _texts(field)

    def read(source: Any) -> Any:
        value = source.values.get(name) if type(source) is Record else resolve(source, info)
        if type(value) is str and texts is not None:
            return value if texts is AS_IS else texts.get(value) or complete(value)
        return complete(value)

    return read


AS_IS: dict[str, str] = {}  # a String's or an ID's text: itself


def _texts(field: GraphQLField) -> dict[str, str] | None:
    """What a text value completes to, where that is plain: itself (AS_IS), or an enum value's name."""
    leaf = get_nullable_type(field.type)
    if leaf is GraphQLString or leaf is GraphQLID:
        return AS_IS
    if isinstance(leaf, GraphQLEnumType):
        return {v.value: n for n, v in leaf.values.items() if type(v.value) is str}
    return None


def _completion(field: GraphQLField) -> Callable[[Any], Any] | None:
    """graphql-core's completion of a scalar or enum value, raising where it would report an error."""
    non_null = is_non_null_type(field.type)
    leaf = field.type.of_type if non_null else field.type  # type: ignore[union-attr]
    if not is_leaf_type(leaf):
        return None
    coerce = leaf.coerce_output_value

    def complete(value: Any) -> Any:
        if isinstance(value, Exception):
            raise value
        if value is None or value is Undefined:
            if non_null:
                raise TypeError("null for a non-null field")
            return None
        coerced = coerce(value)
        if coerced is None or coerced is Undefined:
            raise TypeError("a value the type cannot serialize")
        return coerced

    return complete

"""Per-request cost limits: tokens, depth, aliases, a list-size-aware complexity budget, introspection.

Schemas are built once and shared by many connections (SchemaCache), so the
limits are not baked into them as extensions: every document is checked here,
before it runs, with the caller's limits (introspection may be off for
connection tokens only). Each violation is a request error with
`extensions.code` BAD_USER_INPUT and `limit` naming the limit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
    VariableNode,
    get_named_type,
    parse,
    specified_rules,
    validate,
)
from graphql.validation import (
    ASTValidationRule,
    FieldsOnCorrectTypeRule,
    NoSchemaIntrospectionCustomRule,
    ValuesOfCorrectTypeRule,
)
from strawberry.extensions.max_aliases import create_validator as aliases_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule
from strawberry.schema.schema import validate_document

from gateway.graphql.shape_rule import ShapedFieldsRule, ShapedValuesRule
from schema.errors import BadUserInput
from schema.record import DEFAULT_PAGE_SIZE

from ..settings import Settings
from .documents import DocumentCache
from .errors import RequestError

# What Strawberry validates with by default (it adds its own two), the unknown-field messages naming the system.
SHAPED_RULES: dict[type[ASTValidationRule], type[ASTValidationRule]] = {
    FieldsOnCorrectTypeRule: ShapedFieldsRule,
    ValuesOfCorrectTypeRule: ShapedValuesRule,
}
STANDARD_RULES = tuple(SHAPED_RULES.get(rule, rule) for rule in specified_rules)


@dataclass(frozen=True)
class Limits:
    """What one caller's document may cost."""

    max_tokens: int
    max_depth: int
    max_aliases: int
    max_complexity: int
    max_page_size: int
    introspection: bool

    @classmethod
    def for_caller(cls, settings: Settings, is_admin: bool) -> Limits:
        return cls(
            max_tokens=settings.max_tokens,
            max_depth=settings.max_depth,
            max_aliases=settings.max_aliases,
            max_complexity=settings.max_complexity,
            max_page_size=settings.max_page_size,
            introspection=is_admin or settings.introspection_for_connections,
        )

    def vet(
        self,
        schema: GraphQLSchema,
        query: str,
        variables: dict[str, Any] | None,
        documents: DocumentCache | None = None,
    ) -> DocumentNode:
        """The parsed document, or RequestError if it does not parse, validate or fit the limits.

        With `documents`, a query already vetted against this schema and these
        limits skips parsing and validation; the complexity budget, which
        depends on the variables, is checked on every request.
        """
        document = documents.get(schema, self, query) if documents is not None else None
        if document is None:
            document = self.parse(query)
            errors = self.validate(schema, document)
            if errors:
                raise RequestError(errors)
            if documents is not None:
                documents.put(schema, self, query, document)
        errors = _Complexity(schema, document, variables or {}, self).errors()
        if errors:
            raise RequestError(errors)
        return document

    def parse(self, query: str) -> DocumentNode:
        """Parse with the token cap, so a huge document is refused before it is walked."""
        try:
            return parse(query, max_tokens=self.max_tokens, allow_empty_selection_sets=False)
        except GraphQLError as error:
            if "Parsing aborted" in error.message and "nested too deeply" not in error.message:  # max_tokens
                error = _violation(f"The document has more than {self.max_tokens} tokens", "maxTokens", self.max_tokens)
            raise RequestError([error]) from None

    def validate(self, schema: GraphQLSchema, document: DocumentNode) -> list[GraphQLError]:
        """Every rule Strawberry's own execution would apply, then the depth, alias and introspection limits.

        What passes here needs no second validation before it runs (see execution.py).
        """
        errors = validate_document(schema, document, STANDARD_RULES)
        if errors:
            return errors
        for limit, maximum, rule in self._rules():
            for error in validate(schema, document, [rule])[:1]:  # one message per limit is enough
                errors.append(_violation(error.message, limit, maximum, error.nodes))
        return errors

    def _rules(self) -> list[tuple[str, int | bool, type[ValidationRule]]]:
        rules: list[tuple[str, int | bool, type[ValidationRule]]] = [
            ("maxDepth", self.max_depth, _depth_rule(self.max_depth)),
            ("maxAliases", self.max_aliases, _aliases_rule(self.max_aliases)),
        ]
        if not self.introspection:
            rules.append(("introspection", False, NoSchemaIntrospectionCustomRule))
        return rules


@lru_cache(maxsize=16)
def _depth_rule(max_depth: int) -> type[ValidationRule]:
    return depth_rule(max_depth, None)


@lru_cache(maxsize=16)
def _aliases_rule(max_aliases: int) -> type[ValidationRule]:
    return aliases_rule(max_aliases)


def _violation(message: str, limit: str, maximum: int | bool, nodes: Any = None) -> GraphQLError:
    return GraphQLError(message, nodes, original_error=BadUserInput(message, limit=limit, max=maximum))


class _Complexity:
    """Cost of each operation: 1 per field, a paginated field's selection counted `first` times.

    `first` comes from the literal or the variables (default page size when
    absent); a value outside 1..max_page_size is refused here, before any
    upstream call. Other lists count once: their size is the record's, not the
    client's choice.
    """

    def __init__(
        self, schema: GraphQLSchema, document: DocumentNode, variables: dict[str, Any], limits: Limits
    ) -> None:
        self.schema = schema
        self.variables = variables
        self.limits = limits
        self.fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        self.operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        self._errors: list[GraphQLError] = []

    def errors(self) -> list[GraphQLError]:
        for operation in self.operations:
            root = self.schema.get_root_type(operation.operation)
            cost = self.cost(operation.selection_set, root, frozenset())
            if cost > self.limits.max_complexity:
                name = operation.name.value if operation.name else "anonymous"
                message = (
                    f"'{name}' would cost {cost}, more than the budget of {self.limits.max_complexity} "
                    "(a field costs 1; a list field's selection counts `first` times): request fewer records or fields"
                )
                self._errors.append(_violation(message, "maxComplexity", self.limits.max_complexity, [operation]))
        return self._errors

    def cost(
        self, selection_set: SelectionSetNode | None, parent: GraphQLNamedType | None, seen: frozenset[str]
    ) -> int:
        total = 0
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                total += self.field_cost(selection, parent, seen)
            elif isinstance(selection, InlineFragmentNode):
                condition = (
                    self.schema.get_type(selection.type_condition.name.value) if selection.type_condition else parent
                )
                total += self.cost(selection.selection_set, condition, seen)
            elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
                fragment = self.fragments[selection.name.value]
                condition = self.schema.get_type(fragment.type_condition.name.value)
                total += self.cost(fragment.selection_set, condition, seen | {selection.name.value})
        return total

    def field_cost(self, node: FieldNode, parent: GraphQLNamedType | None, seen: frozenset[str]) -> int:
        fields = parent.fields if isinstance(parent, (GraphQLObjectType, GraphQLInterfaceType)) else {}
        definition = fields.get(node.name.value)
        if definition is None:  # __typename and introspection: answered in-process
            return 1
        times = self.page_size(node, definition.args["first"].default_value) if "first" in definition.args else 1
        return 1 + times * self.cost(node.selection_set, get_named_type(definition.type), seen)

    def page_size(self, node: FieldNode, default: Any) -> int:
        value = _argument(node, "first", self.variables.get)
        if value is None:
            value = default if isinstance(default, int) else DEFAULT_PAGE_SIZE
        if not isinstance(value, int) or isinstance(value, bool):
            return DEFAULT_PAGE_SIZE  # a wrong type fails variable coercion with its own message
        if not 1 <= value <= self.limits.max_page_size:
            message = f"'first' must be between 1 and {self.limits.max_page_size} (got {value})"
            self._errors.append(_violation(message, "maxPageSize", self.limits.max_page_size, [node]))
        return max(1, min(value, self.limits.max_page_size))


def _argument(node: FieldNode, name: str, variable: Callable[[str], Any]) -> Any:
    for argument in node.arguments or ():
        if argument.name.value != name:
            continue
        value = argument.value
        if isinstance(value, VariableNode):
            return variable(value.name.value)
        if isinstance(value, IntValueNode):
            return int(value.value)
    return None

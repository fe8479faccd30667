"""GraphQL's unknown-field errors, their message naming the system where a connection's schema lacks the field.

A connection's schema lists only what its system can do (see `Shape`): its root
fields, the fields its records carry, its filters and the fields of its write inputs. A client asking for more should learn
why, not only that the field does not exist.
"""

from __future__ import annotations

import re

from graphql import FieldNode, GraphQLError, GraphQLSchema
from graphql.validation import FieldsOnCorrectTypeRule, ValuesOfCorrectTypeRule

from schema.errors import BadUserInput, UnsupportedOperation

from .builder import UNSUPPORTED

# graphql-core's message for an input object field the type does not define (literals and variables alike)
UNKNOWN_INPUT_FIELD = re.compile(r"Expected value of type '(\w+)' not to include unknown field '(\w+)'.*$", re.DOTALL)


def _reasons(schema: GraphQLSchema) -> dict[str, str]:
    return (schema.extensions or {}).get(UNSUPPORTED, {})


class ShapedFieldsRule(FieldsOnCorrectTypeRule):
    """`FieldsOnCorrectTypeRule`, saying which system lacks a unified root or object field."""

    def enter_field(self, node: FieldNode, *args: object) -> None:
        parent = self.context.get_parent_type()
        why = _reasons(self.context.schema)
        reason = why.get(f"{parent.name}.{node.name.value}") if parent is not None else None
        if parent is None or reason is None or self.context.get_field_def() is not None:
            super().enter_field(node, *args)
            return
        self.report_error(  # a validation error, coded as what it is: the system cannot do it
            GraphQLError(
                f"Cannot query field '{node.name.value}' on type '{parent.name}': {reason}.",
                node,
                original_error=UnsupportedOperation(reason),
            )
        )


class ShapedValuesRule(ValuesOfCorrectTypeRule):
    """`ValuesOfCorrectTypeRule`, saying which system lacks an input field given as a literal."""

    def report_error(self, error: GraphQLError) -> None:
        super().report_error(naming_the_system(error, self.context.schema))


def naming_the_system(error: GraphQLError, schema: GraphQLSchema) -> GraphQLError:
    """An unknown input field the unified model has but this system cannot take (a write input's field,
    a filter on a time its records lack): the same error, saying so (BAD_USER_INPUT naming the field, as
    the run-time check would); any other error as it is."""
    found = UNKNOWN_INPUT_FIELD.search(error.message)
    reason = _reasons(schema).get(f"{found[1]}.{found[2]}") if found else None
    if found is None or reason is None:
        return error
    type_name, field = found[1], found[2]
    message = (
        f"{error.message[: found.start()]}Expected value of type '{type_name}' not to include '{field}': {reason}."
    )
    return GraphQLError(message, error.nodes, original_error=BadUserInput(reason, field=field))

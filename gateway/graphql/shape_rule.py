"""GraphQL's "Cannot query field" rule, its message naming the system where a connection's schema lacks a field.

A connection's schema lists only what its system can do (see `Shape`); a client
asking for more should learn why, not only that the field does not exist.
"""

from __future__ import annotations

from graphql import FieldNode, GraphQLError
from graphql.validation import FieldsOnCorrectTypeRule

from schema.errors import UnsupportedOperation

from .builder import UNSUPPORTED


class ShapedFieldsRule(FieldsOnCorrectTypeRule):
    """`FieldsOnCorrectTypeRule`, saying which system lacks a unified root field."""

    def enter_field(self, node: FieldNode, *args: object) -> None:
        parent = self.context.get_parent_type()
        why = (self.context.schema.extensions or {}).get(UNSUPPORTED, {})
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

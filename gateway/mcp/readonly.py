"""Why `graphql_query` stays read-only: writes have their own tools, with destructive hints a client can honour."""

from __future__ import annotations

from graphql import GraphQLError, OperationDefinitionNode, OperationType, parse


class NotReadOnly(ValueError):
    """The document is not a query (or does not parse); nothing was sent."""


def check_read_only(document: str) -> None:
    """Refuse mutations and subscriptions before the document reaches the gateway."""
    try:
        parsed = parse(document)
    except GraphQLError as exc:
        raise NotReadOnly(f"the query does not parse: {exc.message}") from None
    operations = [d for d in parsed.definitions if isinstance(d, OperationDefinitionNode)]
    if not operations:
        raise NotReadOnly("the document has no operation")
    for operation in operations:
        if operation.operation is not OperationType.QUERY:
            raise NotReadOnly(
                f"graphql_query runs read-only queries only; a {operation.operation.value} is refused "
                "(use the write tools this connection lists)"
            )

"""Runs a document the endpoint already parsed and validated, through Strawberry's own pipeline.

`strawberry.Schema.execute` takes query text and parses and validates it
again. This is the same sequence (schema extensions, operation-type check,
execution, error processing, result), except that the execution context
starts with the vetted document and with validation marked as done: Strawberry
skips both steps when those are set. `Limits.validate` applies every rule
Strawberry would (graphql-core's rules plus Strawberry's own two), so nothing
goes unchecked. The steps are Strawberry's own (underscored) methods, so an
upgrade that changes them fails tests/test_document_cache.py, which compares
answers with `schema.execute`.
"""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import DocumentNode, GraphQLError
from graphql import ExecutionResult as GraphQLExecutionResult
from strawberry.exceptions import MissingQueryError
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError
from strawberry.types.graphql import OperationType

from .shape_rule import naming_the_system

ALLOWED = frozenset({OperationType.QUERY, OperationType.MUTATION})


async def execute(
    schema: strawberry.Schema,
    document: DocumentNode,
    query: str,
    *,
    variables: dict[str, Any] | None,
    context: Any,
    operation_name: str | None,
    operation_extensions: dict[str, Any] | None,
) -> ExecutionResult:
    """`schema.execute(query, ...)` for `document`, the parsed and validated `query`."""
    execution = schema._create_execution_context(
        query=query,
        allowed_operation_types=ALLOWED,
        variable_values=variables,
        context_value=context,
        operation_name=operation_name,
        operation_extensions=operation_extensions,
    )
    execution.graphql_document = document
    execution.pre_execution_errors = []  # validated: Strawberry runs validation only while this is None
    extensions = schema.get_extensions()
    for extension in extensions:
        extension.execution_context = execution
    runner = schema.create_extensions_runner(execution, extensions)
    try:
        async with runner.operation():
            if errors := await schema._prepare_operation_async(execution, runner):
                return await schema._handle_execution_result(execution, errors, runner)
            result = await schema._execute_operation(
                execution,
                runner,
                schema._get_middleware_manager(extensions),
                schema._get_execute_function(),
                schema._get_custom_context_kwargs(operation_extensions),
            )
            if isinstance(result, (GraphQLExecutionResult, ExecutionResult)) and result.errors and result.data is None:
                # nothing ran, e.g. variables that do not coerce
                result.errors = [naming_the_system(error, schema._schema) for error in result.errors]
    except (MissingQueryError, CannotGetOperationTypeError, InvalidOperationTypeError):
        raise
    except Exception as exc:
        failed = PreExecutionError(data=None, errors=[_as_graphql_error(exc)])
        return await schema._handle_execution_result(execution, failed, runner)
    return await schema._handle_execution_result(execution, result, runner, skip_process_errors=True)


def _as_graphql_error(exc: Exception) -> GraphQLError:
    return exc if isinstance(exc, GraphQLError) else GraphQLError(str(exc), original_error=exc)

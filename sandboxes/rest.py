"""The REST layout the UpKeep and MaintainX sandboxes share, over a `SeededDataset`.

Both serve `<prefix>/{resource}` and `<prefix>/{resource}/{id}`, and let tests
touch or delete seeded records through control routes. What differs stays with
the vendor: its handlers, error body, list envelope and id type.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandboxes.data import Record, SeededDataset

Endpoint = Callable[[Request], Awaitable[Response]]
# Builds the vendor's whole error response from a status code and a message.
ErrorResponse = Callable[[int, str], Response]


async def json_or_none(request: Request) -> Any:
    """The request's JSON body, or None when it is not JSON (the vendor's validation then refuses it)."""
    try:
        return await request.json()
    except ValueError:
        return None


def record_routes(
    prefix: str,
    *,
    list_records: Endpoint,
    create_record: Endpoint,
    get_record: Endpoint,
    update_record: Endpoint,
    delete_record: Endpoint,
) -> list[Route]:
    """The one-path-per-resource REST layout: `GET`/`POST <prefix>/{resource}` and
    `GET`/`PATCH`/`DELETE <prefix>/{resource}/{id}`."""
    return [
        Route(f"{prefix}/{{resource}}", list_records, methods=["GET"]),
        Route(f"{prefix}/{{resource}}", create_record, methods=["POST"]),
        Route(f"{prefix}/{{resource}}/{{id}}", get_record, methods=["GET"]),
        Route(f"{prefix}/{{resource}}/{{id}}", update_record, methods=["PATCH"]),
        Route(f"{prefix}/{{resource}}/{{id}}", delete_record, methods=["DELETE"]),
    ]


def dataset_routes(
    data: SeededDataset,
    resources: Collection[str],
    error: ErrorResponse,
    answer: Callable[[str, list[Record]], Any],
    record_id: Callable[[Any], Any] = str,
) -> list[Route]:
    """Control routes that change the seeded records as a user in the system would, for tests:
    `POST /__sandbox/touch` (bumps `updatedAt` to now) and `POST /__sandbox/delete`, both with
    `{"resource": ..., "ids": [...]}`.

    `record_id` turns each given id into the dataset's (a bad one is a 400), `error` words a
    refusal and `answer` the changed records, both in the vendor's own shape.
    """

    def change(apply: Callable[[str, list[Any]], list[Record]]) -> Endpoint:
        async def handle(request: Request) -> Response:
            try:
                body = await request.json()
                resource, ids = body["resource"], body["ids"]
                if resource not in resources or not isinstance(ids, list):
                    raise ValueError
                ids = [record_id(i) for i in ids]
            except (ValueError, KeyError, TypeError):
                return error(400, f"expected {{'resource': one of {list(resources)}, 'ids': [...]}}")
            try:
                records = apply(resource, ids)
            except KeyError as exc:
                return error(404, f"Not found: {exc.args[0]}")
            return JSONResponse(answer(resource, records))

        return handle

    return [
        Route("/__sandbox/touch", change(data.touch), methods=["POST"]),
        Route("/__sandbox/delete", change(data.remove), methods=["POST"]),
    ]

"""OData v4 JSON batch (OData JSON Format 4.01 §19): many reads in one `POST $batch`.

A request body is `{"requests": [{"id", "method", "url"}]}` with URLs relative to the
service root; the answer `{"responses": [{"id", "status", "body"}]}` may come in any
order. Services cap the operations per batch (Business Central: 100), so reads go in
`BATCH_SIZE` at a time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

import httpx

from schema.errors import SystemUnreachable

BATCH_SIZE = 100


def batch_body(urls: Sequence[tuple[str, Mapping[str, str]]]) -> dict[str, Any]:
    """The `$batch` body of GETs of (relative path, query options)."""
    requests = [
        {
            "id": str(n),
            "method": "GET",
            "url": path + ("?" + urlencode(params) if params else ""),
            "headers": {"Accept": "application/json"},
        }
        for n, (path, params) in enumerate(urls, start=1)
    ]
    return {"requests": requests}


def batch_answers(body: Any, count: int, system: str) -> list[httpx.Response]:
    """Each operation's answer, in request order, as a response of its own status and body."""
    responses = body.get("responses") if isinstance(body, dict) else None
    if not isinstance(responses, list):
        raise SystemUnreachable(f"{system} sent a batch answer without 'responses'")
    by_id = {str(r.get("id")): r for r in responses if isinstance(r, dict)}
    answers = []
    for n in range(1, count + 1):
        found = by_id.get(str(n))
        if found is None or not isinstance(found.get("status"), int):
            raise SystemUnreachable(f"{system} left request {n} of a batch unanswered")
        answers.append(httpx.Response(found["status"], json=found.get("body")))
    return answers

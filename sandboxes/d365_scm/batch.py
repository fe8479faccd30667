"""`$batch` as the service takes it: a `multipart/mixed` body of `application/http` parts, each one
request with a URL relative to `/data/`, answered by a `multipart/mixed` body of the parts' responses
in the same order (OData v4 Protocol §11.7; finance and operations apps at `/data/$batch`).

The sandbox answers the reads of a batch; a change set (a nested `multipart/mixed` part of writes) is
refused, since nothing the connector sends carries one (docs/vendors/d365_scm.md says so).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from starlette.responses import Response

_BOUNDARY = re.compile(r'boundary="?([^";]+)"?', re.IGNORECASE)
_REQUEST_LINE = re.compile(r"^(GET|POST|PATCH|DELETE) (\S+) HTTP/1\.[01]$")


@dataclass(frozen=True)
class Call:
    """One request to the service: method, path below `/data/`, query options, headers, JSON body."""

    method: str
    path: str
    params: dict[str, str]
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None


def read_batch(content: bytes, content_type: str) -> list[Call]:
    """The GETs of a batch, in order; a malformed body or a change set is a ValueError (answered 400)."""
    found = _BOUNDARY.search(content_type)
    if not content_type.lower().startswith("multipart/mixed") or found is None:
        raise ValueError("A batch request must have a multipart/mixed content type with a boundary.")
    sections = content.decode().split("--" + found.group(1))[1:]
    calls = [_call(section) for section in sections if not section.startswith("--")]
    if not calls:
        raise ValueError("The batch request holds no operation.")
    return calls


def _call(section: str) -> Call:
    head, _, rest = section.lstrip("\r\n").partition("\r\n\r\n")
    if "multipart/mixed" in head.lower():
        raise ValueError("The sandbox answers the reads of a batch only; change sets are not served.")
    line = rest.splitlines()[0] if rest else ""
    request = _REQUEST_LINE.match(line.strip())
    if request is None or "application/http" not in head.lower():
        raise ValueError(f"The batch operation '{line.strip()[:80]}' is not an HTTP request.")
    if request.group(1) != "GET":
        raise ValueError("The sandbox answers the reads of a batch only; writes go in change sets.")
    url = urlsplit(request.group(2))
    return Call("GET", url.path.removeprefix("/data/").lstrip("/"), dict(parse_qsl(url.query)))


def batch_response(responses: list[Response]) -> Response:
    """The operations' responses as one `multipart/mixed` answer, in request order."""
    boundary = f"batchresponse_{uuid.uuid4()}"
    parts = []
    for response in responses:
        reason = HTTPStatus(response.status_code).phrase
        kind = response.headers.get("content-type", "application/json")
        body = bytes(response.body).decode()
        parts.append(
            f"--{boundary}\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n"
            f"HTTP/1.1 {response.status_code} {reason}\r\nContent-Type: {kind}\r\nOData-Version: 4.0\r\n\r\n"
            f"{body}\r\n"
        )
    content = "".join(parts) + f"--{boundary}--\r\n"
    return Response(content, media_type=f"multipart/mixed; boundary={boundary}")

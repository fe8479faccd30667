"""OData v4 multipart batches (OData v4 Protocol §11.7): many reads in one `POST $batch`.

For services that take `multipart/mixed` batches but no JSON ones (Dynamics 365 finance and
operations apps). Each read is an `application/http` part holding its request line, with a URL
relative to the service root; the answer is a `multipart/mixed` body whose `application/http` parts
are the operations' responses (status line, headers, body) in request order.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from urllib.parse import urlencode

import httpx

from schema.errors import SystemUnreachable

_BOUNDARY = re.compile(r'boundary="?([^";]+)"?', re.IGNORECASE)
_STATUS = re.compile(r"^HTTP/\d(?:\.\d)? (\d{3})")
_BLANK = re.compile(r"\r?\n\r?\n")


def multipart_body(urls: Sequence[tuple[str, Mapping[str, str]]]) -> tuple[bytes, str]:
    """The body and `Content-Type` of a batch of GETs of (relative path, query options)."""
    boundary = f"batch_{uuid.uuid4().hex}"
    parts = [
        f"--{boundary}\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n"
        f"Content-ID: {n}\r\n\r\nGET {path}{'?' + urlencode(params) if params else ''} HTTP/1.1\r\n"
        "Accept: application/json\r\n\r\n"
        for n, (path, params) in enumerate(urls, start=1)
    ]
    return ("".join(parts) + f"--{boundary}--\r\n").encode(), f"multipart/mixed; boundary={boundary}"


def multipart_answers(response: httpx.Response, count: int, system: str) -> list[httpx.Response]:
    """Each operation's answer, in request order, as a response of its own status, headers and body."""
    found = _BOUNDARY.search(response.headers.get("content-type", ""))
    if found is None:
        raise SystemUnreachable(f"{system} sent a batch answer that is not multipart")
    delimiter = "--" + found.group(1)
    sections = response.text.split(delimiter)[1:]
    answers = [_answer(section) for section in sections if not section.startswith("--")]
    if len(answers) != count or None in answers:
        raise SystemUnreachable(f"{system} answered {len(answers)} of {count} requests of a batch")
    return [a for a in answers if a is not None]


def _answer(section: str) -> httpx.Response | None:
    """One `application/http` part: its MIME headers, a blank line, then the embedded HTTP response."""
    parts = _BLANK.split(section.lstrip("\r\n"), maxsplit=2)
    if len(parts) < 2:
        return None
    status = _STATUS.match(parts[1])
    if status is None:
        return None
    headers = dict(
        (name.strip(), value.strip())
        for line in parts[1].splitlines()[1:]
        if ":" in line
        for name, value in [line.split(":", 1)]
    )
    body = parts[2].rstrip("\r\n") if len(parts) > 2 else ""
    return httpx.Response(int(status.group(1)), headers=headers, content=body.encode())

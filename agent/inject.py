"""Credentials kept in the plant go into a call here, and never come back out.

The gateway's connector builds each request with placeholders where the
credentials would be (protocol.placeholder). The agent swaps them for the
values in its file: in the URL (percent-encoded), the body (escaped as its
content type wants: JSON, form, XML), and header values, including the base64
forms (`Authorization: Basic …`, Maximo's `maxauth`). Answers are scrubbed the
other way, of every such form, so a system that echoes a credential (raw,
escaped, encoded, or the token it was sent) does not hand it to the gateway.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Iterable, Mapping
from urllib.parse import quote, quote_plus
from xml.sax.saxutils import escape

from gateway.agents.protocol import PLACEHOLDER, placeholder


class MissingCredential(LookupError):
    """A placeholder names a field the agent's credential set does not have."""


Encode = Callable[[str], str]
XML_ENTITIES = {'"': "&quot;", "'": "&apos;"}


def _as_is(value: str) -> str:
    return value


def _json_text(value: str) -> str:
    return json.dumps(value)[1:-1]


def _url_part(value: str) -> str:
    return quote(value, safe="")


def _json_unicode(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)[1:-1]


def _xml_text(value: str) -> str:
    return escape(value, XML_ENTITIES)


ECHOED: tuple[Encode, ...] = (_as_is, _json_text, _json_unicode, _url_part, quote_plus, _xml_text)


def fill(text: str, values: Mapping[str, str], encode: Encode = _as_is) -> str:
    def value(match: re.Match[str]) -> str:
        field = match.group(1)
        if field not in values:
            raise MissingCredential(f"the agent's credentials have no field '{field}'")
        return encode(values[field])

    return PLACEHOLDER.sub(value, text)


def fill_url(url: str, values: Mapping[str, str]) -> str:
    """A URL with its placeholders filled percent-encoded (a `&` or `#` in a password stays in its value)."""
    return fill(url, values, _url_part)


def fill_header(value: str, values: Mapping[str, str]) -> str:
    """A header value with its placeholders filled, also inside a base64 token (`Basic x`, bare `x`)."""
    if PLACEHOLDER.search(value):
        return fill(value, values)
    scheme, _, token = value.rpartition(" ")
    try:
        decoded = base64.b64decode(token, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return value
    if not PLACEHOLDER.search(decoded):
        return value
    filled = base64.b64encode(fill(decoded, values).encode()).decode()
    return f"{scheme} {filled}" if scheme else filled


def body_encoding(content_type: str) -> Encode:
    """How a value is written inside a body of `content_type`, as the connector would have written it."""
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == "application/json" or kind.endswith("+json"):
        return _json_text
    if kind == "application/x-www-form-urlencoded":
        return quote_plus
    if kind.endswith("/xml") or kind.endswith("+xml"):
        return _xml_text
    return _as_is


def fill_body(body: bytes, values: Mapping[str, str], content_type: str = "") -> bytes:
    if b"__plantgate_agent_" not in body:
        return body
    return fill(body.decode("utf-8"), values, body_encoding(content_type)).encode("utf-8")


class Scrubber:
    """Puts every form of the plant's credentials an answer could echo back as its placeholder, in one pass.

    The forms: as is, JSON-escaped, percent- and form-encoded, XML-escaped, base64, and the
    tokens the agent itself made from placeholders (`sent`, filled → as the gateway sent it).
    Values shorter than 4 characters are left alone (they would match everywhere).
    """

    def __init__(self, values: Mapping[str, str], sent: Iterable[tuple[str, str]] = ()) -> None:
        forms: dict[bytes, bytes] = {}
        for field, secret in values.items():
            if len(secret) < 4:
                continue
            encoded = base64.b64encode(secret.encode()).decode()
            for form in {encode(secret) for encode in ECHOED} | {encoded}:
                forms[form.encode()] = placeholder(field).encode()
        for filled, original in sent:
            if filled != original and len(filled) >= 4:
                forms[filled.encode()] = original.encode()
        self._forms = forms
        longest_first = sorted(forms, key=len, reverse=True)
        self._pattern = re.compile(b"|".join(map(re.escape, longest_first))) if forms else None
        self.longest = max(map(len, forms), default=0)

    def __call__(self, data: bytes) -> bytes:
        if self._pattern is None:
            return data
        return self._pattern.sub(lambda match: self._forms[match.group(0)], data)

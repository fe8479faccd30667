"""Credentials kept in the plant go into a call here, and never come back out.

The gateway's connector builds each request with placeholders where the
credentials would be (protocol.placeholder). The agent swaps them for the
values in its file: in the URL, the body, and header values, including the
base64 forms (`Authorization: Basic …`, Maximo's `maxauth`). Answers are
scrubbed the other way, so a system that echoes a credential does not hand it
to the gateway.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping

from gateway.agents.protocol import PLACEHOLDER, placeholder


class MissingCredential(LookupError):
    """A placeholder names a field the agent's credential set does not have."""


def fill(text: str, values: Mapping[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        field = match.group(1)
        if field not in values:
            raise MissingCredential(f"the agent's credentials have no field '{field}'")
        return values[field]

    return PLACEHOLDER.sub(value, text)


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


def fill_body(body: bytes, values: Mapping[str, str]) -> bytes:
    if b"__plantgate_agent_" not in body:
        return body
    return fill(body.decode("utf-8"), values).encode("utf-8")


def scrub(data: bytes, values: Mapping[str, str]) -> bytes:
    """`data` with every (non-trivial) credential value put back as its placeholder."""
    for field, secret in values.items():
        if len(secret) >= 4:
            data = data.replace(secret.encode(), placeholder(field).encode())
    return data

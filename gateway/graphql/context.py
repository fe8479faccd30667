"""What every resolver receives: who is calling, the gateway's services, the data source."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from ..auth import Principal
from ..services import Services


@dataclass
class RequestContext:
    request: Request | Any
    services: Services
    principal: Principal
    source: Any = None  # a LiveSource for connection tokens
    response: Any = None

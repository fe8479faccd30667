"""Log configuration for `plantgate serve`: text or one JSON object a line, each with its request id."""

from __future__ import annotations

import logging

from pythonjsonlogger.json import JsonFormatter

from .requestid import RequestIdLogFilter

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
JSON_FIELDS = "%(levelname)s %(name)s %(message)s %(request_id)s"
JSON_NAMES = {"levelname": "level", "name": "logger"}


def formatter(log_format: str) -> logging.Formatter:
    """`json`: time, level, logger, message, request_id, plus any `extra=` fields."""
    if log_format == "json":
        return JsonFormatter(JSON_FIELDS, rename_fields=JSON_NAMES, timestamp="time")
    if log_format == "text":
        return logging.Formatter(TEXT_FORMAT)
    raise ValueError(f"PLANTGATE_LOG_FORMAT must be 'json' or 'text', not {log_format!r}")


class UvicornHandshakeFilter(logging.Filter):
    """Drops uvicorn's WebSocket handshake lines: they print the query string (the access log covers them)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.name == "uvicorn.error" and str(record.msg).startswith('%s - "WebSocket '))


def configure_logging(log_format: str = "text", level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdLogFilter())
    handler.addFilter(UvicornHandshakeFilter())
    handler.setFormatter(formatter(log_format))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    # httpx logs every URL at INFO; some vendors put keys in query strings.
    logging.getLogger("httpx").setLevel(logging.WARNING)

"""Keeps magic-link tokens out of the access log: `/connect/<token>` is logged as `/connect/…`.

The link's token must sit in its URL (that is what makes it a link), so the
server's own log is where it could leak; uvicorn's access records are rewritten
before any handler sees them.
"""

from __future__ import annotations

import logging
import re

LINK_PATH = re.compile(r"/connect/(?!api/)[^/?#\s]+")


class LinkTokenFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(LINK_PATH.sub("/connect/…", a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.msg, str):
            record.msg = LINK_PATH.sub("/connect/…", record.msg)
        return True


_FILTER = LinkTokenFilter()


def mask_link_tokens(logger_name: str = "uvicorn.access") -> None:
    """Install the filter once on the access logger."""
    logger = logging.getLogger(logger_name)
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)

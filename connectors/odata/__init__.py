"""OData v2 as SAP Gateway speaks it: one client and one declarative connector base.

The wire details live in this package's modules, once each: the `d`/`results`/
`__count`/`__next` envelopes and the SAP error body (`envelope.py`),
`/Date(ms)/` values and `Edm.Decimal` strings (`values.py`), `$filter`
literals and keys (`query.py`), the CSRF token handshake for writes and
the `sap-client` parameter (`client.py`). A connector declares
`EntitySetStream`s (`streams.py`), mappings with the specs of
`specs.py` and `Writes` from `writes.py`; see `connectors/sap/`.
`ODataConnector` (`connector.py`) turns the declarations into the connector contract:
filter pushdown (the kit's planner, rendered as `$filter` by `pushdown.py`) with
soft-delete markers (`deletion.py`), keyset (`k:<key>`) or `$top`/`$skip` pages
(the kit's `paging.py`), counts by `/$count`,
writes with ETags sent back as `If-Match`, and custom fields and objects from the
service's `$metadata` (`metadata.py`, `objects.py`).
"""

from ..batching import chunks
from .client import CSRF_HEADER, CsrfTokenRequired, ODataClient
from .connector import ODataConnector
from .envelope import Collection, error_message
from .query import KEYS_PER_CALL, Query, all_of, eq_any, key_text, key_values, literal
from .specs import Code, Decimal, ODate, Text
from .streams import EntitySetStream
from .values import lenient_date, parse_date, parse_decimal, parse_time, text

__all__ = [
    "CSRF_HEADER",
    "Code",
    "Collection",
    "CsrfTokenRequired",
    "Decimal",
    "EntitySetStream",
    "KEYS_PER_CALL",
    "ODataClient",
    "ODataConnector",
    "ODate",
    "Query",
    "Text",
    "all_of",
    "chunks",
    "eq_any",
    "error_message",
    "key_text",
    "key_values",
    "lenient_date",
    "literal",
    "parse_date",
    "parse_decimal",
    "parse_time",
    "text",
]

"""OData v2 as SAP Gateway speaks it and OData v4 as Dynamics 365 speaks it: one connector base, two clients.

The wire details live in this package's modules, once each: the v2 `d`/`results`/
`__count`/`__next` envelopes and the SAP error body (`envelope.py`), the v4
`value`/`@odata.count`/`@odata.nextLink`/`@odata.etag` envelopes (`envelope_v4.py`),
`/Date(ms)/` values and `Edm.Decimal` strings (`values.py`), `$filter` literals and
keys, which differ by version (`query.py`, `Dialect`), the v2 CSRF token handshake
for writes and the `sap-client` parameter (`client.py`), the v4 client with JSON
`$batch` reads (`client_v4.py`, `batch.py`); both clients are `EntitySetClient`s
(`reader.py`). A connector declares `EntitySetStream`s (`streams.py`, with their
dialect), mappings with the specs of `specs.py` and `Writes` from `writes.py`; see
`connectors/sap/` (v2), `connectors/business_central/` and `connectors/d365_scm/` (v4).
`ODataConnector` (`connector.py`) turns the declarations into the connector contract:
filter pushdown (the kit's planner, rendered as `$filter` by `pushdown.py`) with
soft-delete markers (`deletion.py`), keyset (`k:<key>`) or `$top`/`$skip` pages
(the kit's `paging.py`), counts by `/$count`,
writes with ETags sent back as `If-Match`, and custom fields and objects from the
service's `$metadata` (`metadata.py`, `objects.py`; v2 only).
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

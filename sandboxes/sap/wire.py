"""How the sandbox writes rows on the wire: OData v2 JSON (verbose) and a small Atom feed.

Values follow the model's Edm types: `/Date(ms)/` for `Edm.DateTime`,
`/Date(ms+0000)/` for `Edm.DateTimeOffset`, `PT..H..M..S` for `Edm.Time`,
strings for `Edm.Decimal` (at the property's scale). Entity sets with an ETag
carry it in `__metadata.etag` as a weak tag made from the change time stamp,
e.g. `W/"datetimeoffset'2024-05-02T08%3A15%3A30.1230000Z'"` (format unverified).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import quote
from xml.sax.saxutils import escape

from .model import METADATA_NS, EntitySet, Prop

Row = dict[str, Any]
ATOM_NS = "http://www.w3.org/2005/Atom"
DATA_NS = "http://schemas.microsoft.com/ado/2007/08/dataservices"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _ms(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(milliseconds=1)


def _duration(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    return f"PT{seconds // 3600:02d}H{seconds % 3600 // 60:02d}M{seconds % 60:02d}S"


def json_value(prop: Prop, value: Any) -> Any:
    if value is None:
        return None
    if prop.type == "Edm.DateTime":
        return f"/Date({_ms(value)})/"
    if prop.type == "Edm.DateTimeOffset":
        return f"/Date({_ms(value)}+0000)/"
    if prop.type == "Edm.Time":
        return _duration(value)
    if prop.type == "Edm.Decimal":
        return str(Decimal(value).quantize(Decimal(1).scaleb(-(prop.scale or 0))))
    return value


def text_value(prop: Prop, value: Any) -> str:
    """The same value as Atom and key predicates write it."""
    if prop.type in ("Edm.DateTime", "Edm.DateTimeOffset"):
        stamp = value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
        return stamp + ("Z" if prop.type == "Edm.DateTimeOffset" else "")
    if prop.type == "Edm.Boolean":
        return "true" if value else "false"
    return str(json_value(prop, value))


def etag(entity_set: EntitySet, row: Row) -> str | None:
    """The row's ETag, from the property the set declares for it."""
    value = row.get(entity_set.etag) if entity_set.etag else None
    if value is None:
        return None
    stamp = value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"
    return f"W/\"datetimeoffset'{quote(stamp, safe='.-')}'\""


def key_predicate(entity_set: EntitySet, row: Row) -> str:
    """`('4000001')`, or `(Equipment='1',ValidityEndDate=datetime'9999-12-31T00%3A00%3A00')` as SAP writes it."""

    def literal(name: str) -> str:
        prop = entity_set.prop(name)
        assert prop is not None
        text = quote(text_value(prop, row[name]).replace("'", "''"), safe="")
        return f"datetime'{text}'" if prop.type == "Edm.DateTime" else f"'{text}'"

    if len(entity_set.keys) == 1:
        return f"({literal(entity_set.keys[0])})"
    return "(" + ",".join(f"{k}={literal(k)}" for k in entity_set.keys) + ")"


def entity_json(
    entity_set: EntitySet,
    type_name: str,
    row: Row,
    service_url: str,
    select: set[str] | None,
    expanded: dict[str, list[Row] | Row | None],
    expanded_json: dict[str, Any],
) -> dict[str, Any]:
    """One entity: `__metadata`, its (selected) properties, navigations deferred or expanded."""
    uri = f"{service_url}/{entity_set.name}{key_predicate(entity_set, row)}"
    out: dict[str, Any] = {"__metadata": {"id": uri, "uri": uri, "type": type_name}}
    tag = etag(entity_set, row)
    if tag is not None:
        out["__metadata"]["etag"] = tag
    for prop in entity_set.props:
        if select is None or prop.name in select:
            out[prop.name] = json_value(prop, row.get(prop.name))
    for nav in entity_set.navs:
        if nav.name in expanded_json:
            out[nav.name] = expanded_json[nav.name]
        elif select is None or nav.name in select:
            out[nav.name] = {"__deferred": {"uri": f"{uri}/{nav.name}"}}
    return out


def atom_feed(entity_set: EntitySet, type_name: str, rows: list[Row], service_url: str, select: set[str] | None) -> str:
    """A minimal Atom feed (what SAP Gateway answers when JSON was not asked for)."""
    updated = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    entries = []
    for row in rows:
        uri = f"{service_url}/{entity_set.name}{key_predicate(entity_set, row)}"
        props = "".join(
            f'<d:{p.name} m:null="true"/>'
            if row.get(p.name) is None
            else f"<d:{p.name}>{escape(text_value(p, row[p.name]))}</d:{p.name}>"
            for p in entity_set.props
            if select is None or p.name in select
        )
        entries.append(
            f'<entry><id>{escape(uri)}</id><title type="text">{entity_set.name}</title><updated>{updated}</updated>'
            f'<category term="{type_name}" scheme="{DATA_NS}/scheme"/>'
            f'<link href="{escape(uri)}" rel="self" title="{entity_set.type_name}"/>'
            f'<content type="application/xml"><m:properties>{props}</m:properties></content></entry>'
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<feed xml:base="{escape(service_url)}/" xmlns="{ATOM_NS}" xmlns:m="{METADATA_NS}" xmlns:d="{DATA_NS}">'
        f'<id>{escape(service_url)}/{entity_set.name}</id><title type="text">{entity_set.name}</title>'
        f"<updated>{updated}</updated>" + "".join(entries) + "</feed>"
    )


def atom_error(code: str, message: str) -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<error xmlns="{METADATA_NS}"><code>{escape(code)}</code>'
        f'<message xml:lang="en">{escape(message)}</message></error>'
    )

"""A validated manifest as the kit's objects: entity maps, streams, write maps, a catalog entry
and a `RestConnector` subclass, the same a Python connector declares.

The checks the schema alone cannot make (a unified field the entity lacks, a credential a
template names but the form does not ask for, a write field with no mapping to invert) are
made here and reported at the line of the field at fault.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from schema.entities import BY_NAME
from schema.model import STANDARD_FIELDS

from ..catalog import Capability, CredentialField, SystemEntry
from ..mapping import EntityMap
from ..paging import CursorPaging, OffsetPaging, PagePaging, RestPaging
from ..rest import Envelope, Stream
from ..writes import WriteMap
from .connector import ManifestConnector
from .model import (
    PLACEHOLDER,
    BasicAuth,
    CursorPagingSpec,
    HeaderAuth,
    Manifest,
    OAuthClientCredentials,
    OffsetPagingSpec,
    SessionAuth,
    StreamSpec,
    WritesSpec,
)
from .source import Loc, Source
from .specs import compile_fields, compile_spec, writer

STANDARD = {f.name for f in STANDARD_FIELDS}


def _paging(spec: Any) -> RestPaging:
    if isinstance(spec, OffsetPagingSpec):
        return OffsetPaging(spec.offset_param, spec.limit_param)
    if isinstance(spec, CursorPagingSpec):
        return CursorPaging(spec.cursor_param, spec.limit_param, spec.next)
    return PagePaging(spec.page_param, spec.limit_param)


def _templates(manifest: Manifest) -> dict[str, str]:
    """The texts that may name credential fields, by field name."""
    return {"api_prefix": manifest.api_prefix, **{f"auth.{k}": v for k, v in _auth_templates(manifest.auth).items()}}


def _auth_templates(auth: Any) -> dict[str, str]:
    if isinstance(auth, BasicAuth):
        return {"username": f"{{{auth.username}}}", "password": f"{{{auth.password}}}"}
    if isinstance(auth, HeaderAuth):
        return {"value": auth.value}
    if isinstance(auth, SessionAuth):
        return {f"body.{k}": v for k, v in auth.body.items()}
    if isinstance(auth, OAuthClientCredentials):
        return {
            "token_url": auth.token_url,
            "client_id": f"{{{auth.client_id}}}",
            "client_secret": f"{{{auth.client_secret}}}",
        }
    return {}  # pragma: no cover - the model admits no other


def _check_auth(manifest: Manifest, source: Source) -> None:
    asked = {c.name for c in manifest.credentials}
    for name, text in _templates(manifest).items():
        for used in PLACEHOLDER.findall(text):
            if used not in asked:
                loc: Loc = tuple(name.split("."))
                raise source.error(loc, f"names the credential '{used}', which 'credentials' does not ask for")


def _check_fields(stream: StreamSpec, loc: Loc, source: Source) -> None:
    entity = BY_NAME[stream.entity]
    known = {f.name for f in entity.fields} | {r.name for r in entity.relations} | {c.name for c in entity.components}
    for name in stream.fields:
        if name not in known and name not in STANDARD:
            raise source.error((*loc, "fields", name), f"{stream.entity} has no field '{name}'")


def _writes(system: str, mapping: EntityMap, spec: WritesSpec, loc: Loc, source: Source) -> WriteMap:
    fields: dict[str, Any] = {}
    for name, target in spec.fields.items():
        if target is not None:
            fields[name] = writer(target, system)
            continue
        if name not in mapping.fields:
            raise source.error((*loc, "fields", name), "is not read by the stream: give its path to write it")
        try:
            fields[name] = WriteMap.inverse(system, mapping, (name,)).fields[name]
        except TypeError:
            raise source.error((*loc, "fields", name), "its mapping cannot be inverted: give its path") from None
    for key in ("required", "later"):
        for i, name in enumerate(getattr(spec, key)):
            if name not in fields:
                raise source.error((*loc, key, i), f"'{name}' is not one of the write fields")
    return WriteMap(system, mapping.entity, fields, tuple(spec.required), dict(spec.defaults))


def _stream(manifest: Manifest, stream: StreamSpec, index: int, source: Source) -> tuple[Stream, Capability]:
    loc: Loc = ("streams", index)
    _check_fields(stream, loc, source)
    mapping = EntityMap(
        stream.entity,
        remote_id=compile_spec(stream.remote_id),
        fields=compile_fields(stream.fields),
        display=None if stream.display is None else compile_spec(stream.display),
        created_at=None if stream.created_at is None else compile_spec(stream.created_at),
        updated_at=None if stream.updated_at is None else compile_spec(stream.updated_at),
        version=None if stream.version is None else compile_spec(stream.version),
    )
    if stream.status_field is not None and mapping.enum_spec(stream.status_field) is None:
        raise source.error((*loc, "status_field"), f"'{stream.status_field}' is not an enum field of the stream")
    if stream.status_param and stream.status_field is None:
        raise source.error((*loc, "status_param"), "needs a status_field to filter by")
    writes = None if stream.writes is None else _writes(manifest.name, mapping, stream.writes, (*loc, "writes"), source)
    envelope = None
    if "records" in stream.model_fields_set or "record" in stream.model_fields_set:
        envelope = Envelope(stream.records, stream.record)
    made = Stream(
        mapping,
        stream.path,
        status_field=stream.status_field,
        updated_param=stream.updated_param,
        created_param=stream.created_param,
        status_param=stream.status_param,
        ids_param=stream.ids_param,
        writes=writes,
        custom_under=stream.custom_under,
        envelope=envelope,
        params=dict(stream.params),
    )
    w = stream.writes
    capability = Capability(
        read=True,
        incremental=bool(stream.updated_param),
        create=bool(w and w.create),
        update=bool(w and w.update),
        delete=bool(w and w.delete),
    )
    return made, capability


def compile_manifest(manifest: Manifest, source: Source, taken: Mapping[str, Any]) -> type[ManifestConnector]:
    """The connector class a manifest declares; `taken`: the system keys already registered."""
    if manifest.key in taken:
        raise source.error(("key",), f"'{manifest.key}' is already a system")
    _check_auth(manifest, source)
    streams, capabilities = [], {}
    for index, spec in enumerate(manifest.streams):
        stream, capability = _stream(manifest, spec, index, source)
        streams.append(stream)
        capabilities[spec.entity] = capability
    entry = SystemEntry(
        key=manifest.key,
        name=manifest.name,
        vendor=manifest.vendor,
        category=manifest.category,
        tier=manifest.tier,
        hostings=tuple(manifest.hostings),
        credential_fields=tuple(CredentialField(**c.model_dump()) for c in manifest.credentials),
        capabilities=capabilities,
        auth_guide=manifest.auth_guide,
        default_base_url=manifest.base_url,
        deletions=manifest.deletions,
    )
    attributes = {
        "entry": entry,
        "manifest": manifest,
        "source_file": source.file,
        "paging": _paging(manifest.paging),
        "list_key": manifest.records,
        "item_key": manifest.record,
        "live_paging": manifest.live_paging,
        "max_page_size": manifest.max_page_size,
        "id_pattern": None if manifest.id_pattern is None else (manifest.id_pattern.regex, manifest.id_pattern.says),
        "streams": tuple(streams),
        "later": {s.entity: tuple(s.writes.later) for s in manifest.streams if s.writes and s.writes.later},
    }
    name = "".join(part.title() for part in manifest.key.split("_")) + "Connector"
    return type(name, (ManifestConnector,), {"__module__": ManifestConnector.__module__, **attributes})

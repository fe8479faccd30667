"""Declarative writes: unified input values -> a system's request payload.

A `WriteMap` names, per unified field, where its value goes in the system's
payload. `WriteMap.inverse` derives most of that from the read mapping (paths,
enums, dates), so a connector lists the writable fields once. Validation runs
before any upstream call: an unknown or unwritable field, or a missing required
one, is the caller's mistake and says which.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from schema.errors import BadUserInput
from schema.model import CustomField

from .mapping import Date, EntityMap, Enum, Number, Path, as_spec

CREATE, UPDATE, DELETE = "create", "update", "delete"


def put(payload: dict[str, Any], path: str, value: Any) -> None:
    """Set a dotted path in a nested dict, creating the levels on the way."""
    *parents, last = path.split(".")
    target = payload
    for part in parents:
        target = target.setdefault(part, {})
    target[last] = value


@dataclass(frozen=True)
class To:
    """A unified value written at `path`, converted by `encode`."""

    path: str
    encode: Callable[[Any], Any] = lambda v: v

    def write(self, payload: dict[str, Any], value: Any) -> None:
        put(payload, self.path, None if value is None else self.encode(value))


@dataclass(frozen=True)
class Lines:
    """A list of embedded objects (purchase-order lines), each written by its own map."""

    path: str
    fields: Mapping[str, Any]
    required: tuple[str, ...] = ()

    def write(self, payload: dict[str, Any], value: Any) -> None:
        put(payload, self.path, [self.line(item or {}, n) for n, item in enumerate(value or [], 1)])

    def line(self, item: Mapping[str, Any], number: int) -> dict[str, Any]:
        missing = [name for name in self.required if item.get(name) is None]
        if missing:
            raise BadUserInput(f"line {number} needs {', '.join(missing)}", field=self.path)
        out: dict[str, Any] = {}
        for name, value in item.items():
            if name not in self.fields:
                raise BadUserInput(f"line field '{name}' cannot be written here", field=name)
            _as_writer(self.fields[name]).write(out, value)
        return out


def integer_id(system: str, says: str = "whole numbers") -> Callable[[Any], int]:
    """An encoder of the ids a system takes as integers: any other id is refused before a call is made."""

    def encode(value: Any) -> int:
        text = str(value)
        if not (text.isascii() and text.isdigit()):
            raise BadUserInput(f"{system} ids are {says}, not '{text}'", field="id")
        return int(text)

    return encode


def date_writer(path: str, style: str = "iso") -> To:
    """A DateTime in the system's date style (the same styles `mapping.Date` reads)."""

    def encode(value: datetime) -> Any:
        if style == "epoch_ms":
            return int(value.timestamp() * 1000)
        if style == "epoch_s":
            return int(value.timestamp())
        return value.isoformat().replace("+00:00", "Z")

    return To(path, encode)


def enum_writer(spec: Enum) -> To:
    """A normalized enum value as the system's first raw value for it."""

    def encode(value: str) -> Any:
        raw = spec.raw_values(value)
        if not raw:
            raise BadUserInput(f"this system has no value for {value}", field=spec.path)
        return raw[0]

    return To(spec.path, encode)


def _as_writer(spec: Any) -> Any:
    return To(spec) if isinstance(spec, str) else spec


def _inverse_of(spec: Any) -> Any:
    spec = as_spec(spec)
    if isinstance(spec, Path):
        return To(spec.path)
    if isinstance(spec, Enum):
        return enum_writer(spec)
    if isinstance(spec, Date):
        return date_writer(spec.path, spec.style)
    if isinstance(spec, Number):
        return To(spec.path, float)
    raise TypeError(f"cannot derive a writer from {spec!r}; declare it explicitly")


@dataclass(frozen=True)
class WriteMap:
    """Which unified fields a system accepts for one entity, and where they go."""

    system: str
    entity: str
    fields: Mapping[str, Any]
    required: tuple[str, ...] = ()
    defaults: Mapping[str, Any] = field(default_factory=dict)  # remote values every create sends

    @classmethod
    def inverse(
        cls,
        system: str,
        read: EntityMap,
        names: tuple[str, ...],
        required: tuple[str, ...] = (),
        extra: Mapping[str, Any] | None = None,
        defaults: Mapping[str, Any] | None = None,
    ) -> WriteMap:
        """Writers for `names` derived from the read mapping, plus explicit `extra` ones."""
        fields = {name: _inverse_of(read.fields[name]) for name in names}
        fields.update({k: _as_writer(v) for k, v in (extra or {}).items()})
        return cls(system, read.entity, fields, required, dict(defaults or {}))

    def validate(self, op: str, values: Mapping[str, Any], custom: tuple[CustomField, ...] = ()) -> None:
        """`custom`: the connection's custom fields and remapped unified fields (named as the field they
        replace). A remapped field is written to its source field, or refused where that is read-only;
        one the system requires on a create goes to the system's own field too (alone if read-only)."""
        writable_custom = {f.name for f in custom if f.writable}
        remapped = {f.name: f.remote_path for f in custom if not f.writable and f.name in self.fields}
        stuck = sorted(n for n in set(values) & set(remapped) if not (op == CREATE and n in self.required))
        if stuck:
            raise BadUserInput(
                f"{self.system} cannot write {self.entity}.{stuck[0]}: this connection reads it from "
                f"{remapped[stuck[0]]}, which {self.system} does not accept on writes",
                field=stuck[0],
            )
        unknown = sorted(set(values) - set(self.fields) - writable_custom)
        if unknown:
            names = ", ".join(f"{self.entity}.{n}" for n in unknown)
            raise BadUserInput(f"{self.system} cannot write {names}", field=unknown[0])
        if op == CREATE:
            missing = [n for n in self.required if values.get(n) in (None, "", [])]
            if missing:
                raise BadUserInput(
                    f"creating a {self.entity} in {self.system} needs {', '.join(missing)}", field=missing[0]
                )

    def payload(self, op: str, values: Mapping[str, Any], custom: tuple[CustomField, ...] = ()) -> dict[str, Any]:
        self.validate(op, values, custom)
        body: dict[str, Any] = dict(self.defaults) if op == CREATE else {}
        by_name = {f.name: f for f in custom if f.writable}
        for name, value in values.items():
            if name in by_name:  # a custom field, or a unified field remapped to another source field
                put(body, by_name[name].remote_path, value.isoformat() if isinstance(value, datetime) else value)
            if name not in by_name or (op == CREATE and name in self.required):  # the system's own, if it needs it
                _as_writer(self.fields[name]).write(body, value)
        return body

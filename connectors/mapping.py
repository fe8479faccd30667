"""Declarative mapping of remote records to the unified model.

A connector states, per entity, where each unified field comes from: a dotted
path, or a small spec object (`Enum`, `Date`, `Stamp`, `IdText`, `Number`, `Join`, `Each`, `Ids`, `Product`,
`SumOfProducts`, `Compute`). The mapper keeps the raw record as `remoteData` and
the raw enum value as `<field>Raw`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache, cached_property
from typing import Any

from schema.record import Record

from .selection import only


def dig(raw: Any, path: str) -> Any:
    """Follow a dotted path through nested dicts; missing parts give None."""
    return getter(path)(raw)


@cache  # paths come from the connectors' declarations: a bounded set
def getter(path: str) -> Callable[[Any], Any]:
    """`dig` for one path, split once; a plain dict is told by its type before the slower ABC check."""
    parts = tuple(path.split("."))
    if len(parts) == 1:
        key = parts[0]

        def get_one(raw: Any) -> Any:
            if type(raw) is dict or isinstance(raw, Mapping):
                return raw.get(key)
            return None

        return get_one

    def get(raw: Any) -> Any:
        value = raw
        for part in parts:
            if type(value) is not dict and not isinstance(value, Mapping):
                return None
            value = value.get(part)
        return value

    return get


class Spec:
    """How to compute one unified value from a raw record."""

    def extract(self, raw: Any) -> Any:  # pragma: no cover - interface
        raise NotImplementedError


@dataclass(frozen=True)
class Path(Spec):
    path: str

    def extract(self, raw: Any) -> Any:
        return dig(raw, self.path)


@dataclass(frozen=True)
class Compute(Spec):
    """Escape hatch for the odd field: any function of the raw record."""

    fn: Callable[[Any], Any]

    def extract(self, raw: Any) -> Any:
        return self.fn(raw)


@dataclass(frozen=True)
class Enum(Spec):
    """A normalized enum; unknown raw values map to `default` (never invented)."""

    path: str
    values: Mapping[Any, str]
    default: str | None = None

    def extract(self, raw: Any) -> Any:
        value = dig(raw, self.path)
        if value is None:
            return None
        return self.values.get(value, self.default)

    def raw(self, raw: Any) -> str | None:
        value = dig(raw, self.path)
        return None if value is None else str(value)

    def raw_values(self, normalized: str) -> list[Any]:
        """The raw values that map to a normalized one (for filter pushdown)."""
        return [k for k, v in self.values.items() if v == normalized]


def parse_datetime(value: Any, style: str = "iso") -> datetime | None:
    """Parse the date styles vendors use; always returns an aware UTC datetime."""
    if value is None or value == "":
        return None
    if style == "iso":  # a trailing `Z` is UTC to `fromisoformat` since Python 3.11
        parsed = datetime.fromisoformat(value if type(value) is str else str(value))
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    if style == "epoch_ms":
        return datetime.fromtimestamp(float(value) / 1000, tz=UTC)
    if style == "epoch_s":
        return datetime.fromtimestamp(float(value), tz=UTC)
    raise ValueError(f"unknown date style {style!r}")


@dataclass(frozen=True)
class Date(Spec):
    path: str
    style: str = "iso"

    def extract(self, raw: Any) -> Any:
        return parse_datetime(dig(raw, self.path), self.style)


@dataclass(frozen=True)
class Stamp(Date):
    """A date where 0 or an empty value means none (epoch styles use 0 for 'no date')."""

    def extract(self, raw: Any) -> Any:
        return parse_datetime(dig(raw, self.path) or None, self.style)


@dataclass(frozen=True)
class IdText(Path):
    """A reference id as text, where 0 or an empty value means none (ids that come as numbers)."""

    def extract(self, raw: Any) -> Any:
        value = dig(raw, self.path)
        return str(value) if value not in (None, "", 0) else None


@dataclass(frozen=True)
class Number(Spec):
    """A float; a missing or empty value gives `default` (for quantities that mean 0 when absent)."""

    path: str
    default: float | None = None

    def extract(self, raw: Any) -> Any:
        value = dig(raw, self.path)
        if value in (None, ""):
            return None if self.default is None else float(self.default)
        return float(value)


def _product(raw: Any, a: str, b: str) -> Any:
    """The two values multiplied as they come (no float conversion), or None if one is missing."""
    x, y = dig(raw, a), dig(raw, b)
    return None if x in (None, "") or y in (None, "") else x * y


@dataclass(frozen=True)
class Product(Spec):
    """A line amount: two values multiplied and rounded (quantity × unit price).

    The raw values are multiplied as they are, so the result's type (and thus
    the stored JSON text) is whatever the vendor's numbers give.
    """

    a: str
    b: str
    places: int = 2

    def extract(self, raw: Any) -> Any:
        value = _product(raw, self.a, self.b)
        return None if value is None else round(value, self.places)


@dataclass(frozen=True)
class SumOfProducts(Spec):
    """An order total: the sum of `a × b` over a list of embedded lines, rounded once at the end.

    Lines missing either value count for nothing; no lines give 0.
    """

    path: str
    a: str
    b: str
    places: int = 2

    def extract(self, raw: Any) -> Any:
        products = (_product(item, self.a, self.b) for item in dig(raw, self.path) or [])
        return round(sum(p for p in products if p is not None), self.places)


@dataclass(frozen=True)
class Join(Spec):
    """Several text parts joined by a separator, skipping empty ones."""

    paths: tuple[str, ...]
    sep: str = " "

    def extract(self, raw: Any) -> Any:
        parts = [str(v) for p in self.paths if (v := dig(raw, p)) not in (None, "")]
        return self.sep.join(parts) or None


@dataclass(frozen=True)
class Each(Spec):
    """A list of embedded objects, each mapped by its own field specs.

    With `number`, each item also gets its 1-based position under that name, as
    its first key (for vendors whose lines carry no line number of their own).
    """

    path: str
    fields: Mapping[str, Any]
    number: str | None = None

    def extract(self, raw: Any) -> Any:
        items = dig(raw, self.path) or []
        map_item = self._map_item
        if self.number is None:
            return [map_item(item) for item in items]
        return [{self.number: n, **map_item(item)} for n, item in enumerate(items, start=1)]

    @cached_property
    def _map_item(self) -> Callable[[Any], dict[str, Any]]:
        return _mapper(self.fields)


@dataclass(frozen=True)
class Ids(Spec):
    """Related ids kept as one separated string (`"12,15"`): a list, or the first only with `first`."""

    path: str
    first: bool = False
    sep: str = ","

    def extract(self, raw: Any) -> Any:
        ids = [i.strip() for i in str(dig(raw, self.path) or "").split(self.sep) if i.strip()]
        return (ids[0] if ids else None) if self.first else ids


def as_spec(spec: Any) -> Spec:
    return Path(spec) if isinstance(spec, str) else spec


def spec_path(spec: Any) -> str | None:
    """The one raw path a spec reads (None: no spec, or one computed from several or none)."""
    path = None if spec is None else getattr(as_spec(spec), "path", None)
    return path if isinstance(path, str) else None


Extract = Callable[[Any], Any]
# What `EntityMap.map` runs: the fields' values, then the id, created, updated, version and display.
Plan = tuple[Callable[[Any], dict[str, Any]], Extract, Extract | None, Extract | None, Extract | None, Extract | None]
KEPT_SELECTIONS = 64  # per entity map: distinct selections whose plans are kept


def extractor(spec: Any) -> Extract:
    """`as_spec(spec).extract`, decided once: the plain specs (`Path`, `Date`, `Enum`, not their
    subclasses, which keep their own methods) run inline on a precompiled path."""
    spec = as_spec(spec)
    kind = type(spec)
    if kind is Path:
        return getter(spec.path)
    if kind is Date:
        get, style = getter(spec.path), spec.style
        return lambda raw: parse_datetime(get(raw), style)
    if kind is Enum:
        get, values, default = getter(spec.path), spec.values, spec.default
        return lambda raw: None if (value := get(raw)) is None else values.get(value, default)
    return spec.extract


def _raw_extractor(spec: Any) -> Extract | None:
    """An enum's raw value (`<field>Raw`), None for any other spec."""
    spec = as_spec(spec)
    if type(spec) is Enum:
        get = getter(spec.path)
        return lambda raw: None if (value := get(raw)) is None else str(value)
    return spec.raw if isinstance(spec, Enum) else None


def _mapper(fields: Mapping[str, Any]) -> Callable[[Any], dict[str, Any]]:
    """The values of a raw record by these field specs, each `<field>Raw` right after its enum."""
    plan = [(name, extractor(spec), _raw_extractor(spec)) for name, spec in fields.items()]

    def map_values(raw: Any) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name, extract, raw_value in plan:
            values[name] = extract(raw)
            if raw_value is not None:
                values[name + "Raw"] = raw_value(raw)
        return values

    return map_values


def _version_text(version: Any) -> str | None:
    return version.isoformat() if isinstance(version, datetime) else (None if version is None else str(version))


@dataclass(frozen=True)
class EntityMap:
    """How one remote resource becomes one unified entity."""

    entity: str
    remote_id: str | Spec
    fields: Mapping[str, Any]
    display: str | Spec | None = None
    created_at: str | Spec | None = None
    updated_at: str | Spec | None = None
    version: str | Spec | None = None  # ETag / rowstamp; else the update time stands in
    custom: Mapping[str, Any] = field(default_factory=dict)

    def map(self, raw: Any) -> Record:
        names = only(self.entity)
        return self._map_all(raw) if names is None else self._map_some(raw, names)

    def _map_all(self, raw: Any) -> Record:
        values_of, remote_id_of, created_of, updated_of, version_of, display_of = self._plan
        values = values_of(raw)
        remote_id = str(remote_id_of(raw))
        values["remoteId"] = remote_id
        values["createdAt"] = created_of(raw) if created_of else None
        values["updatedAt"] = updated_of(raw) if updated_of else None
        values.setdefault("deletedAt", None)
        values["remoteVersion"] = _version_text(version_of(raw) if version_of else values["updatedAt"])
        display = display_of(raw) if display_of else None
        values["displayValue"] = None if display is None else str(display)
        return Record(self.entity, remote_id, values, raw)

    def remote_id_of(self, raw: Any) -> str:
        """The id `map` would give the record, without mapping the rest (paging needs ids before records)."""
        return str(self._plan[1](raw))

    def _map_some(self, raw: Any, names: frozenset[str]) -> Record:
        """`map` for the named fields only (a live read's selection), plus `remoteId` and `deletedAt`
        (lists leave deleted records out); the record maps the others when asked (`Record.complete`)."""
        values_of, remote_id_of, created_of, updated_of, version_of, display_of = self._some_plan(names)
        values = values_of(raw)
        remote_id = str(remote_id_of(raw))
        values["remoteId"] = remote_id
        if "createdAt" in names:
            values["createdAt"] = created_of(raw) if created_of else None
        updated = updated_of(raw) if updated_of else None
        if "updatedAt" in names:
            values["updatedAt"] = updated
        values.setdefault("deletedAt", None)
        if "remoteVersion" in names:
            values["remoteVersion"] = _version_text(version_of(raw) if version_of else updated)
        if "displayValue" in names:
            display = display_of(raw) if display_of else None
            values["displayValue"] = None if display is None else str(display)
        return Record(self.entity, remote_id, values, raw, unread=self._whole_values)

    @cached_property
    def _plan(self) -> Plan:
        """Every extraction `map` runs, decided on first use: syncs map records by the hundred thousand."""
        created, updated, version, display = (
            extractor(spec) if spec else None for spec in (self.created_at, self.updated_at, self.version, self.display)
        )
        return _mapper(self.fields), extractor(self.remote_id), created, updated, version, display

    def _some_plan(self, names: frozenset[str]) -> Plan:
        """`_plan` for these names, kept per distinct selection (a bounded few are kept)."""
        plans = self._some_plans
        plan = plans.get(names)
        if plan is None:
            if len(plans) >= KEPT_SELECTIONS:
                plans.clear()
            fields = {n: s for n, s in self.fields.items() if n in names or f"{n}Raw" in names or n == "deletedAt"}
            stamps = [
                (self.created_at, "createdAt" in names),
                (self.updated_at, "updatedAt" in names or ("remoteVersion" in names and self.version is None)),
                (self.version, "remoteVersion" in names),
                (self.display, "displayValue" in names),
            ]
            created, updated, version, display = (extractor(spec) if spec and used else None for spec, used in stamps)
            plan = plans[names] = (_mapper(fields), extractor(self.remote_id), created, updated, version, display)
        return plan

    @cached_property
    def _whole_values(self) -> Callable[[Any], dict[str, Any]]:
        """What a record mapped for some fields maps the others by: one function for all (no closure per record)."""
        return lambda raw: self._map_all(raw).values

    @cached_property
    def _some_plans(self) -> dict[frozenset[str], Plan]:
        return {}

    @property
    def versioned(self) -> bool:
        """Whether its records carry a `remoteVersion`: a version of their own, else their update time."""
        return self.version is not None or self.updated_at is not None

    def paths(self) -> tuple[str, ...]:
        """The raw paths its id, fields and times read, once each in that order: what to ask a system
        for where a read names its fields, and what a field discovery need not offer again."""
        specs = [self.remote_id, *self.fields.values(), self.created_at, self.updated_at]
        return tuple(dict.fromkeys(p for p in map(spec_path, specs) if p))

    def enum_spec(self, field_name: str) -> Enum | None:
        spec = self.fields.get(field_name)
        return spec if isinstance(spec, Enum) else None

"""Mapping expressions of a manifest as the kit's mapping specs, and its write fields as writers.

Each expression becomes one of `connectors.mapping`'s specs (or a small one here), so a
manifest connector maps and writes records exactly as a Python one declaring the same.
The named transforms are the whole vocabulary: nothing in a manifest is evaluated.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..mapping import Each, Enum, IdText, Join, Number, Path, Product, Spec, Stamp, SumOfProducts, as_spec, dig
from ..writes import To, date_writer, integer_id
from .model import (
    ConstSpec,
    EachSpec,
    EnumSpec,
    JoinSpec,
    ListSpec,
    ObjectSpec,
    PathSpec,
    ProductSpec,
    SumSpec,
    WriteField,
)


@dataclass(frozen=True)
class Text(Path):
    """The value as text (ids that come as numbers)."""

    def extract(self, raw: Any) -> Any:
        value = dig(raw, self.path)
        return None if value is None else str(value)


@dataclass(frozen=True)
class Whole(Path):
    def extract(self, raw: Any) -> Any:
        value = dig(raw, self.path)
        return None if value in (None, "") else int(value)


@dataclass(frozen=True)
class Flag(Path):
    def extract(self, raw: Any) -> Any:
        value = dig(raw, self.path)
        return None if value is None else bool(value)


@dataclass(frozen=True)
class Defaulted(Spec):
    """A spec whose missing value is a constant."""

    spec: Spec
    default: Any

    @property
    def path(self) -> str | None:
        return getattr(self.spec, "path", None)

    def extract(self, raw: Any) -> Any:
        value = self.spec.extract(raw)
        return self.default if value is None else value


@dataclass(frozen=True)
class Const(Spec):
    value: Any

    def extract(self, raw: Any) -> Any:
        return self.value


@dataclass(frozen=True)
class Listed(Spec):
    """The values of several specs as a list, leaving out the missing ones."""

    items: tuple[Spec, ...]

    def extract(self, raw: Any) -> Any:
        return [v for v in (s.extract(raw) for s in self.items) if v is not None]


@dataclass(frozen=True)
class Shaped(Spec):
    """An object of specs over the same record."""

    fields: tuple[tuple[str, Spec], ...]

    def extract(self, raw: Any) -> Any:
        return {name: spec.extract(raw) for name, spec in self.fields}


def _path_spec(spec: PathSpec) -> Spec:
    if spec.as_ == "number":
        return Number(spec.path, None if spec.default is None else float(spec.default))
    made: Spec
    if spec.as_ in ("iso", "epoch_s", "epoch_ms"):
        made = Stamp(spec.path, spec.as_)
    else:
        kinds: dict[str | None, type[Path]] = {
            None: Path,
            "text": Text,
            "id": IdText,
            "integer": Whole,
            "boolean": Flag,
        }
        made = kinds[spec.as_](spec.path)
    return made if spec.default is None else Defaulted(made, spec.default)


def compile_spec(spec: Any) -> Spec:
    """One mapping expression as a kit spec."""
    if isinstance(spec, str):
        return as_spec(spec)
    if isinstance(spec, PathSpec):
        return _path_spec(spec)
    if isinstance(spec, EnumSpec):
        return Enum(spec.enum, dict(spec.values), spec.default)
    if isinstance(spec, ConstSpec):
        return Const(spec.const)
    if isinstance(spec, JoinSpec):
        return Join(tuple(spec.join), spec.sep)
    if isinstance(spec, EachSpec):
        return Each(spec.each, compile_fields(spec.fields), spec.number)
    if isinstance(spec, ProductSpec):
        return Product(*spec.product, places=spec.places)
    if isinstance(spec, SumSpec):
        return SumOfProducts(spec.sum_of_products, *spec.of, places=spec.places)
    if isinstance(spec, ListSpec):
        return Listed(tuple(compile_spec(s) for s in spec.list_))
    if isinstance(spec, ObjectSpec):
        return Shaped(tuple((name, compile_spec(s)) for name, s in spec.object.items()))
    raise TypeError(f"not a mapping expression: {spec!r}")  # pragma: no cover - the model admits no other


def compile_fields(fields: dict[str, Any]) -> dict[str, Spec]:
    return {name: compile_spec(spec) for name, spec in fields.items()}


def writer(spec: WriteField, system: str) -> To:
    """A write field as the kit's writer (`system`: the name its errors give)."""
    if spec.as_ in ("iso", "epoch_s", "epoch_ms"):
        return date_writer(spec.path, spec.as_)
    encoders: dict[str | None, Callable[[Any], Any]] = {
        None: lambda v: v,
        "text": str,
        "number": float,
        "integer": integer_id(system),
    }
    return To(spec.path, encoders[spec.as_])

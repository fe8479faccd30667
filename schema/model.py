"""The unified model as plain data.

Entities, fields, enums and relations are declared here once; the runtime
Strawberry builder, the connectors' mappers and the store all read these
declarations, so nothing about the model is written twice. No Strawberry here.
"""

from __future__ import annotations

from dataclasses import dataclass

# Scalar names understood by the builder. Enums are given as `EnumDef`.
SCALARS = ("ID", "String", "Int", "Float", "Boolean", "DateTime", "JSON")


@dataclass(frozen=True)
class EnumDef:
    """A normalized enum; the system's own value is kept beside it as `<field>Raw`."""

    name: str
    values: tuple[str, ...]
    description: str = ""
    meanings: tuple[str, ...] = ()  # one text per value, in order (else a text made from the value's name)

    def meaning(self, value: str) -> str:
        if len(self.meanings) == len(self.values):
            return self.meanings[self.values.index(value)]
        return value.replace("_", " ").capitalize() + "."


@dataclass(frozen=True)
class Field:
    """A typed value of an entity or of an embedded object."""

    name: str
    type: str | EnumDef
    many: bool = False
    description: str = ""
    read_only: bool = False  # computed by the system (totals, stock): never in write inputs

    @property
    def enum(self) -> EnumDef | None:
        return self.type if isinstance(self.type, EnumDef) else None


@dataclass(frozen=True)
class Relation:
    """A reference to another entity, held in records as remote ids."""

    name: str
    target: str
    many: bool = False


@dataclass(frozen=True)
class Embedded:
    """A value object owned by an entity (a purchase-order line, a stock level)."""

    name: str
    fields: tuple[Field, ...] = ()
    relations: tuple[Relation, ...] = ()
    description: str = ""


@dataclass(frozen=True)
class Component:
    """A field of an entity whose value is a list of (or one) embedded objects."""

    name: str
    embedded: Embedded
    many: bool = True
    writable: bool = True


@dataclass(frozen=True)
class Entity:
    """A unified entity: its GraphQL names and its fields beyond the standard ones."""

    name: str
    plural: str
    description: str = ""
    fields: tuple[Field, ...] = ()
    relations: tuple[Relation, ...] = ()
    components: tuple[Component, ...] = ()
    status_field: str | None = "status"
    writable: bool = False  # has create/update/delete mutations (per system capability)

    @property
    def singular(self) -> str:
        return self.name[0].lower() + self.name[1:]

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)

    def relation(self, name: str) -> Relation | None:
        return next((r for r in self.relations if r.name == name), None)

    @property
    def status_enum(self) -> EnumDef | None:
        status = self.field(self.status_field) if self.status_field else None
        return status.enum if status else None


# Standard fields every entity carries (PRODUCT.md "Unified data model").
STANDARD_FIELDS: tuple[Field, ...] = (
    Field("remoteId", "String", description="The system's own key."),
    Field("displayValue", "String"),
    Field("createdAt", "DateTime"),
    Field("updatedAt", "DateTime"),
    Field("deletedAt", "DateTime"),
    Field(
        "remoteVersion",
        "String",
        description="The system's concurrency token (ETag, rowstamp, write date): pass it as `ifMatch`.",
    ),
)


@dataclass(frozen=True)
class CustomField:
    """A connection-specific field beyond the unified model (or a custom object's field)."""

    entity: str
    name: str
    type: str | EnumDef
    remote_path: str
    filterable: bool = False
    writable: bool = False
    description: str = ""

    def as_field(self) -> Field:
        return Field(self.name, self.type, description=self.description or f"Custom field ({self.remote_path}).")


@dataclass(frozen=True)
class CustomObject:
    """A connection-specific object type outside the unified model (a table, a model, a set)."""

    name: str
    plural: str
    remote_name: str
    id_path: str
    fields: tuple[CustomField, ...] = ()
    display_path: str = ""

    @property
    def singular(self) -> str:
        return self.name[0].lower() + self.name[1:]


@dataclass(frozen=True)
class Extension:
    """What one connection adds to the unified model.

    Hashable and comparable, so schemas are cached per distinct extension and
    every connection on the default model shares one schema.
    """

    custom_fields: tuple[CustomField, ...] = ()
    custom_objects: tuple[CustomObject, ...] = ()
    # Unified fields this connection reads from another field of its system: each a `CustomField`
    # named after the unified field it replaces, typed as that field (see gateway/remapping.py).
    field_mappings: tuple[CustomField, ...] = ()

    def fields_for(self, entity: str) -> tuple[CustomField, ...]:
        obj = self.object(entity)
        if obj is not None:
            return obj.fields
        return tuple(f for f in self.custom_fields if f.entity == entity)

    def mappings_for(self, entity: str) -> tuple[CustomField, ...]:
        return tuple(f for f in self.field_mappings if f.entity == entity)

    def sourced_for(self, entity: str) -> tuple[CustomField, ...]:
        """Every field a connector reads from a remote path of its own choosing for this entity: the
        custom fields and the remapped unified fields (read along, filtered, written alike)."""
        return self.fields_for(entity) + (() if self.object(entity) else self.mappings_for(entity))

    def object(self, name: str) -> CustomObject | None:
        return next((o for o in self.custom_objects if o.name == name), None)


WRITE_OPERATIONS = ("create", "update", "delete", "adjust")


@dataclass(frozen=True)
class EntityShape:
    """What one system does with one entity, as the data schema shows it."""

    entity: str
    operations: frozenset[str] = frozenset()  # of WRITE_OPERATIONS
    required: tuple[str, ...] = ()  # what a create needs (the system's write map)
    status_filter: bool = True  # the system fills the entity's status field, so filtering by it means something
    create_fields: frozenset[str] | None = None  # what a create may write (None: every unified input field)
    update_fields: frozenset[str] | None = None  # what an update may write (None: every unified input field)
    # What its records carry (None: every unified field); a line's field as `lines.quantity`, `lines.*` for all
    fields: frozenset[str] | None = None


@dataclass(frozen=True)
class Shape:
    """What a connection's system supports, as plain data the gateway derives from the connector.

    The schema layer knows no connector: a connection's schema lists only what its
    system can do. `Shape()` (no system) is the unified schema's: everything.
    Hashable, so connections with the same shape share one schema.
    """

    system: str = ""
    entities: tuple[EntityShape, ...] = ()

    @property
    def unified(self) -> bool:
        return not self.system

    def of(self, entity: str) -> EntityShape | None:
        if self.unified:
            return EntityShape(entity, frozenset(WRITE_OPERATIONS))
        return next((e for e in self.entities if e.entity == entity), None)

    def reads(self, entity: str) -> bool:
        return self.of(entity) is not None

    def allows(self, entity: str, operation: str) -> bool:
        found = self.of(entity)
        return found is not None and operation in found.operations

    def required(self, entity: str) -> tuple[str, ...]:
        found = self.of(entity)
        return found.required if found else ()

    def writable(self, entity: str, operation: str) -> frozenset[str] | None:
        """The unified fields a create or update of `entity` may write (None: all of them)."""
        found = self.of(entity)
        if found is None:
            return None
        return found.create_fields if operation == "create" else found.update_fields

    def fills(self, entity: str, name: str) -> bool:
        """Whether the system's records of `entity` carry a unified field (`component.field` inside a line)."""
        found = self.of(entity)
        if found is None or found.fields is None:
            return True
        component = name.partition(".")[0]
        return name in found.fields or ("." in name and f"{component}.*" in found.fields)

    def filters_status(self, entity: str) -> bool:
        found = self.of(entity)
        return found is not None and found.status_filter


@dataclass(frozen=True)
class Sources:
    """Which systems fill each unified field ("Entity.field" -> system names), for descriptions."""

    fields: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def systems(self, entity: str, field: str) -> tuple[str, ...]:
        key = f"{entity}.{field}"
        return next((names for name, names in self.fields if name == key), ())

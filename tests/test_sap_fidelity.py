"""The SAP sandbox and connector only use what SAP's published `$metadata` declares.

Reads the real EDMX files from the shared specs folder (never copied into the
repository): `<repo>/../shared/specs/sap`, or `$PLANTGATE_SPECS_DIR/sap`.
"""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest

from connectors.mapping import Each, Enum, Join, Spec
from connectors.mapping import Path as PathSpec
from connectors.odata import Decimal, ODate, Text
from connectors.odata.deletion import DeletedAt
from connectors.odata.writes import written_properties
from connectors.sap.connector import S4HANA, STOCK_SELECT, STOCK_SERVICE, STOCK_SET, STREAMS, FirstFlag
from sandboxes.kit import ServerThread
from sandboxes.sap.app import LOGIN, create_app
from sandboxes.sap.model import SERVICES, EntitySet, Service


def specs_dir() -> Path:
    configured = os.environ.get("PLANTGATE_SPECS_DIR")
    if configured:
        return Path(configured) / "sap"
    return Path(__file__).resolve().parents[2] / "shared" / "specs" / "sap"


SPECS = specs_dir()
pytestmark = pytest.mark.skipif(not SPECS.is_dir(), reason=f"SAP $metadata files not found in {SPECS}")


@dataclass
class RealSet:
    type_name: str
    keys: list[str]
    props: dict[str, dict[str, str]]
    navs: dict[str, str]  # navigation name -> target entity type (qualified)
    many: dict[str, bool] = field(default_factory=dict)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _attrs(element: ET.Element) -> dict[str, str]:
    return {_local(k): v for k, v in element.attrib.items()}


def parse_edmx(xml: bytes) -> dict[str, RealSet]:
    """Entity sets of an EDMX document with their type's keys, properties and navigations."""
    root = ET.fromstring(xml)
    schema = next(e for e in root.iter() if _local(e.tag) == "Schema")
    namespace = schema.get("Namespace")
    types = {e.get("Name"): e for e in schema if _local(e.tag) == "EntityType"}
    ends = {
        f"{namespace}.{a.get('Name')}": {end.get("Role"): (end.get("Type"), end.get("Multiplicity")) for end in a}
        for a in schema
        if _local(a.tag) == "Association"
    }
    sets: dict[str, RealSet] = {}
    for element in root.iter():
        if _local(element.tag) != "EntitySet":
            continue
        qualified = element.get("EntityType") or ""
        entity_type = types[qualified.rsplit(".", 1)[-1]]
        real = RealSet(qualified, [], {}, {})
        for child in entity_type:
            kind = _local(child.tag)
            if kind == "Key":
                real.keys = [ref.get("Name") or "" for ref in child]
            elif kind == "Property":
                real.props[child.get("Name") or ""] = _attrs(child)
            elif kind == "NavigationProperty":
                target, multiplicity = ends[child.get("Relationship") or ""][child.get("ToRole")]
                real.navs[child.get("Name") or ""] = target or ""
                real.many[child.get("Name") or ""] = multiplicity == "*"
        sets[element.get("Name") or ""] = real
    return sets


@cache
def real_service(name: str) -> dict[str, RealSet]:
    return parse_edmx((SPECS / f"{name}.edmx").read_bytes())


@cache
def real_set_flags(service: str, entity_set: str) -> dict[str, bool]:
    """`sap:creatable/updatable/deletable` of an entity set (absent means allowed)."""
    root = ET.fromstring((SPECS / f"{service}.edmx").read_bytes())
    element = next(e for e in root.iter() if _local(e.tag) == "EntitySet" and e.get("Name") == entity_set)
    attrs = _attrs(element)
    return {flag: attrs.get(flag) != "false" for flag in ("creatable", "updatable", "deletable")}


def _model_sets() -> list[tuple[Service, EntitySet]]:
    return [(service, entity_set) for service in SERVICES.values() for entity_set in service.sets]


@pytest.mark.parametrize("service, entity_set", _model_sets(), ids=lambda x: getattr(x, "name", ""))
def test_sandbox_model_is_a_subset_of_the_real_service(service: Service, entity_set: EntitySet):
    real = real_service(service.name).get(entity_set.name)
    assert real is not None, f"{service.name} has no entity set {entity_set.name}"
    assert real.type_name == service.qualified(entity_set)
    assert list(entity_set.keys) == real.keys
    flags = real_set_flags(service.name, entity_set.name)
    assert flags == {
        "creatable": entity_set.creatable,
        "updatable": entity_set.updatable,
        "deletable": entity_set.deletable,
    }, entity_set.name
    for prop in entity_set.props:
        attrs = real.props.get(prop.name)
        if prop.extension:  # a customer's field: in this tenant's metadata, never in SAP's published one
            assert attrs is None, prop.name
            continue
        assert attrs is not None, f"{entity_set.name}.{prop.name} is not in the real service"
        assert (attrs.get("creatable") != "false", attrs.get("updatable") != "false") == (
            prop.creatable,
            prop.updatable,
        ), prop.name
        assert attrs["Type"] == prop.type, prop.name
        if prop.max_length is not None:
            assert attrs.get("MaxLength") == str(prop.max_length), prop.name
        if prop.precision is not None:
            assert (attrs.get("Precision"), attrs.get("Scale")) == (str(prop.precision), str(prop.scale)), prop.name
        assert (attrs.get("Nullable") == "false") == (not prop.nullable), prop.name
        assert (attrs.get("filterable") == "false") == (not prop.filterable), prop.name
    for nav in entity_set.navs:
        assert nav.name in real.navs, f"{entity_set.name}.{nav.name} is not in the real service"
        target = service.set(nav.target)
        assert target is not None and real.navs[nav.name] == service.qualified(target)
        assert real.many[nav.name] == nav.many


@pytest.fixture(scope="module")
def sandbox() -> Iterator[ServerThread]:
    with ServerThread(create_app()) as server:
        yield server


@pytest.mark.parametrize("service", list(SERVICES.values()), ids=lambda s: s.name)
def test_served_metadata_is_generated_from_the_model(sandbox, service: Service):
    answer = httpx.get(
        f"{sandbox.url}/sap/opu/odata/sap/{service.name}/$metadata", auth=(LOGIN["username"], LOGIN["password"])
    )
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/xml")
    served = parse_edmx(answer.content)
    assert set(served) == {s.name for s in service.sets}
    for entity_set in service.sets:
        got = served[entity_set.name]
        assert got.keys == list(entity_set.keys)
        assert {n: a["Type"] for n, a in got.props.items()} == {p.name: p.type for p in entity_set.props}
        assert set(got.navs) == {n.name for n in entity_set.navs}


def test_seed_rows_hold_only_model_properties(sandbox):
    dataset = sandbox.app.state.data
    for _, entity_set in _model_sets():
        names = {p.name for p in entity_set.props}
        for row in dataset.rows(entity_set.name):
            assert set(row) <= names, entity_set.name
            assert all(row.get(k) not in (None,) for k in entity_set.keys), entity_set.name


def spec_paths(spec: Any) -> Iterator[str]:
    """Property paths a mapping spec reads (Compute functions are covered by the mapping tests)."""
    if isinstance(spec, str):
        yield spec
    elif isinstance(spec, FirstFlag):
        yield from spec.flags
    elif isinstance(spec, ODate):
        yield spec.path
        if spec.time_path:
            yield spec.time_path
    elif isinstance(spec, (PathSpec, Text, Enum, Decimal)):
        yield spec.path
    elif isinstance(spec, Join):
        yield from spec.paths
    elif isinstance(spec, Each):
        yield spec.path.split(".")[0]
    elif isinstance(spec, DeletedAt):
        yield from spec_paths(spec.time)
    elif spec is not None and not isinstance(spec, Spec):
        raise AssertionError(f"unknown spec {spec!r}")


FILTER_NAME = re.compile(r"([A-Za-z_]\w*) (?:eq|ne|gt|ge|lt|le) ")


@pytest.mark.parametrize("stream", STREAMS, ids=lambda s: s.entity)
def test_connector_reads_only_what_the_real_service_has(stream):
    real = real_service(stream.service)[stream.entity_set]
    model = SERVICES[stream.service].set(stream.entity_set)
    assert model is not None, f"the sandbox does not serve {stream.entity_set}"
    properties = [stream.key, *stream.orderby, *FILTER_NAME.findall(stream.fixed_filter or "")]
    properties += [p for p in (stream.updated_field, stream.status_property) if p]
    if stream.deletion:  # pushed down as a filter: SAP must allow filtering on it
        assert real.props[stream.deletion.property].get("filterable") != "false"
        assert stream.deletion.property in stream.select
        properties.append(stream.deletion.property)
    for name in properties:
        assert name in real.props and model.prop(name), f"{stream.entity_set}.{name}"
    if stream.updated_field:
        assert real.props[stream.updated_field]["Type"] == "Edm.DateTimeOffset"
    if stream.status_property:
        assert real.props[stream.status_property].get("filterable") != "false"
    for name in stream.select:
        assert name in real.props or name in real.navs, f"{stream.entity_set}.{name} is not in {stream.service}"
        assert model.prop(name) or model.nav(name), f"the sandbox model lacks {stream.entity_set}.{name}"
    for name in stream.expand:
        assert name in real.navs and name in stream.select
    mapping = stream.mapping
    specs = [*mapping.fields.values(), mapping.remote_id, mapping.display, mapping.created_at, mapping.updated_at]
    for spec in specs:
        for path in spec_paths(spec):
            assert path in stream.select, f"{stream.entity}: {path} is read but not selected"
    for spec in mapping.fields.values():
        if isinstance(spec, Each):
            nav = spec.path.split(".")[0]
            target = real_service(stream.service)[model.nav(nav).target]
            for item_spec in spec.fields.values():
                for path in spec_paths(item_spec):
                    assert path in target.props, f"{nav}: {path}"


def test_stock_reads_only_what_the_real_service_has():
    real = real_service(STOCK_SERVICE)[STOCK_SET]
    model = SERVICES[STOCK_SERVICE].set(STOCK_SET)
    assert model is not None
    for name in STOCK_SELECT:
        assert name in real.props and model.prop(name), name


NAV_TARGETS = {"to_PurchaseOrderItem": "A_PurchaseOrderItem"}


def _allowed(props: dict[str, dict[str, str]], name: str, flag: str) -> bool:
    return name in props and props[name].get(flag) != "false"


@pytest.mark.parametrize("stream", [s for s in STREAMS if s.writes], ids=lambda s: s.entity)
def test_every_writable_field_is_creatable_or_updatable_in_the_real_service(stream):
    """The capability matrix and the write maps offer only what SAP's `$metadata` allows."""
    service = real_service(stream.service)
    real = service[stream.entity_set]
    capability = S4HANA.capabilities[stream.entity]
    for operation, flag in (("create", "creatable"), ("update", "updatable"), ("delete", "deletable")):
        offered = getattr(capability, operation)
        if offered:
            assert real_set_flags(stream.service, stream.entity_set)[flag], f"{stream.entity_set} is not {flag}"
    for operation, flag in (("create", "creatable"), ("update", "updatable")):
        writes = stream.writes.of(operation)
        if writes is None:
            continue
        settings = stream.writes.settings if operation == "create" else ()
        for path in written_properties(writes, settings):
            nav, _, name = path.rpartition("/")
            props = service[NAV_TARGETS[nav]].props if nav else real.props
            assert _allowed(props, name, flag), (
                f"{operation} sends {stream.entity_set} {path}, which SAP marks not {flag}"
            )


def test_equipment_offers_no_status_text_and_order_status_is_not_filterable():
    """Why Asset.status comes from the two flags and WorkOrder.status is filtered by the gateway."""
    equipment = real_service("API_EQUIPMENT")["Equipment"].props
    assert not [n for n in equipment if "StatusText" in n or n == "SystemStatus"]
    assert {"EquipmentIsMarkedForDeletion", "EquipmentIsInactive"} <= set(equipment)
    order = real_service("API_MAINTENANCEORDER")["MaintenanceOrder"].props
    assert order["SystemStatusText"].get("filterable") == "false"


def test_purchase_order_services_expose_no_value_help_for_the_organisation():
    """Why the write-setting picker offers the values existing purchase orders use."""
    sets = set(real_service("API_PURCHASEORDER_PROCESS_SRV"))
    assert not [s for s in sets if "CompanyCode" in s or "PurchasingOrg" in s or "PurchasingGroup" in s]

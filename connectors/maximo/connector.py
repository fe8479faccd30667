"""IBM Maximo (Tier 3 EAM, cloud or on premises): the REST/JSON "OSLC" API.

Declarations only; the protocol is in `oslc.py`. Choices the API leaves open:
- Remote ids are the natural keys (wonum, assetnum, location, itemnum, company,
  ponum, personid). Work orders, assets, locations, stock and POs are unique
  only within a site: set the optional `siteId` to read one site of a
  multi-site instance, so that ids cannot collide.
- A Part is an item: its stock rows (one per storeroom, `mxapiinventory`) are
  merged; `stockLevels` lists them, `quantityOnHand` is their sum.
- `wopriority` 1 is the most urgent (Maximo's common convention; it is
  configurable per site): 1 URGENT, 2 HIGH, 3 MEDIUM, 4-5 LOW.
- PO receipt progress is on the lines (`receivedQuantity`); the status stays
  Maximo's approval status.
- Maintenance requests are service requests (`mxapisr`, ticketid).
- Writes (see the capability matrix): `remoteVersion` is the record's
  `_rowstamp`, sent back as `If-Match`. Updating PO lines merges them: a line
  with a `lineNumber` changes that line, one without is added. Assets, vendors
  and POs are never deleted through the API (Maximo decommissions, disables or
  cancels them); work orders only while waiting on approval. A vendor's code is
  its company key: set on create, never changed. Stock is adjusted
  per storeroom (`mxapiinventory`).
- Creates send their site (`siteId`) or organization (`orgId`): the write
  settings, else the connection's read site, else the site of the referenced
  asset or location (`sites.py`). Fields the structure's JSON schema marks
  read-only are refused before the call.
- A Part's name is its item's description (`item.description`: INVENTORY has
  none) and its balance per storeroom `curbaltotal` or `curbal`, whichever the
  instance's MXAPIINVENTORY offers (its JSON schema says).
- Those markers are statuses, not deletions: CAN reads CANCELLED,
  DECOMMISSIONED reads RETIRED, a disabled company or inactive person reads
  `active: false`; `deletedAt` stays null (docs/vendors/maximo.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from schema.errors import BadUserInput

from ..base import WriteSetting
from ..catalog import CLOUD, ON_PREMISES, Capability, CredentialField, SystemEntry
from ..mapping import Compute, Date, Each, EntityMap, Enum, Join, Number, dig
from ..writes import Lines, To, WriteMap
from . import sites
from .oslc import ObjectStructure, OslcConnector

INCREMENTAL = Capability(read=True, incremental=True)
READ_ONLY = Capability(read=True)
CREATE_UPDATE = Capability(read=True, incremental=True, create=True, update=True)

ENTRY = SystemEntry(
    key="maximo",
    deletions=(
        "Maximo cancels rather than deletes: `CAN` work orders and purchase orders read `CANCELLED`, "
        "decommissioned assets `RETIRED`, disabled vendors and inactive people `active: false`, all without "
        "`deletedAt`; records deleted through the API (`DELETE` on the record) are gone and reconciled as "
        "deleted."
    ),
    name="IBM Maximo",
    vendor="IBM",
    category="EAM",
    tier=3,
    hostings=(CLOUD, ON_PREMISES),
    credential_fields=(
        CredentialField(
            "apiKey",
            "API key",
            "password",
            secret=True,
            required=False,
            help="Preferred. Leave empty to sign in with a username and password.",
        ),
        CredentialField(
            "username",
            "Username",
            "string",
            required=False,
            help="A Maximo user with native authentication (used when no API key is given).",
        ),
        CredentialField("password", "Password", "password", secret=True, required=False),
        CredentialField(
            "siteId",
            "Site",
            "string",
            required=False,
            help="Optional: read only this site (e.g. BEDFORD) of a multi-site instance.",
        ),
    ),
    auth_guide=(
        "Give the instance URL (https://<host>, with or without /maximo) and either an API key or a "
        "username and password (native Maximo authentication). Create the API key for an integration "
        "user in the Administration work center, Integration tab → API Keys (in Maximo Application "
        "Suite: Administration → API Keys). The user needs read access to work orders, assets, "
        "locations, inventory, purchasing, companies and people."
    ),
    capabilities={
        "WorkOrder": Capability(read=True, incremental=True, create=True, update=True, delete=True),
        "MaintenanceRequest": CREATE_UPDATE,
        "Asset": CREATE_UPDATE,
        "Location": INCREMENTAL,
        "Part": Capability(read=True, adjust=True),  # INVENTORY has no changedate
        "Vendor": CREATE_UPDATE,
        "PurchaseOrder": CREATE_UPDATE,
        "User": READ_ONLY,  # PERSON has no changedate
    },
)

CHANGED: dict[str, Any] = {"updated_at": Date("changedate"), "version": "_rowstamp"}
PRIORITY = {1: "URGENT", 2: "HIGH", 3: "MEDIUM", 4: "LOW", 5: "LOW"}


def _distinct(values: list[Any]) -> list[Any]:
    return list(dict.fromkeys(v for v in values if v))


def _primary_parent(location: dict[str, Any]) -> str | None:
    """The parent in the PRIMARY location system (LOCHIERARCHY)."""
    rows = location.get("lochierarchy") or []
    return next((r.get("parent") for r in rows if r.get("systemid") == "PRIMARY"), None)


BALANCES = ("curbaltotal", "curbal")  # a storeroom's balance: the total over its bins, else the one served


def _balance(row: dict[str, Any]) -> float | None:
    value = next((row[a] for a in BALANCES if row.get(a) is not None), None)
    return None if value is None else float(value)


def _stock(item: dict[str, Any], attr: str | None = None) -> float | None:
    """The sum over storerooms of `attr` (of the balance when None)."""
    values = [v for row in item["member"] if (v := (_balance(row) if attr is None else row.get(attr))) is not None]
    return float(sum(values)) if values else None


def _first(item: dict[str, Any], attr: str) -> Any:
    return next((dig(row, attr) for row in item["member"] if dig(row, attr) is not None), None)


def _item_name(item: dict[str, Any]) -> Any:
    """The item's description (`item.description`), else a `description` the structure may add."""
    return _first(item, "item.description") or _first(item, "description")


WORK_ORDERS = EntityMap(
    "WorkOrder",
    remote_id="wonum",
    display=Join(("wonum", "description")),
    fields={
        "number": "wonum",
        "title": "description",
        "description": "description_longdescription",
        "status": Enum(
            "status",
            {
                "WAPPR": "OPEN",
                "APPR": "OPEN",
                "WSCH": "OPEN",
                "INPRG": "IN_PROGRESS",
                "WMATL": "ON_HOLD",
                "WPCOND": "ON_HOLD",
                "COMP": "COMPLETED",
                "CLOSE": "COMPLETED",
                "CAN": "CANCELLED",
            },
        ),
        "priority": Enum("wopriority", PRIORITY),
        "type": Enum(
            "worktype",
            {"CM": "CORRECTIVE", "PM": "PREVENTIVE", "EM": "EMERGENCY", "INSP": "INSPECTION"},
            default="OTHER",
        ),
        "asset": "assetnum",
        "location": "location",
        "assignees": Compute(lambda r: _distinct([r.get("lead"), r.get("owner")])),
        "requestedBy": "reportedby",
        "dueDate": Date("targcompdate"),
        "startedAt": Date("actstart"),
        "completedAt": Date("actfinish"),
        "estimatedHours": Number("estdur"),
        "actualHours": Number("actlabhrs"),
    },
    created_at=Date("reportdate"),
    **CHANGED,
)

REQUESTS = EntityMap(
    "MaintenanceRequest",
    remote_id="ticketid",
    display=Join(("ticketid", "description")),
    fields={
        "title": "description",
        "description": "description_longdescription",
        "status": Enum(
            "status",
            {
                "NEW": "OPEN",
                "PENDING": "OPEN",
                "QUEUED": "APPROVED",
                "INPROG": "APPROVED",
                "RESOLVED": "CLOSED",
                "CLOSED": "CLOSED",
                "CANCELLED": "REJECTED",
            },
        ),
        "priority": Enum("reportedpriority", PRIORITY),
        "asset": "assetnum",
        "location": "location",
        "requestedBy": "reportedby",
    },
    created_at=Date("reportdate"),
    **CHANGED,
)

ASSETS = EntityMap(
    "Asset",
    remote_id="assetnum",
    display=Join(("assetnum", "description")),
    fields={
        "name": "description",
        "code": "assettag",
        "description": "description_longdescription",
        "status": Enum(
            "status",
            {
                "OPERATING": "OPERATIONAL",
                "ACTIVE": "OPERATIONAL",
                "NOT READY": "DOWN",
                "BROKEN": "DOWN",
                "DECOMMISSIONED": "RETIRED",
            },
            default="UNKNOWN",
        ),
        "criticality": Compute(lambda r: None if r.get("priority") is None else str(r["priority"])),
        "category": "assettype",
        "manufacturer": "manufacturer",
        "serialNumber": "serialnum",
        "location": "location",
        "parent": "parent",
    },
    **CHANGED,
)

LOCATIONS = EntityMap(
    "Location",
    remote_id="location",
    display="description",
    fields={
        "name": "description",
        "code": "location",
        "type": Enum("type", {"STOREROOM": "STORAGE"}, default="OTHER"),
        "parent": Compute(_primary_parent),
    },
    **CHANGED,
)

PARTS = EntityMap(
    "Part",
    remote_id="itemnum",
    display=Compute(lambda r: f"{r['itemnum']} {_item_name(r) or ''}".strip()),
    fields={
        "partNumber": "itemnum",
        "name": Compute(_item_name),
        "unitOfMeasure": Compute(lambda r: _first(r, "issueunit")),
        "unitCost": Compute(lambda r: _first(r, "avgcost")),
        "quantityOnHand": Compute(_stock),
        "minimumQuantity": Compute(lambda r: _stock(r, "minlevel")),
        "stockLevels": Each("member", {"location": "location", "quantity": Compute(_balance)}),
        "vendors": Compute(lambda r: _distinct([row.get("vendor") for row in r["member"]])),
    },
)

VENDORS = EntityMap(
    "Vendor",
    remote_id="company",
    display="name",
    fields={
        "name": "name",
        "code": "company",
        "phone": "phone",
        "address": Join(("address1", "city", "stateprovince", "zip", "country"), ", "),
        "website": "homepage",
        "active": Compute(lambda r: None if r.get("disabled") is None else not r["disabled"]),
    },
    **CHANGED,
)

PURCHASE_ORDERS = EntityMap(
    "PurchaseOrder",
    remote_id="ponum",
    display=Join(("ponum", "description")),
    fields={
        "number": "ponum",
        "vendor": "vendor",
        "status": Enum(
            "status",
            {
                "WAPPR": "SUBMITTED",
                "APPR": "APPROVED",
                "INPRG": "APPROVED",
                "REVISE": "DRAFT",
                "PNDREV": "DRAFT",
                "CLOSE": "CLOSED",
                "CAN": "CANCELLED",
            },
        ),
        "orderDate": Date("orderdate"),
        "expectedDate": Date("requireddate"),
        "currency": "currencycode",
        "totalAmount": Number("totalcost"),
        "lines": Each(
            "poline",
            {
                "lineNumber": "polinenum",
                "part": "itemnum",
                "description": "description",
                "quantity": Number("orderqty"),
                "unitOfMeasure": "orderunit",
                "unitPrice": Number("unitcost"),
                "amount": Number("linecost"),
                "receivedQuantity": Number("receivedqty"),
            },
        ),
    },
    **CHANGED,
)

USERS = EntityMap(
    "User",
    remote_id="personid",
    display="displayname",
    fields={
        "name": "displayname",
        "email": "primaryemail",
        "role": "title",
        "active": Compute(lambda r: None if r.get("status") is None else r["status"] == "ACTIVE"),
    },
)


def _criticality(value: str) -> int:
    """Maximo's asset priority is a number (1-5 here)."""
    if not str(value).isdigit():
        raise BadUserInput(f"IBM Maximo asset criticality is a priority number, not '{value}'", field="criticality")
    return int(value)


def _people(value: list[str]) -> dict[str, str | None]:
    if len(value) > 2:
        raise BadUserInput("IBM Maximo takes at most two assignees: the lead and the owner", field="assignees")
    return {"lead": value[0] if value else None, "owner": value[1] if len(value) > 1 else None}


class Assignees:
    """The first assignee is the work order's `lead`, a second one its `owner`."""

    def write(self, payload: dict[str, Any], value: list[str] | None) -> None:
        payload.update(_people(list(value or [])))


def _writes(read: EntityMap, names: tuple[str, ...], required: tuple[str, ...], **extra: Any) -> WriteMap:
    return WriteMap.inverse("IBM Maximo", read, names, required, extra)


WORK_ORDER_WRITES = _writes(
    WORK_ORDERS,
    (
        "title",
        "description",
        "status",
        "priority",
        "type",
        "asset",
        "location",
        "requestedBy",
        "dueDate",
        "startedAt",
        "completedAt",
        "estimatedHours",
    ),
    ("title",),
    assignees=Assignees(),
)
REQUEST_WRITES = _writes(
    REQUESTS, ("title", "description", "status", "priority", "asset", "location", "requestedBy"), ("title",)
)
ASSET_WRITES = _writes(
    ASSETS,
    ("name", "code", "description", "status", "category", "manufacturer", "serialNumber", "location", "parent"),
    ("name",),
    criticality=To("priority", _criticality),
)
VENDOR_EXTRA = {"address": To("address1"), "active": To("disabled", lambda active: not active)}
VENDOR_WRITES = _writes(VENDORS, ("name", "code", "phone", "website"), ("code", "name"), **VENDOR_EXTRA)
VENDOR_UPDATES = _writes(VENDORS, ("name", "phone", "website"), (), **VENDOR_EXTRA)  # the code is the key
PURCHASE_ORDER_WRITES = _writes(
    PURCHASE_ORDERS,
    ("vendor", "status", "orderDate", "expectedDate", "currency"),
    ("vendor", "lines"),
    lines=Lines(
        "poline",
        {
            "lineNumber": "polinenum",
            "part": "itemnum",
            "description": "description",
            "quantity": To("orderqty", float),
            "unitOfMeasure": "orderunit",
            "unitPrice": To("unitcost", float),
        },
    ),
)


def _os(mapping: EntityMap, name: str, key: str, select: str, **options: Any) -> ObjectStructure:
    """Filters compare `changedate` where the record has one, and the status field's attribute."""
    options.setdefault("updated_param", "changedate")
    options.setdefault("status_param", options.get("status_field", "status"))
    return ObjectStructure(mapping, name, key=key, select=select, **options)


class MaximoConnector(OslcConnector):
    entry = ENTRY
    object_structures = ("mxapimeter",)
    write_settings: ClassVar[tuple[WriteSetting, ...]] = sites.SETTINGS
    streams = (
        _os(
            WORK_ORDERS,
            "mxapiwodetail",
            "wonum",
            site_scoped=True,
            created_param="reportdate",
            writes=WORK_ORDER_WRITES,
            select="wonum,description,description_longdescription,status,wopriority,worktype,assetnum,"
            "location,lead,owner,reportedby,reportdate,targcompdate,actstart,actfinish,estdur,"
            "actlabhrs,changedate,siteid",
        ),
        _os(
            ASSETS,
            "mxapiasset",
            "assetnum",
            site_scoped=True,
            writes=ASSET_WRITES,
            select="assetnum,description,description_longdescription,status,assettag,assettype,priority,"
            "manufacturer,serialnum,location,parent,changedate,siteid",
        ),
        _os(
            LOCATIONS,
            "mxapilocations",
            "location",
            site_scoped=True,
            status_field="type",
            select="location,description,type,changedate,siteid,lochierarchy{parent,systemid}",
        ),
        _os(
            PARTS,
            "mxapiinventory",
            "itemnum",
            site_scoped=True,
            grouped=True,
            status_field=None,
            updated_param=None,
            order="+itemnum,+location",
            variants=(BALANCES,),
            select="itemnum,item.description,location,issueunit,minlevel,avgcost,vendor,siteid",
        ),
        _os(
            VENDORS,
            "mxapivendor",
            "company",
            status_field=None,
            writes=VENDOR_WRITES,
            update_writes=VENDOR_UPDATES,
            select="company,name,phone,address1,city,stateprovince,zip,country,homepage,disabled,changedate",
        ),
        _os(
            PURCHASE_ORDERS,
            "mxapipo",
            "ponum",
            site_scoped=True,
            writes=PURCHASE_ORDER_WRITES,
            select="ponum,description,status,vendor,orderdate,requireddate,currencycode,totalcost,changedate,"
            "siteid,poline{polinenum,itemnum,description,orderqty,orderunit,unitcost,linecost,receivedqty}",
        ),
        _os(
            USERS,
            "mxapiperson",
            "personid",
            status_field=None,
            updated_param=None,
            select="personid,displayname,primaryemail,title,status",
        ),
        _os(
            REQUESTS,
            "mxapisr",
            "ticketid",
            site_scoped=True,
            created_param="reportdate",
            writes=REQUEST_WRITES,
            select="ticketid,description,description_longdescription,status,reportedpriority,assetnum,location,"
            "reportedby,reportdate,changedate,siteid",
        ),
    )

    async def write_context(
        self, structure: ObjectStructure, payload: dict[str, Any], options: Mapping[str, str] | None
    ) -> dict[str, Any]:
        return await sites.context(self, structure, payload, options)

    async def write_setting_choices(self, name: str) -> list[tuple[str, str]]:
        return await sites.choices(self, name)


CONNECTOR = MaximoConnector

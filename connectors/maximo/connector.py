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
"""

from __future__ import annotations

from typing import Any

from ..catalog import CLOUD, ON_PREMISES, Capability, CredentialField, SystemEntry
from ..mapping import Compute, Date, Each, EntityMap, Enum, Join, Number
from .oslc import ObjectStructure, OslcConnector

INCREMENTAL = Capability(read=True, incremental=True)
READ_ONLY = Capability(read=True)

ENTRY = SystemEntry(
    key="maximo",
    name="IBM Maximo",
    vendor="IBM",
    category="EAM",
    tier=3,
    hostings=(CLOUD, ON_PREMISES),
    credential_fields=(
        CredentialField("apiKey", "API key", "password", secret=True, required=False,
                        help="Preferred. Leave empty to sign in with a username and password."),
        CredentialField("username", "Username", "string", required=False,
                        help="A Maximo user with native authentication (used when no API key is given)."),
        CredentialField("password", "Password", "password", secret=True, required=False),
        CredentialField("siteId", "Site", "string", required=False,
                        help="Optional: read only this site (e.g. BEDFORD) of a multi-site instance."),
    ),
    auth_guide=(
        "Give the instance URL (https://<host>, with or without /maximo) and either an API key or a "
        "username and password (native Maximo authentication). Create the API key for an integration "
        "user in the Administration work center, Integration tab → API Keys (in Maximo Application "
        "Suite: Administration → API Keys). The user needs read access to work orders, assets, "
        "locations, inventory, purchasing, companies and people."
    ),
    capabilities={
        "WorkOrder": INCREMENTAL,
        "Asset": INCREMENTAL,
        "Location": INCREMENTAL,
        "Part": READ_ONLY,  # INVENTORY has no changedate
        "Vendor": INCREMENTAL,
        "PurchaseOrder": INCREMENTAL,
        "User": READ_ONLY,  # PERSON has no changedate
    },
)

CHANGED = {"updated_at": Date("changedate")}


def _distinct(values: list[Any]) -> list[Any]:
    return list(dict.fromkeys(v for v in values if v))


def _primary_parent(location: dict[str, Any]) -> str | None:
    """The parent in the PRIMARY location system (LOCHIERARCHY)."""
    rows = location.get("lochierarchy") or []
    return next((r.get("parent") for r in rows if r.get("systemid") == "PRIMARY"), None)


def _stock(item: dict[str, Any], attr: str) -> float | None:
    values = [row[attr] for row in item["member"] if row.get(attr) is not None]
    return float(sum(values)) if values else None


def _first(item: dict[str, Any], attr: str) -> Any:
    return next((row[attr] for row in item["member"] if row.get(attr) is not None), None)


WORK_ORDERS = EntityMap(
    "WorkOrder",
    remote_id="wonum",
    display=Join(("wonum", "description")),
    fields={
        "number": "wonum",
        "title": "description",
        "description": "description_longdescription",
        "status": Enum("status", {
            "WAPPR": "OPEN", "APPR": "OPEN", "WSCH": "OPEN", "INPRG": "IN_PROGRESS",
            "WMATL": "ON_HOLD", "WPCOND": "ON_HOLD", "COMP": "COMPLETED", "CLOSE": "COMPLETED",
            "CAN": "CANCELLED",
        }),
        "priority": Enum("wopriority", {1: "URGENT", 2: "HIGH", 3: "MEDIUM", 4: "LOW", 5: "LOW"}),
        "type": Enum("worktype", {"CM": "CORRECTIVE", "PM": "PREVENTIVE", "EM": "EMERGENCY",
                                  "INSP": "INSPECTION"}, default="OTHER"),
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

ASSETS = EntityMap(
    "Asset",
    remote_id="assetnum",
    display=Join(("assetnum", "description")),
    fields={
        "name": "description",
        "code": "assettag",
        "description": "description_longdescription",
        "status": Enum("status", {"OPERATING": "OPERATIONAL", "ACTIVE": "OPERATIONAL", "NOT READY": "DOWN",
                                  "BROKEN": "DOWN", "DECOMMISSIONED": "RETIRED"}, default="UNKNOWN"),
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
    display=Compute(lambda r: f'{r["itemnum"]} {_first(r, "description") or ""}'.strip()),
    fields={
        "partNumber": "itemnum",
        "name": Compute(lambda r: _first(r, "description")),
        "unitOfMeasure": Compute(lambda r: _first(r, "issueunit")),
        "unitCost": Compute(lambda r: _first(r, "avgcost")),
        "quantityOnHand": Compute(lambda r: _stock(r, "curbaltotal")),
        "minimumQuantity": Compute(lambda r: _stock(r, "minlevel")),
        "stockLevels": Each("member", {"location": "location", "quantity": Number("curbaltotal")}),
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
        "status": Enum("status", {"WAPPR": "SUBMITTED", "APPR": "APPROVED", "INPRG": "APPROVED",
                                  "REVISE": "DRAFT", "PNDREV": "DRAFT", "CLOSE": "CLOSED",
                                  "CAN": "CANCELLED"}),
        "orderDate": Date("orderdate"),
        "expectedDate": Date("requireddate"),
        "currency": "currencycode",
        "totalAmount": Number("totalcost"),
        "lines": Each("poline", {
            "lineNumber": "polinenum",
            "part": "itemnum",
            "description": "description",
            "quantity": Number("orderqty"),
            "unitOfMeasure": "orderunit",
            "unitPrice": Number("unitcost"),
            "amount": Number("linecost"),
            "receivedQuantity": Number("receivedqty"),
        }),
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


def _os(mapping: EntityMap, name: str, key: str, select: str, **options: Any) -> ObjectStructure:
    """Filters compare `changedate` where the record has one, and the status field's attribute."""
    options.setdefault("updated_param", "changedate")
    options.setdefault("status_param", options.get("status_field", "status"))
    return ObjectStructure(mapping, name, key=key, select=select, **options)


class MaximoConnector(OslcConnector):
    entry = ENTRY
    streams = (
        _os(WORK_ORDERS, "mxapiwodetail", "wonum", site_scoped=True, created_param="reportdate",
            select="wonum,description,description_longdescription,status,wopriority,worktype,assetnum,"
                   "location,lead,owner,reportedby,reportdate,targcompdate,actstart,actfinish,estdur,"
                   "actlabhrs,changedate,siteid"),
        _os(ASSETS, "mxapiasset", "assetnum", site_scoped=True,
            select="assetnum,description,description_longdescription,status,assettag,assettype,priority,"
                   "manufacturer,serialnum,location,parent,changedate,siteid"),
        _os(LOCATIONS, "mxapilocations", "location", site_scoped=True, status_field="type",
            select="location,description,type,changedate,siteid,lochierarchy{parent,systemid}"),
        _os(PARTS, "mxapiinventory", "itemnum", site_scoped=True, grouped=True, status_field=None,
            updated_param=None, order="+itemnum,+location",
            select="itemnum,description,location,issueunit,curbaltotal,minlevel,avgcost,vendor,siteid"),
        _os(VENDORS, "mxapivendor", "company", status_field=None,
            select="company,name,phone,address1,city,stateprovince,zip,country,homepage,disabled,changedate"),
        _os(PURCHASE_ORDERS, "mxapipo", "ponum", site_scoped=True,
            select="ponum,description,status,vendor,orderdate,requireddate,currencycode,totalcost,changedate,"
                   "siteid,poline{polinenum,itemnum,description,orderqty,orderunit,unitcost,linecost,receivedqty}"),
        _os(USERS, "mxapiperson", "personid", status_field=None, updated_param=None,
            select="personid,displayname,primaryemail,title,status"),
    )


CONNECTOR = MaximoConnector

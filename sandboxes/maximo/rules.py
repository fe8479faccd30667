"""What the Maximo sandbox accepts on create and update, object structure by object structure.

Known from IBM's documentation: creates post the attributes of the main object
(child rows such as `poline` inline, all in one transaction), `_rowstamp`
guards updates, a missing required value is BMXAA4195E ("A value is required
for the X field on the Y object.") and a duplicate key BMXAA4129E.
Unverified: the other reason codes and messages, which attributes each
structure lets an integration write, that `wonum`, `assetnum` and `ticketid`
are autonumbered when left out, that only work orders waiting on approval
can be deleted, and the refusal of a site-scoped create without a site: the
message ("null is not a valid site") is the one users report, the reason code
BMXAA4153E our reading (docs/vendors/maximo.md). Maximo fills the site from
the user's default insert site when there is one; this sandbox's API user has
none, so a create must name its site (and a company its organization).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sandboxes.rules import Attr, Exists, first_problem

from .seed import ASSET_STATUS, ORG, PO_STATUS, SITES, SR_STATUS, WO_STATUS, WORKTYPES, Record, iso

PRIORITY = Attr("integer", (1, 2, 3, 4, 5))
PERSON = Attr("text", ref="mxapiperson")
SITE_ATTR = Attr("text", tuple(SITES))
SITE_SCOPED = ("mxapiwodetail", "mxapisr", "mxapiasset", "mxapipo")
OBJECTS = {
    "mxapiwodetail": "WORKORDER",
    "mxapiasset": "ASSET",
    "mxapivendor": "COMPANIES",
    "mxapipo": "PO",
    "mxapisr": "SR",
    "poline": "POLINE",
}
CUSTOM = {  # this customer's added attributes
    "mxapiwodetail": {
        "cust_shift": Attr("text", ("DAY", "SWING", "NIGHT")),
        "cust_costcenter": Attr("text"),
        "cust_downtime": Attr("integer", minimum=0),
    },
    "mxapiasset": {"cust_warrantyexp": Attr("datetime"), "cust_ratedkw": Attr("number", minimum=0)},
}
RULES: dict[str, dict[str, Attr]] = {
    "mxapiwodetail": {
        "wonum": Attr("text"),
        "siteid": SITE_ATTR,
        "description": Attr("text"),
        "description_longdescription": Attr("text"),
        "status": Attr("text", tuple(WO_STATUS)),
        "wopriority": PRIORITY,
        "worktype": Attr("text", WORKTYPES),
        "assetnum": Attr("text", ref="mxapiasset"),
        "location": Attr("text", ref="mxapilocations"),
        "reportedby": PERSON,
        "lead": PERSON,
        "owner": PERSON,
        "targcompdate": Attr("datetime"),
        "actstart": Attr("datetime"),
        "actfinish": Attr("datetime"),
        "estdur": Attr("number", minimum=0),
        **CUSTOM["mxapiwodetail"],
    },
    "mxapisr": {
        "ticketid": Attr("text"),
        "siteid": SITE_ATTR,
        "description": Attr("text"),
        "description_longdescription": Attr("text"),
        "status": Attr("text", tuple(SR_STATUS)),
        "reportedpriority": PRIORITY,
        "assetnum": Attr("text", ref="mxapiasset"),
        "location": Attr("text", ref="mxapilocations"),
        "reportedby": PERSON,
    },
    "mxapiasset": {
        "assetnum": Attr("text"),
        "siteid": SITE_ATTR,
        "description": Attr("text"),
        "description_longdescription": Attr("text"),
        "status": Attr("text", tuple(ASSET_STATUS)),
        "assettag": Attr("text"),
        "assettype": Attr("text"),
        "priority": PRIORITY,
        "manufacturer": Attr("text", ref="mxapivendor"),
        "vendor": Attr("text", ref="mxapivendor"),
        "serialnum": Attr("text"),
        "location": Attr("text", ref="mxapilocations"),
        "parent": Attr("text", ref="mxapiasset"),
        **CUSTOM["mxapiasset"],
    },
    "mxapivendor": {
        "company": Attr("text"),
        "orgid": Attr("text", (ORG,)),
        "name": Attr("text"),
        "type": Attr("text", ("V", "M", "C")),
        "address1": Attr("text"),
        "city": Attr("text"),
        "stateprovince": Attr("text"),
        "zip": Attr("text"),
        "country": Attr("text"),
        "phone": Attr("text"),
        "homepage": Attr("text"),
        "disabled": Attr("boolean"),
        "currencycode": Attr("text"),
    },
    "mxapipo": {
        "siteid": SITE_ATTR,
        "description": Attr("text"),
        "status": Attr("text", tuple(PO_STATUS)),
        "vendor": Attr("text", ref="mxapivendor"),
        "orderdate": Attr("datetime"),
        "requireddate": Attr("datetime"),
        "currencycode": Attr("text"),
        "poline": Attr("list"),
    },
}
LINE = {
    "polinenum": Attr("integer", minimum=1),
    "itemnum": Attr("text", ref="mxapiinventory"),
    "description": Attr("text"),
    "orderqty": Attr("number", minimum=0.0001),
    "orderunit": Attr("text"),
    "unitcost": Attr("number", minimum=0),
    "linetype": Attr("text", ("ITEM", "MATERIAL", "SERVICE")),
    "storeloc": Attr("text", ref="mxapilocations"),
}
REQUIRED = {
    "mxapiwodetail": ("description",),
    "mxapisr": ("description",),
    "mxapiasset": ("description",),
    "mxapivendor": ("company", "name", "orgid"),
    "mxapipo": ("vendor",),
}
LINE_REQUIRED = ("orderqty", "unitcost")
DOMAINS = {"mxapiwodetail": WO_STATUS, "mxapisr": SR_STATUS, "mxapiasset": ASSET_STATUS, "mxapipo": PO_STATUS}
FINAL = {"mxapiwodetail": ("CLOSE", "CAN"), "mxapipo": ("CLOSE", "CAN"), "mxapisr": ("CLOSED", "CANCELLED")}
READ_ONLY = {  # attributes Maximo computes: listed as read-only in the JSON schema, refused in a write
    "mxapiwodetail": ("actlabhrs", "reportdate", "statusdate", "changedate", "changeby", "woclass"),
    "mxapisr": ("reportdate", "statusdate", "changedate", "changeby", "class"),
    "mxapiasset": ("isrunning", "changedate", "changeby"),
    "mxapivendor": ("changedate", "changeby"),
    "mxapipo": ("totalcost", "receipts", "revisionnum", "statusdate", "changedate", "changeby"),
    "mxapiinventory": ("curbal", "avgcost", "lastcost"),
}
DATES = ("targcompdate", "actstart", "actfinish", "orderdate", "requireddate", "cust_warrantyexp")


class Refused(Exception):
    """A write Maximo refuses: its reason code and message (answered with a 400)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def check(structure: str, body: Any, exists: Exists, creating: bool) -> None:
    """Raise `Refused` for the first thing Maximo would refuse in a write body."""
    rules = RULES.get(structure)
    if rules is None:
        raise Refused("BMXAA9365E", f"The {structure.upper()} object structure does not accept this operation.")
    if creating and structure in SITE_SCOPED and not (isinstance(body, dict) and body.get("siteid")):
        raise Refused(
            "BMXAA4153E",
            "null is not a valid site. Enter a valid Site value as defined in the Organization Application.",
        )
    fixed = [a for a in READ_ONLY.get(structure, ()) if isinstance(body, dict) and a in body]
    if fixed:
        raise Refused("BMXAA4190E", f"The {fixed[0].upper()} field on the {OBJECTS[structure]} object is read-only.")
    required = REQUIRED[structure] if creating else ()
    _raise(first_problem(rules, body, exists, required), structure, body)
    for n, line in enumerate(body.get("poline") or [], 1):
        new = not (isinstance(line, dict) and "polinenum" in line)
        _raise(first_problem(LINE, line, exists, LINE_REQUIRED if new else ()), "poline", line, n)


def _raise(found: tuple[str | None, str] | None, structure: str, body: Any, line: int | None = None) -> None:
    if found is None:
        return
    name, wrong = found
    where = f" (line {line})" if line else ""
    obj = OBJECTS.get(structure, structure.upper())
    if name is None:
        raise Refused("BMXAA2661E", f"{wrong}{where}.")
    if wrong == "is required":
        raise Refused("BMXAA4195E", f"A value is required for the {name.upper()} field on the {obj} object{where}.")
    value = body.get(name) if isinstance(body, dict) else None
    raise Refused("BMXAA4190E", f"{value!r} is not valid for {obj}.{name.upper()}: it {wrong}{where}.")


def refuse_change(structure: str, current: Record) -> None:
    """Records in a final status cannot be changed (Maximo asks for a new record instead)."""
    if current.get("status") in FINAL.get(structure, ()):
        key = current.get("wonum") or current.get("ponum") or current.get("ticketid")
        raise Refused(
            "BMXAA4590E", f"{OBJECTS[structure]} {key} is in status {current['status']} and cannot be changed."
        )


def refuse_delete(structure: str, current: Record) -> None:
    if structure != "mxapiwodetail":
        raise Refused("BMXAA9365E", f"The {structure.upper()} object structure does not allow deletes.")
    if current.get("status") != "WAPPR":
        raise Refused("BMXAA4188E", f"Work order {current['wonum']} cannot be deleted because its status is not WAPPR.")


def stored(
    structure: str, body: Record, current: Record | None, next_key: Callable[[str], str], merge: bool = False
) -> Record:
    """The write as Maximo keeps it: defaults and autonumbers on create, dates in the server's
    time zone, domain descriptions, PO lines numbered and costed (merged or replaced)."""
    out: Record = {
        k: iso(datetime.fromisoformat(v.replace("Z", "+00:00"))) if k in DATES and v else v for k, v in body.items()
    }
    if current is None:
        out = {**_defaults(structure, next_key), **out}
    if "company" in out:
        out["company"] = out["company"].upper()
    if "status" in out and structure in DOMAINS:
        out["status_description"] = DOMAINS[structure][out["status"]]
        out["statusdate"] = iso(datetime.now().astimezone())
    if "poline" in out:
        out["poline"] = _lines(out["poline"], (current or {}).get("poline") or [], merge)
        out["totalcost"] = round(sum(line["linecost"] for line in out["poline"]), 2)
    return out


def _defaults(structure: str, next_key: Callable[[str], str]) -> Record:
    now = iso(datetime.now().astimezone())
    site = {"orgid": ORG}  # the site's organization; the site itself comes with the create
    makers: dict[str, Callable[[], Record]] = {
        "mxapiwodetail": lambda: {
            **site,
            "wonum": next_key("wonum"),
            "status": "WAPPR",
            "woclass": "WORKORDER",
            "istask": False,
            "reportdate": now,
        },
        "mxapisr": lambda: {
            **site,
            "ticketid": next_key("ticketid"),
            "class": "SR",
            "status": "NEW",
            "reportdate": now,
        },
        "mxapiasset": lambda: {**site, "assetnum": next_key("assetnum"), "status": "NOT READY", "isrunning": False},
        "mxapivendor": lambda: {"type": "V", "currencycode": "USD", "disabled": False},
        "mxapipo": lambda: {
            **site,
            "ponum": next_key("ponum"),
            "revisionnum": 0,
            "status": "WAPPR",
            "orderdate": now,
            "currencycode": "USD",
            "receipts": "NONE",
            "poline": [],
        },
    }
    return makers[structure]()


def _lines(given: list[Record], existing: list[Record], merge: bool) -> list[Record]:
    """`patchtype: MERGE` keeps the lines not named; without it the given lines replace them all."""
    lines = {line["polinenum"]: dict(line) for line in (existing if merge else [])}
    for line in given:
        number = line.get("polinenum") or max(lines, default=0) + 1
        merged = {"linetype": "ITEM", "receivedqty": 0.0, **lines.get(number, {}), **line, "polinenum": number}
        missing = [name for name in LINE_REQUIRED if merged.get(name) is None]
        if missing:
            raise Refused("BMXAA4195E", f"A value is required for the {missing[0].upper()} field on the POLINE object.")
        if merged.get("itemnum") and "description" not in merged:
            merged["description"] = merged["itemnum"]
        merged["linecost"] = round(merged["orderqty"] * merged["unitcost"], 2)
        lines[number] = merged
    return [lines[n] for n in sorted(lines)]

"""Microsoft Dynamics 365 Business Central (Tier 2 ERP, online and on premises): API v2.0 over OData v4.

Declarations on the OData kit (`connectors/odata/`): one `EntitySetStream` per unified
entity under `/api/v2.0/companies(<id>)/` — fixed assets (assets), vendors, items
(parts), locations, purchase orders with their lines (`$expand=purchaseOrderLines`)
and employees (users). Records are keyed by their `id` (an `Edm.Guid`, bare in URLs and filters)
and pages go by position, ordered by the record's number or code; a fetch of many
records is one JSON `$batch` of `or`-filtered reads. Writes send the
`@odata.etag` read as `If-Match`: fixed assets and vendors are created and changed, purchase orders
created with their lines (a deep insert), changed (header) and deleted.

Login: online, OAuth 2.0 client credentials of a Microsoft Entra application (tenant,
client id and secret; scope `https://api.businesscentral.dynamics.com/.default`); on
premises, Basic with a user name and its web service access key. The company is a
credential field; `check` lists the environment's companies when it is missing or
unknown (see docs/vendors/business_central.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from schema.errors import BadUserInput

from ..catalog import CLOUD, ON_PREMISES, CredentialField, SystemEntry
from ..mapping import Compute, Each, EntityMap, Enum
from ..oauth import ClientCredentials
from ..odata import ODataConnector
from ..odata.client_v4 import ODataV4Client
from ..odata.envelope_v4 import etag
from ..odata.query import V4, Query
from ..odata.reader import EntitySetClient
from ..odata.specs import Code, Decimal, ODate, Text
from ..odata.streams import EntitySetStream, capability
from ..odata.values import text
from ..odata.writes import Writes, write_map
from ..writes import Lines, To

API_ROOT = "/api/v2.0"
SCOPE = "https://api.businesscentral.dynamics.com/.default"
AUTHORITY = "https://login.microsoftonline.com"
BC = "Business Central"
NO_ID = "00000000-0000-0000-0000-000000000000"  # an empty Edm.Guid (e.g. a line without an item)
GUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
VERSION = Compute(etag)  # remoteVersion: the `@odata.etag` sent back as If-Match
CHANGED = ODate("lastModifiedDateTime")
# purchaseOrder.status (API v2.0): Draft = Open in the client, In Review = pending approval, Open = released.
PO_STATUS = {"Draft": "DRAFT", "In Review": "SUBMITTED", "Open": "APPROVED"}


def _guid(path: str) -> Compute:
    """A relation held as an `Edm.Guid`; the empty GUID is no relation."""
    return Compute(lambda raw: None if (value := text(raw.get(path))) in (None, NO_ID) else value)


def _address(raw: Any) -> str | None:
    street = ", ".join(v for n in ("addressLine1", "addressLine2") if (v := text(raw.get(n))))
    town = " ".join(v for n in ("postalCode", "city") if (v := text(raw.get(n))))
    parts = [street, town, *(v for n in ("state", "country") if (v := text(raw.get(n))))]
    return ", ".join(p for p in parts if p) or None


@dataclass(frozen=True)
class FixedAssetStatus(Enum):
    """A fixed asset has flags, not a status: `blocked` reads RETIRED, `underMaintenance` IN_REPAIR,
    neither OPERATIONAL; the raw value names the flag (`active` when none is set)."""

    def raw(self, raw: Any) -> str | None:
        if raw.get("blocked") is True:
            return "blocked"
        return "underMaintenance" if raw.get("underMaintenance") is True else "active"

    def extract(self, raw: Any) -> Any:
        return self.values.get(self.raw(raw) or "", self.default)


def _record_map(entity: str, fields: dict[str, Any], display: str = "displayName") -> EntityMap:
    """An API page's record: keyed by `id`, changed at `lastModifiedDateTime`, versioned by its ETag."""
    return EntityMap(entity, remote_id="id", display=Text(display), fields=fields, updated_at=CHANGED, version=VERSION)


class OrderStatus(Code):
    """`status` of a purchase order, RECEIVED once `fullyReceived` (the raw value stays the status)."""

    def extract(self, raw: Any) -> Any:
        return "RECEIVED" if raw.get("fullyReceived") is True else super().extract(raw)


VENDORS = _record_map(
    "Vendor",
    {
        "name": Text("displayName"),
        "code": Text("number"),
        "email": Text("email"),
        "phone": Text("phoneNumber"),
        "website": Text("website"),
        "address": Compute(_address),
        "active": Compute(lambda raw: not (text(raw.get("blocked")) or "").strip()),  # " ", "Payment" or "All"
    },
)

ASSETS = _record_map(
    "Asset",
    {
        "name": Text("displayName"),
        "code": Text("number"),
        "status": FixedAssetStatus(
            "blocked", {"blocked": "RETIRED", "underMaintenance": "IN_REPAIR", "active": "OPERATIONAL"}
        ),
        "category": Text("classCode"),
        "serialNumber": Text("serialNumber"),
    },
)

PARTS = _record_map(
    "Part",
    {
        "partNumber": Text("number"),
        "name": Text("displayName"),
        "unitOfMeasure": Text("baseUnitOfMeasureCode"),
        "unitCost": Decimal("unitCost"),
        "quantityOnHand": Decimal("inventory"),
    },
)

LOCATIONS = _record_map(
    "Location",
    {
        "name": Text("displayName"),
        "code": Text("code"),
        "address": Compute(_address),
    },
)

PURCHASE_ORDERS = _record_map(
    "PurchaseOrder",
    {
        "number": Text("number"),
        "vendor": _guid("vendorId"),
        "status": OrderStatus("status", PO_STATUS),
        "orderDate": ODate("orderDate", date_only=True),
        "expectedDate": ODate("requestedReceiptDate", date_only=True),
        "currency": Text("currencyCode"),
        "totalAmount": Decimal("totalAmountExcludingTax"),
        "lines": Each(
            "purchaseOrderLines",
            {
                "lineNumber": "sequence",
                "part": _guid("itemId"),
                "description": Text("description"),
                "quantity": Decimal("quantity"),
                "unitOfMeasure": Text("unitOfMeasureCode"),
                "unitPrice": Decimal("directUnitCost"),
                "amount": Decimal("amountExcludingTax"),
                "receivedQuantity": Decimal("receivedQuantity"),
            },
        ),
    },
    display="number",
)

USERS = _record_map(
    "User",
    {
        "name": Text("displayName"),
        "email": Compute(lambda raw: text(raw.get("email")) or text(raw.get("personalEmail"))),
        "role": Text("jobTitle"),
        "active": Compute(lambda raw: raw.get("status") == "Active"),
    },
)

# -- writes: what the API pages take ------------------------------------------------------------

VENDOR_FIELDS = ("name", "code", "email", "phone", "website")
BLOCKED = {"active": To("blocked", lambda active: " " if active else "All")}
VENDOR_WRITES = Writes(
    create=write_map(BC, VENDORS, VENDOR_FIELDS, ("name",), BLOCKED, dialect=V4),
    update=write_map(BC, VENDORS, VENDOR_FIELDS, extra=BLOCKED, dialect=V4),
)
ASSET_FIELDS = ("name", "code", "category", "serialNumber")
ASSET_WRITES = Writes(
    create=write_map(BC, ASSETS, ASSET_FIELDS, ("name",), dialect=V4),
    update=write_map(BC, ASSETS, ASSET_FIELDS, dialect=V4),
)
PO_LINES = Lines(  # item lines: the line type follows from the item
    "purchaseOrderLines",
    {
        "part": To("itemId"),
        "description": To("description"),
        "quantity": To("quantity", float),
        "unitOfMeasure": To("unitOfMeasureCode"),
        "unitPrice": To("directUnitCost", float),
    },
    required=("part", "quantity"),
)
PO_HEADER = ("vendor", "orderDate", "expectedDate", "currency")
PO_WRITERS = {"vendor": To("vendorId")}
PURCHASE_ORDER_WRITES = Writes(
    create=write_map(BC, PURCHASE_ORDERS, PO_HEADER, ("vendor",), {**PO_WRITERS, "lines": PO_LINES}, dialect=V4),
    update=write_map(BC, PURCHASE_ORDERS, PO_HEADER, extra=PO_WRITERS, dialect=V4),
    delete=True,
)


def _stream(mapping: EntityMap, entity_set: str, select: tuple[str, ...], **options: Any) -> EntitySetStream:
    """A page of API v2.0: keyed by `id`, changed at `lastModifiedDateTime`, ordered by its number."""
    return EntitySetStream(
        mapping,
        "",
        entity_set,
        key="id",
        select=(*select, "lastModifiedDateTime"),
        orderby=(options.pop("orderby", "number"),),
        updated_field="lastModifiedDateTime",
        status_field=options.pop("status_field", None),
        dialect=V4,
        guid_key=True,
        **options,
    )


ADDRESS = ("addressLine1", "addressLine2", "city", "state", "country", "postalCode")
STREAMS = (
    _stream(
        VENDORS,
        "vendors",
        ("number", "displayName", *ADDRESS, "phoneNumber", "email", "website", "currencyCode", "blocked"),
        writes=VENDOR_WRITES,
    ),
    _stream(
        ASSETS,
        "fixedAssets",
        ("number", "displayName", "classCode", "subclassCode", "serialNumber", "blocked", "underMaintenance"),
        status_field="status",
        writes=ASSET_WRITES,
    ),
    _stream(
        PARTS,
        "items",
        ("number", "displayName", "type", "blocked", "baseUnitOfMeasureCode", "unitCost", "unitPrice", "inventory"),
    ),
    _stream(LOCATIONS, "locations", ("code", "displayName", *ADDRESS), orderby="code", status_field="type"),
    _stream(
        PURCHASE_ORDERS,
        "purchaseOrders",
        (
            "number",
            "orderDate",
            "vendorId",
            "vendorNumber",
            "status",
            "fullyReceived",
            "requestedReceiptDate",
            "currencyCode",
            "totalAmountExcludingTax",
        ),
        expand=("purchaseOrderLines",),
        status_field="status",
        writes=PURCHASE_ORDER_WRITES,
    ),
    _stream(USERS, "employees", ("number", "displayName", "jobTitle", "email", "personalEmail", "status")),
)


ENTRY = SystemEntry(
    key="business_central",
    name="Microsoft Dynamics 365 Business Central",
    vendor="Microsoft",
    category="ERP",
    tier=2,
    hostings=(ON_PREMISES, CLOUD),
    credential_fields=(
        CredentialField(
            "companyId",
            "Company id",
            "string",
            help="The company's id (a GUID) from GET /api/v2.0/companies; testing the connection lists them.",
        ),
        CredentialField("tenantId", "Tenant id", "string", required=False, help="Online: the Microsoft Entra tenant."),
        CredentialField(
            "clientId", "Client id", "string", required=False, help="Online: the Entra application's client id."
        ),
        CredentialField("clientSecret", "Client secret", "password", secret=True, required=False),
        CredentialField(
            "username", "User name", "string", required=False, help="On premises: the Business Central user."
        ),
        CredentialField(
            "webServiceAccessKey",
            "Web service access key",
            "password",
            secret=True,
            required=False,
            help="On premises: the user's web service access key (Basic authentication).",
        ),
        CredentialField(
            "tokenUrl",
            "Token endpoint",
            "url",
            required=False,
            help=f"Online, rarely needed: defaults to {AUTHORITY}/<tenant id>/oauth2/v2.0/token.",
        ),
    ),
    capabilities={s.entity: capability(s) for s in STREAMS},
    deletions=(
        "Purchase orders deleted in Business Central are gone and reconciled as deleted; a blocked vendor "
        "reads `active: false` and an inactive employee `active: false`, both without `deletedAt`."
    ),
    auth_guide=(
        "Online: register an application in Microsoft Entra ID with the API permission Dynamics 365 "
        "Business Central → Application permissions → API.ReadWrite.All (admin consent granted), create a "
        "client secret, then add the application on the Microsoft Entra Applications page in Business "
        "Central with permission sets for purchasing and inventory. Enter the tenant id, client id and "
        "secret; the instance URL is https://api.businesscentral.dynamics.com/v2.0/<tenant id>/<environment>. "
        "On premises: give the user a web service access key (user card) and enter the user name and key; "
        "the instance URL is the server's API base, e.g. https://bc.example.com:7048/BC. In both cases the "
        "company id comes from /api/v2.0/companies: test the connection without it to see the list."
    ),
)


class BusinessCentralConnector(ODataConnector):
    """Business Central's API v2.0 pages for one company."""

    entry = ENTRY
    streams = STREAMS
    id_pattern = (GUID, "GUIDs such as f7a5738a-44e3-ea11-bb43-000d3a2feca1")

    def open_client(self) -> EntitySetClient:
        creds = self.config.credentials
        return ODataV4Client(
            self.base_url + API_ROOT,
            system=self.entry.name,
            auth=self.auth(creds),
            prefix=f"companies({quote(creds.get('companyId', '').strip(), safe='-')})",  # never a path of its own
            policy=self.policy,
        )

    def auth(self, creds: dict[str, str]) -> httpx.Auth:
        """OAuth client credentials when a client id is given, else Basic with the access key: on premises
        only, since Business Central online no longer takes access keys."""
        if not creds.get("clientId") and self.config.hosting == CLOUD:
            raise BadUserInput("Business Central online needs tenantId, clientId and clientSecret", field="clientId")
        if creds.get("clientId"):
            tenant = creds.get("tenantId", "").strip()
            if not tenant and not creds.get("tokenUrl"):
                raise BadUserInput("online login needs the tenant id", field="tenantId")
            token_url = creds.get("tokenUrl") or f"{AUTHORITY}/{tenant}/oauth2/v2.0/token"
            return ClientCredentials(
                token_url, creds["clientId"], creds.get("clientSecret", ""), SCOPE, system=self.entry.name
            )
        return httpx.BasicAuth(creds.get("username", ""), creds.get("webServiceAccessKey", ""))

    async def check(self) -> None:
        """The company must be one of the environment's (`/companies`); if not, the error lists them."""
        assert isinstance(self.odata, ODataV4Client)
        body = await self.odata.get_json("companies", Query(select=("id", "name")).params())
        companies = {str(c.get("id")): str(c.get("name")) for c in body.get("value", []) if isinstance(c, dict)}
        wanted = self.config.credentials.get("companyId", "").strip().lower()
        if wanted not in {c.lower() for c in companies}:
            listed = "; ".join(f"{name} ({cid})" for cid, name in companies.items()) or "none"
            raise BadUserInput(f"companyId must be one of this environment's companies: {listed}", field="companyId")

    async def discover_fields(self, entity: str) -> list[Any]:
        """API v2.0 pages are fixed; fields that extensions add come as API pages of their own."""
        return []

    async def discover_objects(self) -> list[Any]:
        return []


CONNECTOR = BusinessCentralConnector

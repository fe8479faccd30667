"""Oracle Fusion Cloud Maintenance and Procurement (Tier 3 ERP, cloud): the Fusion REST API.

Declarations on the REST kit. Every resource lives under
`/fscmRestApi/resources/11.13.18.05/<resource>`: maintenance work orders, installed base assets,
maintenance work requests, items (`itemsV2`), suppliers and purchase orders (their `lines` child
expanded). A list is `{"items": [...], "count", "hasMore", "limit", "offset"}`, paged by `offset` and
`limit` (at most 500); `onlyData=true` leaves out the links. Filters go in `q` as RowMatch
expressions (REST framework version 2 and later, asked for with the `REST-Framework-Version` header):
a change time `LastUpdateDate > '…'`, statuses and a fetch of many ids `… IN (…)`, so a nested query
reads each related resource once. `totalCount` is one `totalResults=true` call with the same `q`. Ids
are integers. Login: HTTP Basic with a Fusion user, or OAuth 2.0 client credentials of an application in
the identity domain linked to Fusion (a bearer token). Work orders are created and changed, work
requests created; `remoteVersion` is the record's `LastUpdateDate`, and a change with `ifMatch` is sent
with the record's ETag as `If-Match`. Custom-field candidates come from each resource's `/describe`
(`describe.py`), a work order's descriptive flexfield segments included: work orders are read with
their `WorkOrderDFF` child expanded. docs/vendors/oracle_fusion.md has the facts and their sources.
"""

from __future__ import annotations

import base64
import re
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from schema.errors import BadUserInput, Conflict, NotFound, SystemRejected, SystemUnreachable
from schema.model import CustomField
from schema.record import Record

from ..base import ConnectionConfig, Filterable, FilterPlan, ListQuery
from ..catalog import CLOUD, Capability, CredentialField, SystemEntry
from ..discovery import FieldCandidate, coerce
from ..http import HttpPolicy, decode_json
from ..mapping import Compute, Date, Each, EntityMap, Enum, Ids, Number, Product, SumOfProducts, dig
from ..oauth import ClientCredentials
from ..rest import OffsetPaging, RestConnector, Stream, record_path
from ..writes import To, WriteMap
from .describe import candidates, child, described, first_row
from .query import after, among, conjunction, equals

API = "/fscmRestApi/resources/11.13.18.05"
FRAMEWORK = "4"  # RowMatch `q` (2+), expanded children as collections (3+), JSON error bodies (4+)
MAX_LIMIT = 500
READ = Capability(read=True, incremental=True)
# Descriptive flexfields: the child each entity's rows carry expanded (so the replica holds it too).
FLEXFIELDS = {"WorkOrder": "WorkOrderDFF"}
ATTRIBUTE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")  # a bare attribute name, safe in a `q` expression

ENTRY = SystemEntry(
    key="oracle_fusion",
    name="Oracle Fusion Cloud Maintenance and Procurement",
    vendor="Oracle",
    category="ERP",
    tier=3,
    hostings=(CLOUD,),
    default_base_url=None,
    credential_fields=(
        CredentialField(
            "username", "User name", "string", required=False, help="Basic login: a Fusion user with the roles."
        ),
        CredentialField("password", "Password", "password", secret=True, required=False),
        CredentialField(
            "clientId",
            "Client id",
            "string",
            required=False,
            help="OAuth instead of Basic: a confidential application of the identity domain linked to Fusion.",
        ),
        CredentialField("clientSecret", "Client secret", "password", secret=True, required=False),
        CredentialField(
            "tokenUrl",
            "Token endpoint",
            "url",
            required=False,
            help="OAuth: the identity domain's token endpoint, https://<domain>/oauth2/v1/token.",
        ),
        CredentialField(
            "scope", "Scope", "string", required=False, help="OAuth: the Fusion Applications scope the application has."
        ),
    ),
    auth_guide=(
        "Create (or pick) an Oracle Fusion Cloud user for the integration and give it job roles that can view "
        "maintenance work orders, assets and work requests and procurement's suppliers, items and purchase orders "
        "(and create work orders, for writes). Basic: enter its user name and password. OAuth: in the identity "
        "domain linked to Fusion, add a confidential application with the client credentials grant and the "
        "Fusion Applications Cloud Service scope, activate it, and enter its client id and secret, the domain's "
        "token endpoint (https://<domain>/oauth2/v1/token) and the scope. The instance URL is the Fusion host, "
        "e.g. https://servername.fa.us2.oraclecloud.com (the REST paths are added here)."
    ),
    deletions=(
        "Records deleted in Oracle Fusion are gone: the replica's reconciliation pass marks them `deletedAt`; "
        "cancelled work orders and purchase orders read `status: CANCELLED`."
    ),
    capabilities={
        "WorkOrder": Capability(read=True, incremental=True, create=True, update=True),
        "MaintenanceRequest": Capability(read=True, incremental=True, create=True),
        "Asset": READ,
        "Part": READ,
        "Vendor": READ,
        "PurchaseOrder": READ,
    },
)


def _ref(attribute: str) -> Ids:
    """A relation held as an integer id, as the unified model's text id (null stays null)."""
    return Ids(attribute, first=True)


# remoteVersion: the change time as Fusion writes it (milliseconds), compared with `ifMatch` before a write
# (the write itself carries the ETag read with it, so a change in between is Fusion's 412).
CHANGED: dict[str, Any] = {
    "created_at": Date("CreationDate"),
    "updated_at": Date("LastUpdateDate"),
    "version": Compute(lambda r: r.get("LastUpdateDate")),
}
WORK_ORDER_STATUS = Enum(
    "WorkOrderStatusCode",
    {
        "ORA_UNRELEASED": "OPEN",
        "ORA_RELEASED": "IN_PROGRESS",
        "ORA_ON_HOLD": "ON_HOLD",
        "ORA_COMPLETED": "COMPLETED",
        "ORA_CLOSED": "COMPLETED",
        "ORA_CANCELED": "CANCELLED",
    },
)
# WorkOrderPriority is a number, 1 the most urgent (unverified scale).
PRIORITY = Enum("WorkOrderPriority", {1: "URGENT", 2: "HIGH", 3: "MEDIUM", 4: "LOW", 5: "NONE"})
WORK_ORDER_TYPE = Enum(
    "WorkOrderTypeCode", {"ORA_CORRECTIVE": "CORRECTIVE", "ORA_PREVENTIVE": "PREVENTIVE"}, default="OTHER"
)

WORK_ORDERS = EntityMap(
    "WorkOrder",
    remote_id="WorkOrderId",
    display="WorkOrderNumber",
    fields={
        "number": "WorkOrderNumber",
        "title": "WorkOrderDescription",
        "description": "WorkOrderLongDescription",
        "status": WORK_ORDER_STATUS,
        "priority": PRIORITY,
        "type": WORK_ORDER_TYPE,
        "typeRaw": "WorkOrderTypeCode",
        "asset": _ref("AssetId"),
        "dueDate": Date("PlannedCompletionDate"),
        "completedAt": Date("ActualCompletionDate"),
    },
    **CHANGED,
)
REQUESTS = EntityMap(
    "MaintenanceRequest",
    remote_id="WorkRequestId",
    display="WorkRequestNumber",
    fields={
        "title": "WorkRequestName",
        "description": "Description",
        "status": Enum(
            "WorkRequestStatusCode",
            {"ORA_OPEN": "OPEN", "ORA_APPROVED": "APPROVED", "ORA_REJECTED": "REJECTED", "ORA_CLOSED": "CLOSED"},
        ),
        "asset": _ref("AssetId"),
        "workOrder": _ref("WorkOrderId"),
    },
    **CHANGED,
)
ASSETS = EntityMap(
    "Asset",
    remote_id="AssetId",
    display="AssetNumber",
    fields={
        "name": "Description",
        "code": "AssetNumber",
        "status": Enum(
            "OperatingStatusCode",
            {"ORA_IN_SERVICE": "OPERATIONAL", "ORA_OUT_OF_SERVICE": "DOWN", "ORA_RETIRED": "RETIRED"},
            default="UNKNOWN",
        ),
        "category": "ItemNumber",
        "serialNumber": "SerialNumber",
        "parent": _ref("ParentAssetId"),
    },
    **CHANGED,
)
PARTS = EntityMap(
    "Part",
    remote_id="ItemId",
    display="ItemNumber",
    fields={
        "partNumber": "ItemNumber",
        "name": "ItemDescription",
        "description": "LongDescription",
        "unitOfMeasure": "PrimaryUOMValue",
    },
    **CHANGED,
)
VENDORS = EntityMap(
    "Vendor",
    remote_id="SupplierId",
    display="Supplier",
    fields={
        "name": "Supplier",
        "code": "SupplierNumber",
        "active": Compute(lambda r: None if r.get("Status") is None else r["Status"] == "ACTIVE"),
    },
    **CHANGED,
)
PO_STATUS = {
    "INCOMPLETE": "DRAFT",
    "PENDING APPROVAL": "SUBMITTED",
    "OPEN": "APPROVED",
    "CLOSED FOR RECEIVING": "RECEIVED",
    "CLOSED": "CLOSED",
    "FINALLY CLOSED": "CLOSED",
    "CANCELED": "CANCELLED",
}
PURCHASE_ORDERS = EntityMap(
    "PurchaseOrder",
    remote_id="POHeaderId",
    display="OrderNumber",
    fields={
        "number": "OrderNumber",
        "vendor": _ref("SupplierId"),
        "status": Enum("StatusCode", PO_STATUS),
        "orderDate": Date("CreationDate"),
        "currency": "CurrencyCode",
        "totalAmount": SumOfProducts("lines.items", "Quantity", "Price"),
        "lines": Each(
            "lines.items",
            number="LineNumber",
            fields={
                "part": _ref("ItemId"),
                "description": "Description",
                "quantity": Number("Quantity"),
                "unitPrice": Number("Price"),
                "amount": Product("Quantity", "Price"),
            },
        ),
    },
    **CHANGED,
)

WORK_ORDER_WRITES = WriteMap.inverse(
    "Oracle Fusion",
    WORK_ORDERS,
    ("title", "description", "status", "priority", "type", "dueDate"),
    ("title", "asset"),
    {"asset": To("AssetId", int)},
)
REQUEST_WRITES = WriteMap.inverse(
    "Oracle Fusion", REQUESTS, ("title", "description"), ("title",), {"asset": To("AssetId", int)}
)


def _stream(mapping: EntityMap, path: str, key: str, **kwargs: Any) -> Stream:
    """A Fusion resource: filtered by change and creation time in `q`, many ids fetched with `key IN (…)`,
    always read with `onlyData=true`."""
    params = {"onlyData": "true", **kwargs.pop("params", {})}
    return Stream(
        mapping,
        path,
        updated_param="LastUpdateDate",
        created_param="CreationDate",
        ids_param=key,
        params=params,
        **kwargs,
    )


class OracleFusionConnector(RestConnector):
    entry = ENTRY
    api_prefix = API
    list_key, item_key = "items", None  # a list's rows are its `items`; one record is the bare object
    paging = OffsetPaging(more_key="hasMore")
    max_page_size = MAX_LIMIT
    live_paging = "keyset"  # within OffsetPaging's overlap, as for every offset-paged REST system
    id_pattern = (r"[0-9]{1,18}", "whole numbers")
    streams = (
        _stream(
            WORK_ORDERS,
            "/maintenanceWorkOrders",
            "WorkOrderId",
            status_param="WorkOrderStatusCode",
            writes=WORK_ORDER_WRITES,
            params={"expand": FLEXFIELDS["WorkOrder"]},
        ),
        _stream(ASSETS, "/installedBaseAssets", "AssetId", status_field=None),
        _stream(
            REQUESTS,
            "/maintenanceWorkRequests",
            "WorkRequestId",
            status_param="WorkRequestStatusCode",
            writes=REQUEST_WRITES,
        ),
        _stream(PARTS, "/itemsV2", "ItemId", status_field=None),
        _stream(VENDORS, "/suppliers", "SupplierId", status_field=None),
        _stream(
            PURCHASE_ORDERS,
            "/purchaseOrders",
            "POHeaderId",
            status_param="StatusCode",
            params={"expand": "lines"},
        ),
    )

    def __init__(self, config: ConnectionConfig, policy: HttpPolicy | None = None) -> None:
        super().__init__(config, policy)
        creds = config.credentials
        if not creds.get("clientId"):
            for name in ("username", "password"):
                if not str(creds.get(name) or "").strip():
                    raise BadUserInput(f"Oracle Fusion needs a {name} (Basic login) or a clientId (OAuth)", field=name)
        else:  # OAuth: every call (and passthrough) carries the application's bearer token
            if not creds.get("tokenUrl"):
                raise BadUserInput("OAuth login needs the identity domain's token endpoint", field="tokenUrl")
            self.http.client.auth = ClientCredentials(
                str(creds["tokenUrl"]),
                str(creds["clientId"]),
                str(creds.get("clientSecret") or ""),
                str(creds.get("scope") or ""),
                system=self.entry.name,
            )

    async def auth_headers(self) -> dict[str, str]:
        """Basic with the user, unless the OAuth flow set on the client sends a bearer token."""
        headers = {"REST-Framework-Version": FRAMEWORK}
        if self.http.client.auth is not None:
            return headers
        creds = self.config.credentials
        pair = base64.b64encode(f"{creds['username']}:{creds['password']}".encode()).decode()
        return {"Authorization": f"Basic {pair}", **headers}

    def error_message(self, response: Any) -> str:
        """Framework 4's `{"title", "o:errorDetails": [{"detail"}]}`, else the generic reading."""
        try:
            body = response.json()
        except ValueError:
            body = None
        details = body.get("o:errorDetails") if isinstance(body, dict) else None
        texts = [d["detail"] for d in details or [] if isinstance(d, dict) and isinstance(d.get("detail"), str)]
        return "; ".join(texts) if texts else super().error_message(response)

    def format_time(self, value: datetime) -> Any:
        moment = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return moment.isoformat(timespec="milliseconds")

    def filter_params(self, stream: Stream, plan: FilterPlan) -> dict[str, Any]:
        return {**stream.params, **self.q_param(stream, plan)}

    def filterable(self, stream: Stream) -> Filterable:
        """The kit's filters, and custom fields read from a top-level attribute (`Attr = value` in `q`)."""
        return replace(super().filterable(stream), custom=_pushable)

    def q_param(self, stream: Stream, plan: FilterPlan) -> dict[str, str]:
        """The pushed filters as one `q` expression (the kit names each filter's attribute); {} without one."""
        pushed, terms = plan.pushed, []
        if pushed.updated_after and stream.updated_param:
            terms.append(after(stream.updated_param, self.format_time(pushed.updated_after)))
        if pushed.created_after and stream.created_param:
            terms.append(after(stream.created_param, self.format_time(pushed.created_after)))
        if pushed.statuses is not None and stream.status_param:
            terms.append(among(stream.status_param, plan.raw_statuses))
        terms += [equals(custom.remote_path, value) for custom, value in pushed.custom]
        q = conjunction(terms)
        return {"q": q} if q else {}

    async def count(self, entity: str, query: ListQuery) -> int | None:
        """`totalResults` of one `totalResults=true` call with the listing's `q` (asked only when a client
        selects `totalCount`); a one-row page of the key alone, so the count costs no record transfer.
        None where part of the filter is applied here."""
        stream = self.stream(entity)
        plan = self.filter_plan(stream, query)
        if plan is None:
            return 0
        if not plan.exact:
            return None
        params = {"onlyData": "true", "totalResults": "true", "limit": 1, "fields": stream.ids_param}
        body = await self.call("GET", stream.path, params={**params, **self.q_param(stream, plan)})
        total = body.get("totalResults") if isinstance(body, dict) else None
        if not isinstance(total, int) or isinstance(total, bool):
            raise SystemRejected(f"{self.entry.name} sent no totalResults for {stream.path}")
        return total

    async def fetch_many(self, entity: str, remote_ids: list[str]) -> list[Record]:
        """`q=<key> IN (…)`: one call per 500 distinct ids (the largest page); ids that are not whole
        numbers cannot exist."""
        stream = self.stream(entity)
        wanted = [int(i) for i in dict.fromkeys(remote_ids) if i.isascii() and i.isdigit() and len(i) <= 18]
        found: list[Record] = []
        for start in range(0, len(wanted), MAX_LIMIT):
            chunk = wanted[start : start + MAX_LIMIT]
            params = {**stream.params, "q": among(str(stream.ids_param), chunk), "limit": len(chunk)}
            body = await self.call("GET", stream.path, params=params)
            found += [stream.mapping.map(row) for row in self.envelope(stream).rows(body) or []]
        return found

    async def write_guard(self, entity: str, remote_id: str, if_match: str | None) -> dict[str, str]:
        """With `ifMatch`, the record is read first (a `GET` of one item answers its ETag), its
        `LastUpdateDate` compared with `ifMatch`, and the write sent with `If-Match: <ETag>`: a change
        between that read and the write is Fusion's 412 (`_on_record`), a CONFLICT too."""
        if if_match is None:
            return {}
        self.check_id(entity, remote_id)
        stream = self.stream(entity)
        current, tag = await self._tagged(stream, remote_id, record_path(stream.path, remote_id))
        if current.values.get("remoteVersion") != if_match:
            raise self._conflict(entity, remote_id, f"version {if_match}", current.values.get("remoteVersion"))
        return {"If-Match": tag} if tag else {}

    async def _on_record(self, operation: str, entity: str, remote_id: str, method: str, **kwargs: Any) -> Any:
        """A call on one record; Fusion's 412 (the `If-Match` sent no longer names it) is a CONFLICT
        naming the version it has now."""
        try:
            return await super()._on_record(operation, entity, remote_id, method, **kwargs)
        except SystemRejected as exc:
            if exc.extensions.get("status") != 412:
                raise
            moved = await self.fetch_many(entity, [remote_id])
            now = moved[0].values.get("remoteVersion") if moved else None
            raise self._conflict(entity, remote_id, "it was read for this write", now) from None

    async def _tagged(self, stream: Stream, remote_id: str, path: str) -> tuple[Record, str | None]:
        """One record as Fusion has it now, and its ETag (None where the answer carries none)."""
        try:
            params = {"onlyData": "true"}
            response = await self.http.request("GET", path, params=params, headers=await self.auth_headers())
        except SystemRejected as exc:
            if exc.extensions.get("status") == 404:
                raise NotFound(f"{self.entry.name} has no {stream.entity} {remote_id}") from None
            raise
        try:
            row = decode_json(response)
        except ValueError:
            raise SystemUnreachable(f"{self.entry.name} sent a response that is not valid JSON") from None
        return self._mapped(stream, row), response.headers.get("etag")

    def _conflict(self, entity: str, remote_id: str, since: str, current: Any) -> Conflict:
        return Conflict(
            f"{entity} {remote_id} changed in {self.entry.name} since {since}; read it again", current_version=current
        )

    async def check(self) -> None:
        await self.call("GET", self.streams[0].path, params={"onlyData": "true", "limit": 1})

    # -- customization --------------------------------------------------------

    async def discover_fields(self, entity: str) -> list[FieldCandidate]:
        """The resource's `/describe`: attributes the mapping does not read, and its flexfield's segments."""
        stream = self.stream(entity)
        body = await self.call("GET", f"{stream.path}/describe")
        resource = described(body, stream.path.strip("/"), self.entry.name)
        mapped = set(stream.mapping.paths())
        found = candidates(entity, resource, mapped, writable=stream.writes is not None)
        if flexfield := FLEXFIELDS.get(entity):
            found += candidates(entity, child(resource, flexfield), mapped, writable=False, under=flexfield)
        return found

    def custom_value(self, raw: Any, custom: CustomField) -> Any:
        """A flexfield segment (`WorkOrderDFF.plantArea`) from the expanded child's one row."""
        head, _, rest = custom.remote_path.partition(".")
        if rest and head in FLEXFIELDS.values():
            return coerce(dig(first_row(dig(raw, head)), rest), custom.type)
        return super().custom_value(raw, custom)

    async def create(self, *args: Any, **kwargs: Any) -> Record:
        return await self._with_flexfield(await super().create(*args, **kwargs))

    async def update(self, *args: Any, **kwargs: Any) -> Record:
        return await self._with_flexfield(await super().update(*args, **kwargs))

    async def _with_flexfield(self, record: Record) -> Record:
        """A write's answer carries no expanded child: where the connection reads a flexfield segment of
        the entity, the written record is read again (one `q` call) so the answer has it."""
        flexfield = FLEXFIELDS.get(record.entity)
        declared = self.config.extension.fields_for(record.entity)
        if flexfield is None or not any(f.remote_path.startswith(f"{flexfield}.") for f in declared):
            return record
        again = self.with_custom_values(await self.fetch_many(record.entity, [record.remote_id]))
        return again[0] if again else record


def _pushable(custom: CustomField, value: Any) -> bool:
    """Whether `q` can test a custom field: a queryable top-level attribute compared with text or a number."""
    plain = isinstance(value, (str, int, float)) and not isinstance(value, bool)
    return custom.filterable and plain and ATTRIBUTE.match(custom.remote_path) is not None


CONNECTOR = OracleFusionConnector

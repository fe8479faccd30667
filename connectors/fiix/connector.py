"""Fiix CMMS (Tier 1, cloud, Rockwell Automation): signed RPC over HTTPS (docs/vendors/fiix.md).

Declarations per class on top of `ModelRpcConnector`: a `FindRequest` per page with
the filters as one `ql` filter, keyset paging (`id > ?`, ordered by id), counts from
`totalObjects`, fetch-many as one `FindRequest` by `id IN (...)` (several in one
`BatchRequest` past the page cap), writes as `AddRequest` / `ChangeRequest` /
`RemoveRequest`. Locations, equipment and parts are all Fiix `Asset`s, told apart by
their category's system code. Only work orders and scheduled maintenance carry a
modification time, so only they are read incrementally and versioned; status,
priority and maintenance type are Fiix records whose ids here are a new tenant's
defaults (unverified: a tenant's own ids read as null, their raw id kept).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from schema.errors import BadUserInput, SystemRejected
from schema.record import Record

from ..batching import chunks
from ..catalog import CLOUD, Capability, CredentialField, SystemEntry
from ..http import UpstreamClient
from ..jsonrpc import Domain, Model, ModelRpcConnector, Ref
from ..mapping import Compute, Date, EntityMap, Enum, Ids, Join, Number
from ..passthrough import RawRequest, RawResponse, exchange
from ..writes import CREATE, UPDATE, To, WriteMap
from . import rpc

LOCATIONS_CODE, EQUIPMENT_CODE, PARTS_CODE = 1, 2, 4  # AssetCategory.intSysCode (4 unverified)
READ = Capability(read=True)
WRITE = Capability(read=True, create=True, update=True, delete=True)

ENTRY = SystemEntry(
    key="fiix",
    name="Fiix",
    vendor="Rockwell Automation",
    category="CMMS",
    tier=1,
    hostings=(CLOUD,),
    credential_fields=(
        CredentialField("app_key", "Application key", help="Starts with macmmsackp."),
        CredentialField("access_key", "Access key", help="Starts with macmmsaakp."),
        CredentialField("secret_key", "Secret key", "password", secret=True),
    ),
    auth_guide=(
        "Give your tenant's address (https://<tenant>.macmms.com) as the instance URL. A Fiix administrator "
        "registers an API application under Settings > Connect Management > MA Connect API Application Settings "
        "(New Api Application) and is shown its application key, access key and secret key; the secret cannot "
        "be read again later. The API is offered on Fiix's Enterprise plan."
    ),
    capabilities={
        "WorkOrder": Capability(read=True, incremental=True, create=True, update=True, delete=True),
        "Asset": WRITE,
        "Location": READ,
        "Part": READ,
        "Vendor": WRITE,
        "User": READ,
        "MaintenanceSchedule": Capability(read=True, incremental=True),
    },
    deletions="Fiix removes deleted records: the replica's reconciliation pass marks them `deletedAt`.",
)


WORK_ORDERS = EntityMap(
    "WorkOrder",
    remote_id="id",
    display=Join(("strCode", "strDescription")),
    fields={
        "number": "strCode",
        "title": "strDescription",
        "status": Enum(
            "intWorkOrderStatusID",
            {3: "OPEN", 1: "OPEN", 2: "OPEN", 4: "IN_PROGRESS", 5: "ON_HOLD", 6: "COMPLETED", 7: "CANCELLED"},
        ),
        "priority": Enum("intPriorityID", {1: "URGENT", 2: "HIGH", 3: "MEDIUM", 4: "LOW", 5: "NONE"}),
        "type": Enum(
            "intMaintenanceTypeID", {1: "CORRECTIVE", 2: "PREVENTIVE", 3: "INSPECTION", 4: "EMERGENCY"}, "OTHER"
        ),
        "asset": Ids("strAssetIds", first=True),
        "location": Ref("intSiteID"),
        "assignees": Ids("strAssignedUserIds"),
        "requestedBy": Ref("intRequestedByUserID"),
        "dueDate": Date("dtmSuggestedCompletionDate", "epoch_ms"),
        "completedAt": Date("dtmDateCompleted", "epoch_ms"),
    },
    created_at=Date("dtmDateCreated", "epoch_ms"),
    updated_at=Date("dtmDateLastModified", "epoch_ms"),
)
ASSETS = EntityMap(
    "Asset",
    remote_id="id",
    display="strName",
    fields={
        "name": "strName",
        "code": "strCode",
        "description": "strDescription",
        "status": Enum("bolIsOnline", {1: "OPERATIONAL", 0: "DOWN"}, "UNKNOWN"),
        "manufacturer": "strMake",
        "model": "strModel",
        "serialNumber": "strSerialNumber",
        "location": Ref("intAssetLocationID"),
        "parent": Ref("intAssetParentID"),
    },
)
LOCATIONS = EntityMap(
    "Location",
    remote_id="id",
    display="strName",
    fields={
        "name": "strName",
        "code": "strCode",
        "type": Enum("bolIsSite", {1: "SITE", 0: "AREA"}),
        "address": "strAddress",
        "parent": Ref("intAssetLocationID"),
    },
)
PARTS = EntityMap(
    "Part",
    remote_id="id",
    display="strName",
    fields={
        "partNumber": "strCode",
        "name": "strName",
        "description": "strDescription",
        "unitCost": Number("dblLastPrice"),
        "quantityOnHand": Number("qtyStockCount"),
        "minimumQuantity": Number("qtyMinStockCount"),
        "vendors": Ids("strVendorIds"),
    },
)
VENDORS = EntityMap(
    "Vendor",
    remote_id="id",
    display="strName",
    fields={
        "name": "strName",
        "code": "strCode",
        "email": "strPrimaryEmail",
        "phone": "strPhone",
        "address": "strAddress",
    },
)
USERS = EntityMap(
    "User",
    remote_id="id",
    display=Compute(lambda r: r.get("strFullName") or r.get("strUserName")),
    fields={"name": "strFullName", "email": "strEmailAddress", "role": "strUserTitle"},
)
SCHEDULES = EntityMap(
    "MaintenanceSchedule",
    remote_id="id",
    display=Compute(lambda r: r.get("strDescription") or r.get("strCode")),
    fields={"name": "strDescription", "location": Ref("intSiteID")},
    created_at=Date("dtmCreateDate", "epoch_ms"),
    updated_at=Date("dtmUpdatedDate", "epoch_ms"),
)


def _writes(read: EntityMap, names: tuple[str, ...], required: tuple[str, ...], **extra: Any) -> WriteMap:
    return WriteMap.inverse("Fiix", read, names, required, extra)


def _id_writer(path: str) -> To:
    """A relation written as the numeric id Fiix keys records by."""
    return To(path, int)


@dataclass(frozen=True)
class FiixClass(Model):
    """One Fiix class read as one unified entity; `category` picks an `Asset` kind by system code."""

    category: int | None = None


def _asset_kind(mapping: EntityMap, code: int, writes: WriteMap | None = None) -> FiixClass:
    """Locations, equipment and parts are `Asset`s of one category system code."""
    return FiixClass(
        mapping,
        "Asset",
        (*mapping.paths(), "intSuperCategorySysCode"),
        domain=(["intSuperCategorySysCode", "=", code],),
        category=code,
        writes=writes,
    )


CLASSES = (
    FiixClass(
        WORK_ORDERS,
        "WorkOrder",
        WORK_ORDERS.paths(),
        status_field="status",
        status_remote="intWorkOrderStatusID",
        writes=_writes(
            WORK_ORDERS,
            ("title", "status", "priority", "type", "dueDate"),
            ("title", "location"),
            location=_id_writer("intSiteID"),
            requestedBy=_id_writer("intRequestedByUserID"),
        ),
    ),
    _asset_kind(
        ASSETS,
        EQUIPMENT_CODE,
        _writes(
            ASSETS,
            ("name", "code", "description", "status", "manufacturer", "model", "serialNumber"),
            ("name",),
            location=_id_writer("intAssetLocationID"),
            parent=_id_writer("intAssetParentID"),
        ),
    ),
    _asset_kind(LOCATIONS, LOCATIONS_CODE),
    _asset_kind(PARTS, PARTS_CODE),
    FiixClass(
        VENDORS,
        "Business",
        VENDORS.paths(),
        writes=_writes(VENDORS, ("name", "code", "email", "phone", "address"), ("name",)),
    ),
    FiixClass(USERS, "User", (*USERS.paths(), "strUserName")),  # display fallbacks read too
    FiixClass(SCHEDULES, "ScheduledMaintenance", (*SCHEDULES.paths(), "strCode")),
)


class FiixConnector(ModelRpcConnector):
    entry = ENTRY
    id_pattern = (r"[0-9]{1,18}", "integers")
    models = CLASSES
    max_page_size = 100  # maxObjects cap (docs/vendors/fiix.md)
    updated_field = created_field = None  # each class's own stamps, where it keeps them

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.http = UpstreamClient(self.base_url, system=self.entry.name, policy=self.policy)
        self._categories: dict[int, int] = {}

    def format_time(self, value: datetime) -> Any:
        return int(value.timestamp() * 1000)

    async def send(self, request: dict[str, Any], idempotent: bool = True) -> dict[str, Any]:
        """One signed call; the URL names the request class as `action`."""
        path, signature = rpc.signed(self.base_url, request["_maCn"], self.config.credentials)
        headers = {"Authorization": signature, "Content-Type": "text/plain"}
        content = json.dumps(request)
        return rpc.checked(await self.http.json("POST", path, content=content, headers=headers, idempotent=idempotent))

    async def passthrough(self, request: RawRequest) -> RawResponse:
        """A raw API call: the caller's request object as the body, signed here like every call (`action` is its
        `_maCn`); throttling (error 1100, sent with HTTP 200) is RATE_LIMITED as elsewhere."""
        if request.query:
            raise BadUserInput("Fiix signs the query itself: send the request object as the body", field="input.query")
        action = rpc.request_class(request.body)
        path, signature = rpc.signed(self.base_url, action, self.config.credentials, path=request.path)

        async def auth() -> dict[str, str]:
            return {"Authorization": signature}

        response = await exchange(self.http, self.base_url + path, request, auth, content_type="text/plain")
        rpc.throttled(rpc.answer_error(response.text))
        return response

    def find(self, model: Model, domain: Domain, offset: int = 0, limit: int | None = None) -> dict[str, Any]:
        request: dict[str, Any] = {"_maCn": "FindRequest", "className": model.model}
        request["fields"] = ", ".join(self.read_fields(model))
        request.update(filters=rpc.ql(domain), orderBy="id", startIndex=offset)
        return request if limit is None else {**request, "maxObjects": limit}

    async def search_read(
        self, model: Model, domain: Domain, offset: int, limit: int | None, context: Mapping[str, Any]
    ) -> list[dict[str, Any]]:
        return _objects(await self.send(self.find(model, domain, offset, limit)))

    async def search_count(self, model: Model, domain: Domain, context: Mapping[str, Any]) -> int | None:
        total = (await self.send(self.find(model, domain, 0, 1))).get("totalObjects")
        return total if isinstance(total, int) else None

    async def fetch_many(self, entity: str, remote_ids: list[str]) -> list[Record]:
        """One `FindRequest` by `id IN (...)`; more ids than a page holds go as one `BatchRequest`."""
        model = self.model(entity)
        ids = sorted({int(i) for i in remote_ids if i.isdigit() and len(i) <= 18})
        finds = [
            self.find(model, [*model.domain, ["id", "in", chunk]], 0, len(chunk))
            for chunk in chunks(ids, self.max_page_size)
        ]
        if len(finds) <= 1:
            rows = _objects(await self.send(finds[0])) if finds else []
        else:
            answer = await self.send({"_maCn": "BatchRequest", "requests": finds})
            rows = [row for one in answer.get("responses") or [] for row in _objects(rpc.checked(one))]
        return await self.records(model, rows)

    # -- writes ---------------------------------------------------------------

    async def category(self, code: int) -> int:
        """The tenant's `AssetCategory` id for a system code (read once)."""
        if code not in self._categories:
            find: dict[str, Any] = {"_maCn": "FindRequest", "className": "AssetCategory", "fields": "id, intSysCode"}
            find["filters"] = rpc.ql([["intSysCode", "=", code]])
            found = _objects(await self.send(find))
            if not found:
                raise SystemRejected(f"Fiix has no asset category with system code {code}")
            self._categories[code] = found[0]["id"]
        return self._categories[code]

    async def write(self, request: dict[str, Any], model: Model) -> Record:
        answer = await self.send(
            {**request, "className": model.model, "fields": ", ".join(self.read_fields(model))}, False
        )
        row = answer.get("object")
        if not isinstance(row, dict):
            raise SystemRejected("Fiix did not return the written record")
        return (await self.records(model, [row]))[0]

    async def create(self, entity: str, values: dict[str, Any], options: Mapping[str, str] | None = None) -> Record:
        model = self.model(entity)
        payload = self.write_payload(CREATE, entity, values)
        if isinstance(model, FiixClass) and model.category is not None:
            payload["intCategoryID"] = await self.category(model.category)
        return await self.write({"_maCn": "AddRequest", "object": payload}, model)

    async def update(
        self,
        entity: str,
        remote_id: str,
        values: dict[str, Any],
        if_match: str | None,
        options: Mapping[str, str] | None = None,
    ) -> Record:
        payload = self.write_payload(UPDATE, entity, values)
        await self.current_version(entity, remote_id, if_match, must_exist=True)
        change = {"changeFields": ", ".join(payload), "object": {**payload, "id": int(remote_id)}}
        return await self.write({"_maCn": "ChangeRequest", **change}, self.model(entity))

    async def delete(self, entity: str, remote_id: str, if_match: str | None) -> None:
        """Fiix checks no version and may not tell a missing id: both are checked here first."""
        await self.current_version(entity, remote_id, if_match, must_exist=True)
        await self.send({"_maCn": "RemoveRequest", "className": self.model(entity).model, "id": int(remote_id)}, False)

    async def aclose(self) -> None:
        await self.http.aclose()


def _objects(answer: dict[str, Any]) -> list[dict[str, Any]]:
    objects = answer.get("objects")
    if not isinstance(objects, list):
        raise SystemRejected("Fiix sent a find response without objects")
    return [o for o in objects if isinstance(o, dict)]


CONNECTOR = FiixConnector

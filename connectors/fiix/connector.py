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
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from schema.errors import BadUserInput, Conflict, NotFound, SystemRejected
from schema.record import Record

from ..base import Filterable, FilterPlan
from ..catalog import CLOUD, Capability, CredentialField, SystemEntry
from ..http import UpstreamClient
from ..jsonrpc import Domain, Model, ModelRpcConnector, Ref
from ..mapping import Compute, Date, EntityMap, Enum, Join, Number, Spec, as_spec, dig
from ..writes import To, WriteMap
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


@dataclass(frozen=True)
class Ids(Spec):
    """Related ids Fiix lists as one comma-separated string (the first only, with `first`)."""

    path: str
    first: bool = False

    def extract(self, raw: Any) -> Any:
        ids = [i.strip() for i in str(dig(raw, self.path) or "").split(",") if i.strip()]
        return (ids[0] if ids else None) if self.first else ids


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


def _path(spec: Any) -> str | None:
    return None if spec is None else getattr(as_spec(spec), "path", None)


def _read(mapping: EntityMap, *extra: str) -> tuple[str, ...]:
    """The fields to ask for: every path the mapping reads, and `extra` ones (display fallbacks, kinds)."""
    paths = [_path(spec) for spec in [*mapping.fields.values(), mapping.created_at, mapping.updated_at]]
    return tuple(dict.fromkeys(["id", *(p for p in paths if p), *extra]))


def _asset_kind(mapping: EntityMap, code: int, writes: WriteMap | None = None) -> FiixClass:
    """Locations, equipment and parts are `Asset`s of one category system code."""
    return FiixClass(
        mapping,
        "Asset",
        _read(mapping, "intSuperCategorySysCode"),
        domain=(["intSuperCategorySysCode", "=", code],),
        category=code,
        writes=writes,
    )


CLASSES = (
    FiixClass(
        WORK_ORDERS,
        "WorkOrder",
        _read(WORK_ORDERS),
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
        _read(VENDORS),
        writes=_writes(VENDORS, ("name", "code", "email", "phone", "address"), ("name",)),
    ),
    FiixClass(USERS, "User", _read(USERS, "strUserName")),
    FiixClass(
        SCHEDULES,
        "ScheduledMaintenance",
        _read(SCHEDULES, "strCode"),
    ),
)


class FiixConnector(ModelRpcConnector):
    entry = ENTRY
    id_pattern = (r"[0-9]{1,18}", "integers")
    models = CLASSES
    max_page_size = 100  # maxObjects cap (docs/vendors/fiix.md)

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

    def filterable(self, model: Model) -> Filterable:
        """A ql filter compares any field; times only where the class keeps them."""
        can, mapping = super().filterable(model), model.mapping
        return replace(
            can, updated_after=bool(_path(mapping.updated_at)), created_after=bool(_path(mapping.created_at))
        )

    def plan_domain(self, model: Model, plan: FilterPlan) -> Domain:
        """Time filters on the class's own stamps, the rest as the kit renders it."""
        pushed, mapping = plan.pushed, model.mapping
        rest = super().plan_domain(model, replace(plan, pushed=replace(pushed, updated_after=None, created_after=None)))
        bounds = ((_path(mapping.updated_at), pushed.updated_after), (_path(mapping.created_at), pushed.created_after))
        return rest + [[name, ">", self.format_time(bound)] for name, bound in bounds if name and bound]

    async def records(self, model: Model, rows: list[dict[str, Any]]) -> list[Record]:
        return self.with_custom_values([model.mapping.map(row) for row in rows])

    async def fetch_many(self, entity: str, remote_ids: list[str]) -> list[Record]:
        """One `FindRequest` by `id IN (...)`; more ids than a page holds go as one `BatchRequest`."""
        model = self.model(entity)
        ids = sorted({int(i) for i in remote_ids if i.isdigit() and len(i) <= 18})
        chunks = [ids[at : at + self.max_page_size] for at in range(0, len(ids), self.max_page_size)]
        finds = [self.find(model, [*model.domain, ["id", "in", chunk]], 0, len(chunk)) for chunk in chunks]
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
        payload = self._payload(model, "create", values)
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
        model = self.model(entity)
        payload = self._payload(model, "update", values)
        record_id = await self._current(entity, remote_id, if_match)
        request = {"_maCn": "ChangeRequest", "changeFields": ", ".join(payload), "object": {**payload, "id": record_id}}
        return await self.write(request, model)

    async def delete(self, entity: str, remote_id: str, if_match: str | None) -> None:
        model = self.model(entity)
        record_id = await self._current(entity, remote_id, if_match)
        await self.send({"_maCn": "RemoveRequest", "className": model.model, "id": record_id}, False)

    def _payload(self, model: Model, operation: str, values: dict[str, Any]) -> dict[str, Any]:
        if model.writes is None:
            raise self._unsupported(operation, model.entity)
        return model.writes.payload(operation, values, self.config.extension.fields_for(model.entity))

    async def _current(self, entity: str, remote_id: str, if_match: str | None) -> int:
        """The record's id, after checking it exists and (with `ifMatch`) that it has not changed."""
        self.check_id(entity, remote_id)
        if if_match is not None and self.model(entity).mapping.updated_at is None:
            raise BadUserInput(f"Fiix keeps no version of {entity} records: leave ifMatch out", field="ifMatch")
        found = await self.fetch_many(entity, [remote_id])
        if not found:
            raise NotFound(f"Fiix has no {entity} {remote_id}")
        current = found[0].values.get("remoteVersion")
        if if_match is not None and current != if_match:
            raise Conflict(
                f"{entity} {remote_id} changed in Fiix since version {if_match}; read it again", current_version=current
            )
        return int(remote_id)

    async def aclose(self) -> None:
        await self.http.aclose()


def _objects(answer: dict[str, Any]) -> list[dict[str, Any]]:
    objects = answer.get("objects")
    if not isinstance(objects, list):
        raise SystemRejected("Fiix sent a find response without objects")
    return [o for o in objects if isinstance(o, dict)]


CONNECTOR = FiixConnector

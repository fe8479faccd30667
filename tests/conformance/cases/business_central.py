"""Microsoft Dynamics 365 Business Central online against its sandbox: OAuth client credentials at the
token endpoint the sandbox serves, one company, API v2.0 pages."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sandboxes.business_central.app import COMPANY_ID, cloud_login, create_app
from sandboxes.kit import SandboxControl, ServerThread
from tests.conformance.case import Ref, Running, SystemCase, Writes

PAGES = {
    "Asset": "fixedAssets",
    "Vendor": "vendors",
    "Part": "items",
    "Location": "locations",
    "PurchaseOrder": "purchaseOrders",
    "User": "employees",
}
NESTED_QUERY = "{ purchaseOrders(first: 100) { nodes { remoteId vendor { remoteId } } } }"


def entity_match(entity: str) -> str:
    """A request that reads the entity's page: in the request line, or in a `$batch` body's URLs."""
    return rf"companies\([^)]*\)/{PAGES[entity]}(?:[/?(\"]|$| )"


@contextmanager
def start() -> Iterator[Running]:
    with ServerThread(create_app()) as server:
        control = SandboxControl(server.url)
        credentials = cloud_login(server.url, COMPANY_ID)
        yield Running(
            instance_url=server.url,
            credentials=credentials,
            bad_credentials={**credentials, "clientSecret": "wrong"},
            control=control,
            touch=lambda entity, ids: control.touch(PAGES[entity], ids),
            entity_match=entity_match,
            remove=lambda entity, ids: control.remove(PAGES[entity], ids),
            removable="PurchaseOrder",
            state=server.app.state.data,
        )


def expected_calls(answer: dict[str, Any], running: Running) -> int:
    """One list call, then one `$batch` with the `or`-filtered reads of every distinct vendor."""
    vendors = {n["vendor"]["remoteId"] for n in answer["purchaseOrders"]["nodes"] if n["vendor"]}
    return 1 + (1 if vendors else 0)


WRITES = Writes(
    create={
        "Asset": {"name": "Conformance compressor", "category": "TANGIBLE", "serialNumber": "SN-C1"},
        "Vendor": {
            "name": "Conformance Supplies",
            "email": "orders@conformance.example.com",
            "phone": "5550199",
            "website": "www.conformance.example.com",
            "active": True,
        },
        "PurchaseOrder": {
            "vendor": Ref("Vendor"),
            "orderDate": "2026-11-15T00:00:00.000Z",
            "expectedDate": "2026-11-29T00:00:00.000Z",
            "currency": "EUR",
            "lines": [{"part": Ref("Part"), "description": "V-belt", "quantity": 4.0, "unitPrice": 12.5}],
        },
    },
    update={
        "Asset": {
            "name": "Conformance compressor (rebuilt)",
            "code": "FACONF2",
            "category": "TANGIBLE",
            "serialNumber": "SN-C2",
        },
        "Vendor": {
            "name": "Conformance Supplies (renamed)",
            "code": "VCONF2",
            "email": "buy@conformance.example.com",
            "phone": "5550100",
            "website": "www.conformance2.example.com",
            "active": False,
        },
        "PurchaseOrder": {
            "vendor": Ref("Vendor", 3),
            "orderDate": "2026-12-20T00:00:00.000Z",
            "expectedDate": "2027-01-05T00:00:00.000Z",
            "currency": "USD",
        },
    },
)

CASE = SystemCase(
    system="business_central",
    hosting="CLOUD",
    start=start,
    nested_query=NESTED_QUERY,
    expected_calls=expected_calls,
    writes=WRITES,
)

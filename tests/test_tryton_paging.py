"""Tryton counting, keyset paging and archived records, against a real trytond of this module's own.

Records are archived and deleted here, so the module serves its own copy of the
seeded database; the expected values come from the same server over its RPC API.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from connectors.base import ConnectionConfig, ListQuery
from connectors.http import HttpPolicy
from connectors.tryton.connector import TrytonConnector
from sandboxes.kit import SandboxControl, ServerThread, fault_proxy
from schema.errors import BadUserInput
from schema.model import CustomField, Extension
from tests.helpers import data, list_all, page_all, remote_ids
from tests.tryton_server import CREDENTIALS, Rpc, TrytonServer

pytestmark = pytest.mark.tryton

ENTITIES = ("Location", "Part", "Vendor", "PurchaseOrder", "User")
STATE = CustomField("PurchaseOrder", "invoiceMethod", "String", "invoice_method", filterable=True)


@pytest.fixture
async def proxied(tryton: TrytonServer) -> AsyncIterator[tuple[TrytonConnector, SandboxControl]]:
    """A connector reaching trytond through a logging proxy, with the proxy's control."""
    with ServerThread(fault_proxy(tryton.url, lambda status, message: {"error": [message, []]})) as proxy:
        config = ConnectionConfig("ON_PREMISES", proxy.url, CREDENTIALS, Extension(custom_fields=(STATE,)))
        connector = TrytonConnector(config, HttpPolicy(connect_timeout=2, read_timeout=10, retries=1, backoff=0.01))
        await connector.check()
        yield connector, SandboxControl(proxy.url)
        await connector.aclose()


@pytest.fixture(scope="module")
def token(sqlite_gateway, tryton: TrytonServer) -> str:
    admin = sqlite_gateway.new_org()
    made = data(
        sqlite_gateway.connect(
            admin, tryton.url, name="Tryton archive", system="tryton", hosting="ON_PREMISES", credentials=CREDENTIALS
        )
    )
    return made["createConnection"]["token"]


# -- counting --------------------------------------------------------------------------------


async def test_count_is_one_search_count_matching_the_listing(proxied):
    connector, control = proxied
    since = datetime.now(UTC) - timedelta(days=1)
    queries = [(entity, ListQuery()) for entity in ENTITIES] + [
        ("PurchaseOrder", ListQuery(statuses=("SUBMITTED", "CANCELLED"))),
        ("PurchaseOrder", ListQuery(custom=((STATE, "order"),))),
        ("Location", ListQuery(statuses=("STORAGE",), updated_after=since)),
        ("Vendor", ListQuery(include_deleted=False)),
    ]
    for entity, query in queries:
        listed = await list_all(connector, entity, query, limit=7)
        assert listed, (entity, query)
        control.clear_requests()
        assert await connector.count(entity, query) == len(listed), (entity, query)
        assert len(control.requests()) == 1, (entity, query)
    assert await connector.count("PurchaseOrder", ListQuery(statuses=())) == 0


# -- keyset paging -----------------------------------------------------------------------------


def test_tryton_declares_keyset_paging():
    assert TrytonConnector.live_paging == "keyset"


async def test_pages_continue_after_the_last_id_with_the_joins_of_each_page(proxied):
    connector, _ = proxied
    for entity in ("PurchaseOrder", "Part"):
        whole = await connector.list_page(entity, ListQuery(), None, 200)
        paged = await list_all(connector, entity, limit=7)
        assert [(r.remote_id, r.values) for r in paged] == [(r.remote_id, r.values) for r in whole.records], entity
    first = await connector.list_page("PurchaseOrder", ListQuery(), None, 7)
    assert first.next_cursor == f"id>{first.records[-1].remote_id}"


async def test_an_offset_cursor_from_before_reads_its_page_then_pages_by_key(proxied):
    connector, _ = proxied
    everything = remote_ids(await list_all(connector, "Vendor"))
    page = await connector.list_page("Vendor", ListQuery(), "10", 5)  # a cursor the offset paging wrote
    assert remote_ids(page.records) == everything[10:15] and page.next_cursor == f"id>{everything[14]}"
    assert remote_ids(await list_all(connector, "Vendor", cursor=page.next_cursor, limit=5)) == everything[15:]
    with pytest.raises(BadUserInput):
        await connector.list_page("Vendor", ListQuery(), "page-3", 5)


def spares(truth: Rpc) -> dict[str, tuple[str, list[int]]]:
    """Eight new records per entity (the last ids), to take away upstream: model and ids."""
    unit = truth("product.uom", "search", [["symbol", "=", "u"]])[0]
    templates = truth(
        "product.template",
        "create",
        [
            {"name": f"Spare item {n}", "type": "goods", "default_uom": unit, "products": [["create", [{}]]]}
            for n in range(8)
        ],
    )
    products = [t["products"][0] for t in truth("product.template", "read", templates, ["products"])]
    return {
        "Location": (
            "stock.location",
            truth("stock.location", "create", [{"name": f"Spare bin {n}", "type": "storage"} for n in range(8)]),
        ),
        "Part": ("product.product", products),
        "Vendor": ("party.party", truth("party.party", "create", [{"name": f"Spare party {n}"} for n in range(8)])),
    }


async def test_records_gone_before_the_cursor_skip_nothing(proxied, truth):
    """Archived Locations and Parts leave the list, deleted parties are gone: none skips a record."""
    connector, _ = proxied
    for entity, (model, made) in spares(truth).items():
        everything = remote_ids(await list_all(connector, entity))
        cut = everything.index(str(made[5])) + 1
        first = await connector.list_page(entity, ListQuery(), None, cut)
        assert remote_ids(first.records) == everything[:cut] and first.next_cursor, entity
        if entity == "Vendor":
            truth(model, "delete", made[2:5])
        else:
            truth(model, "write", made[2:5], {"active": False})
        rest = await list_all(connector, entity, cursor=first.next_cursor, limit=cut)
        assert remote_ids(rest) == everything[cut:], f"{entity}: a record after the cursor was skipped or repeated"


# -- archived records ----------------------------------------------------------------------------


def test_an_archived_party_reads_inactive_and_an_archived_location_leaves_the_list(sqlite_gateway, token, truth):
    party = truth("party.party", "create", [{"name": "Archived Supplies Ltd"}])[0]
    location = truth("stock.location", "create", [{"name": "Old Shelf", "code": "OLD", "type": "storage"}])[0]
    vendors = {n["remoteId"]: n for n in page_all(sqlite_gateway, token, "vendors", "remoteId active deletedAt")}
    assert vendors[str(party)] == {"remoteId": str(party), "active": True, "deletedAt": None}
    assert str(location) in {n["remoteId"] for n in page_all(sqlite_gateway, token, "locations", "remoteId")}

    truth("party.party", "write", [party], {"active": False})
    truth("stock.location", "write", [location], {"active": False})
    vendors = {n["remoteId"]: n for n in page_all(sqlite_gateway, token, "vendors", "remoteId active deletedAt")}
    assert vendors[str(party)] == {"remoteId": str(party), "active": False, "deletedAt": None}  # archived, not deleted
    locations = [n["remoteId"] for n in page_all(sqlite_gateway, token, "locations", "remoteId", first=7)]
    assert str(location) not in locations
    active = truth("stock.location", "search", [], 0, None, [["id", "ASC"]])
    assert locations == [str(i) for i in active]  # Tryton's own listing without archived records

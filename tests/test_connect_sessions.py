"""Connect sessions (magic links), code exchange, token rotation and re-authorization, over real HTTP."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlmodel import Session, select

from gateway.store.connect_tables import ConnectSession
from gateway.store.tables import Connection, CreditLedgerEntry, utcnow
from sandboxes.kit import SandboxControl, ServerThread
from sandboxes.upkeep.app import create_app as create_upkeep_sandbox
from tests.conftest import UPKEEP_LOGIN, Gateway, backend_gateway
from tests.helpers import data, error_code
from tests.test_sync import FAST, wait_until

CREATE_SESSION = """
mutation($input: CreateConnectSessionInput) {
  createConnectSession(input: $input) {
    url
    session { id connectionId status expiresAt redirectUrl system }
    connection { id name status credits metadata system { key } hosting }
  }
}
"""
CONNECTION = (
    "query($id: ID!) { connection(id: $id) { id name status statusReason credits metadata hosting system { key } } }"
)
CREDITS = "{ credits { total used available ledger { connectionId amount reason } } }"
EXCHANGE = "mutation($code: String!) { exchangeConnectCode(code: $code) { token connection { id status } } }"
ROTATE = "mutation($id: ID!) { rotateConnectionToken(id: $id) { token connection { id status } } }"
REAUTH = "mutation($id: ID!, $c: JSON!, $u: String) { reauthorizeConnection(id: $id, credentials: $c, instanceUrl: $u) { id status credits } }"
DISCONNECT = "mutation($id: ID!) { disconnect(id: $id) { id status } }"
TRIGGER = "mutation($id: ID!) { triggerSync(id: $id) { id } }"
WORK_ORDERS = "{ workOrders(first: 2) { nodes { number } } }"
WRONG_LOGIN = {"email": UPKEEP_LOGIN["email"], "password": "not-the-password"}


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def gw(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """A gateway with the scheduler running (syncs, link expiry), on each database."""
    yield from backend_gateway(request, tmp_path_factory, "connect", **FAST)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[ServerThread]:
    with ServerThread(create_upkeep_sandbox()) as server:
        yield server


def new_link(gw: Gateway, admin: str, **preset: Any) -> dict:
    return data(gw.gql(admin, CREATE_SESSION, {"input": preset or None}))["createConnectSession"]


def link_token(link: dict) -> str:
    return link["url"].rsplit("/", 1)[1]


def open_link(gw: Gateway, token: str) -> httpx.Response:
    return httpx.get(f"{gw.url}/connect/api/link", headers={"Authorization": f"Bearer {token}"}, timeout=10)


def complete(
    gw: Gateway, token: str, sandbox: ServerThread, credentials: dict = UPKEEP_LOGIN, **form: Any
) -> httpx.Response:
    body = {
        "system": "upkeep",
        "hosting": "CLOUD",
        "name": "Plant",
        "instanceUrl": sandbox.url,
        "credentials": credentials,
        **form,
    }
    return httpx.post(f"{gw.url}/connect/api/link", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=30)


def stored_credentials(session: Session, connection_id: str) -> str:
    """The connection's credentials as the database keeps them (encrypted)."""
    row = session.get(Connection, connection_id)
    assert row is not None
    return row.credentials_encrypted


def connection(gw: Gateway, admin: str, connection_id: str) -> dict:
    return data(gw.gql(admin, CONNECTION, {"id": connection_id}))["connection"]


def test_a_link_creates_a_pending_connection_that_completes_once(gw: Gateway, sandbox: ServerThread) -> None:
    admin = gw.new_org(credits=5)
    link = new_link(gw, admin, system="upkeep", name="Acme plant", metadata={"customerId": "42"})
    token = link_token(link)
    assert link["url"].startswith(f"{gw.url}/connect/pg_connect_")
    pending = link["connection"]
    assert pending["status"] == "PENDING" and pending["credits"] == 0 and pending["metadata"] == {"customerId": "42"}
    listed = data(gw.gql(admin, "{ connections(status: PENDING) { nodes { id } } }"))["connections"]["nodes"]
    assert listed == [{"id": pending["id"]}]
    assert data(gw.gql(admin, CREDITS))["credits"]["available"] == 5

    opened = open_link(gw, token)
    assert opened.status_code == 200 and opened.headers["cache-control"] == "no-store"
    page = opened.json()
    assert page["state"] == "OPEN" and [s["key"] for s in page["systems"]] == ["upkeep"]
    assert page["preset"] == {"system": "upkeep", "hosting": None, "name": "Acme plant"}
    assert page["systems"][0]["credits"] == {"CLOUD": 1}

    refused = complete(gw, token, sandbox, WRONG_LOGIN)
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "SYSTEM_AUTH_FAILED"
    assert WRONG_LOGIN["password"] not in refused.text
    assert open_link(gw, token).json()["state"] == "OPEN"  # a refused attempt does not use the link up

    done = complete(gw, token, sandbox, name="ignored: the preset name wins")
    assert done.status_code == 200, done.text
    result = done.json()
    assert result["connectionId"] == pending["id"] and result["name"] == "Acme plant"
    assert data(gw.gql(result["token"], WORK_ORDERS))["workOrders"]["nodes"]
    now = connection(gw, admin, pending["id"])
    assert now["status"] == "ACTIVE" and now["credits"] == 1 and now["metadata"] == {"customerId": "42"}
    assert now["system"] == {"key": "upkeep"} and now["hosting"] == "CLOUD"

    again = complete(gw, token, sandbox)
    assert again.status_code == 410 and again.json()["error"]["linkState"] == "USED"
    reopened = open_link(gw, token)
    assert (
        reopened.status_code == 410
        and reopened.json()["state"] == "USED"
        and "already been used" in reopened.json()["message"]
    )
    assert "systems" not in reopened.json()
    credits = data(gw.gql(admin, CREDITS))["credits"]
    assert credits["available"] == 4 and [(e["amount"], e["reason"]) for e in credits["ledger"]] == [(-1, "connect")]
    with gw.services.store.read() as session:
        row = session.exec(select(ConnectSession).where(ConnectSession.connection_id == pending["id"])).one()
    assert row.status == "COMPLETED" and token not in row.token_hash and len(row.token_hash) == 64


def test_concurrent_completions_create_one_connection(gw: Gateway, sandbox: ServerThread) -> None:
    admin = gw.new_org(credits=5)
    token = link_token(new_link(gw, admin))
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: complete(gw, token, sandbox), range(4)))
    assert sorted(a.status_code for a in answers) == [200, 410, 410, 410]
    credits = data(gw.gql(admin, CREDITS))["credits"]
    assert credits["used"] == 1 and len(credits["ledger"]) == 1


def test_the_customer_picks_system_and_name_when_nothing_is_preset(gw: Gateway, sandbox: ServerThread) -> None:
    admin = gw.new_org()
    link = new_link(gw, admin)
    assert link["connection"]["system"] is None and link["connection"]["hosting"] is None
    page = open_link(gw, link_token(link)).json()
    assert {"upkeep", "maintainx", "sap_s4hana"} <= {s["key"] for s in page["systems"]}
    missing_name = complete(gw, link_token(link), sandbox, name="  ")
    assert missing_name.json()["error"] | {"requestId": None} == {
        "code": "BAD_USER_INPUT",
        "message": "name must be 1 to 200 characters",
        "field": "name",
        "requestId": None,
    }
    assert complete(gw, link_token(link), sandbox, name="Line 3").status_code == 200
    assert connection(gw, admin, link["connection"]["id"])["name"] == "Line 3"


def test_unknown_expired_and_cancelled_links_say_so(gw: Gateway, sandbox: ServerThread) -> None:
    admin = gw.new_org()
    assert open_link(gw, "pg_connect_made-up").status_code == 404
    assert httpx.get(f"{gw.url}/connect/api/link", timeout=10).status_code == 401

    expiring = new_link(gw, admin, expiresInMinutes=1)
    with gw.services.store.write() as session:
        row = session.get(ConnectSession, expiring["session"]["id"])
        assert row is not None
        row.expires_at = utcnow() - timedelta(seconds=1)
        session.add(row)
    closed = open_link(gw, link_token(expiring))
    assert closed.status_code == 410 and closed.json()["state"] == "EXPIRED" and "expired" in closed.json()["message"]
    refused = complete(gw, link_token(expiring), sandbox)
    assert refused.status_code == 410 and refused.json()["error"]["linkState"] == "EXPIRED"
    # The scheduler notices too: the pending connection ends, with its reason.
    ended = wait_until(
        lambda: (c := connection(gw, admin, expiring["connection"]["id"]))["status"] == "DISCONNECTED" and c
    )
    assert ended["statusReason"] == "the connect link expired unused" and ended["credits"] == 0

    cancelled = new_link(gw, admin)
    assert (
        data(gw.gql(admin, DISCONNECT, {"id": cancelled["connection"]["id"]}))["disconnect"]["status"] == "DISCONNECTED"
    )
    assert open_link(gw, link_token(cancelled)).json()["state"] == "CANCELLED"
    assert complete(gw, link_token(cancelled), sandbox).status_code == 410
    assert data(gw.gql(admin, CREDITS))["credits"]["ledger"] == []  # a pending connection never held credits
    # Nothing to sync for a pending connection.
    pending = new_link(gw, admin)["connection"]["id"]
    assert error_code(gw.gql(admin, TRIGGER, {"id": pending})) == "BAD_USER_INPUT"


@pytest.mark.parametrize(
    "preset, field",
    [
        ({"system": "nope"}, "system"),
        ({"system": "upkeep", "hosting": "ON_PREMISES"}, "hosting"),
        ({"redirectUrl": "javascript:alert(1)"}, "redirectUrl"),
        ({"expiresInMinutes": 0}, "expiresInMinutes"),
        ({"name": ""}, "name"),
        ({"metadata": {"n": 1}}, "metadata"),
    ],
)
def test_bad_presets_are_refused(gw: Gateway, preset: dict, field: str) -> None:
    admin = gw.new_org()
    result = gw.gql(admin, CREATE_SESSION, {"input": preset})
    assert error_code(result) == "BAD_USER_INPUT" and result["errors"][0]["extensions"]["field"] == field
    assert data(gw.gql(admin, "{ connections { totalCount } }"))["connections"]["totalCount"] == 0


def test_failures_name_their_cause_and_keep_the_link_open(gw: Gateway, sandbox: ServerThread) -> None:
    poor = gw.new_org(credits=0)
    token = link_token(new_link(gw, poor))
    no_credits = complete(gw, token, sandbox).json()["error"]
    assert no_credits["code"] == "INSUFFICIENT_CREDITS" and (no_credits["needed"], no_credits["available"]) == (1, 0)
    assert open_link(gw, token).json()["state"] == "OPEN"
    admin = gw.new_org()
    token = link_token(new_link(gw, admin))
    assert (
        complete(gw, token, sandbox, instanceUrl="http://127.0.0.1:9").json()["error"]["code"] == "SYSTEM_UNREACHABLE"
    )
    assert complete(gw, token, sandbox, instanceUrl="ftp://x").json()["error"]["field"] == "instanceUrl"
    assert open_link(gw, token).json()["state"] == "OPEN"


def test_a_link_cannot_be_used_to_guess_passwords(gw: Gateway, sandbox: ServerThread) -> None:
    """Completions per link are capped (10 an hour by default): the 11th try never reaches the system."""
    admin = gw.new_org()
    token, other = link_token(new_link(gw, admin)), link_token(new_link(gw, admin))
    control = SandboxControl(sandbox.url)
    for _ in range(10):
        assert complete(gw, token, sandbox, WRONG_LOGIN).json()["error"]["code"] == "SYSTEM_AUTH_FAILED"
    control.clear_requests()
    capped = complete(gw, token, sandbox)
    assert capped.status_code == 429 and int(capped.headers["Retry-After"]) >= 1
    assert capped.json()["error"]["code"] == "RATE_LIMITED" and capped.json()["error"]["retryAfter"] >= 1
    assert control.requests() == [] and open_link(gw, token).json()["state"] == "OPEN"
    assert complete(gw, other, sandbox).status_code == 200  # another link has its own count


def test_a_redirecting_link_hands_over_a_code_exchanged_once(gw: Gateway, sandbox: ServerThread) -> None:
    admin, stranger = gw.new_org(), gw.new_org()
    link = new_link(gw, admin, redirectUrl="https://app.example/connected?state=abc&code=stale")
    done = complete(gw, link_token(link), sandbox).json()
    assert "token" not in done
    target = urlsplit(done["redirectTo"])
    query = parse_qs(target.query)
    assert (target.netloc, target.path, query["state"]) == ("app.example", "/connected", ["abc"])
    code = query["code"][0]
    assert code.startswith("pg_code_") and UPKEEP_LOGIN["password"] not in done["redirectTo"]

    assert error_code(gw.gql(admin, EXCHANGE, {"code": "pg_code_wrong"})) == "BAD_USER_INPUT"
    assert error_code(gw.gql(stranger, EXCHANGE, {"code": code})) == "BAD_USER_INPUT"  # another organization's code
    exchanged = data(gw.gql(admin, EXCHANGE, {"code": code}))["exchangeConnectCode"]
    assert exchanged["connection"] == {"id": link["connection"]["id"], "status": "ACTIVE"}
    assert data(gw.gql(exchanged["token"], WORK_ORDERS))["workOrders"]["nodes"]
    twice = gw.gql(admin, EXCHANGE, {"code": code})
    assert error_code(twice) == "BAD_USER_INPUT" and "already exchanged" in twice["errors"][0]["message"]


def test_rotating_a_token_revokes_the_old_one(gw: Gateway, sandbox: ServerThread) -> None:
    admin, stranger = gw.new_org(), gw.new_org()
    created = data(gw.connect(admin, sandbox.url))["createConnection"]
    cid, old = created["connection"]["id"], created["token"]
    assert error_code(gw.gql(stranger, ROTATE, {"id": cid})) == "NOT_FOUND"
    rotated = data(gw.gql(admin, ROTATE, {"id": cid}))["rotateConnectionToken"]
    assert rotated["connection"] == {"id": cid, "status": "ACTIVE"} and rotated["token"] != old
    answer = httpx.post(
        f"{gw.url}/graphql", json={"query": WORK_ORDERS}, headers={"Authorization": f"Bearer {old}"}, timeout=10
    )
    assert answer.status_code == 401 and answer.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert data(gw.gql(rotated["token"], WORK_ORDERS))["workOrders"]["nodes"]
    data(gw.gql(admin, DISCONNECT, {"id": cid}))
    assert error_code(gw.gql(admin, ROTATE, {"id": cid})) == "BAD_USER_INPUT"


@pytest.mark.slow
def test_reauthorize_returns_the_same_connection_to_active(gw: Gateway) -> None:
    admin = gw.new_org(credits=3)
    with ServerThread(create_upkeep_sandbox()) as sandbox:
        created = data(gw.connect(admin, sandbox.url))["createConnection"]
        cid, token = created["connection"]["id"], created["token"]
        control = SandboxControl(sandbox.url)
        control.fault("unauthorized")  # the system now rejects the stored login
        data(gw.gql(admin, TRIGGER, {"id": cid}))
        wait_until(lambda: connection(gw, admin, cid)["status"] == "REAUTH_REQUIRED")
        control.clear_fault()
        with gw.services.store.read() as session:
            stored = stored_credentials(session, cid)

        wrong = gw.gql(admin, REAUTH, {"id": cid, "c": WRONG_LOGIN})
        assert error_code(wrong) == "SYSTEM_AUTH_FAILED"
        assert connection(gw, admin, cid)["status"] == "REAUTH_REQUIRED"
        with gw.services.store.read() as session:
            assert stored_credentials(session, cid) == stored  # nothing changed
        assert error_code(gw.gql(admin, REAUTH, {"id": cid, "c": {"email": "x@y.z"}})) == "BAD_USER_INPUT"

        fixed = data(gw.gql(admin, REAUTH, {"id": cid, "c": UPKEEP_LOGIN}))["reauthorizeConnection"]
        assert fixed == {"id": cid, "status": "ACTIVE", "credits": 1}
        assert data(gw.gql(token, WORK_ORDERS))["workOrders"]["nodes"]  # the same token still works
        # Sync was rescheduled: it runs and succeeds again.
        wait_until(
            lambda: any(
                s["lastSucceededAt"]
                for s in data(
                    gw.gql(
                        admin, "query($id: ID!) { connection(id: $id) { syncStatus { lastSucceededAt } } }", {"id": cid}
                    )
                )["connection"]["syncStatus"]
            )
        )
        credits = data(gw.gql(admin, CREDITS))["credits"]
        assert credits["used"] == 1 and [e["reason"] for e in credits["ledger"]] == ["connect"]
        with gw.services.store.read() as session:
            entries = session.exec(select(CreditLedgerEntry).where(CreditLedgerEntry.connection_id == cid)).all()
        assert len(entries) == 1
        data(gw.gql(admin, DISCONNECT, {"id": cid}))
        assert error_code(gw.gql(admin, REAUTH, {"id": cid, "c": UPKEEP_LOGIN})) == "BAD_USER_INPUT"


def test_pages_send_strict_headers_and_the_access_log_hides_link_tokens(gw: Gateway) -> None:
    for path in ("/connect/pg_connect_anything", "/dashboard"):
        page = httpx.get(f"{gw.url}{path}", timeout=10)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert page.headers["referrer-policy"] == "no-referrer"  # the link's token never leaves as a Referer
        assert "script-src 'self'" in page.headers["content-security-policy"]
        assert page.headers["cache-control"] == "no-store"
    assert httpx.get(f"{gw.url}/ui/connect.js", timeout=10).status_code == 200
    assert httpx.get(f"{gw.url}/ui/redact.py", timeout=10).status_code == 404  # only static/ is served

    access = logging.getLogger("uvicorn.access")
    record = access.makeRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/connect/pg_connect_secret123?x=1", "1.1", 200),
        None,
    )
    assert access.filter(record)  # every filter of the access log keeps it
    assert "pg_connect_secret123" not in record.getMessage() and "/connect/…?x=1" in record.getMessage()

"""Secrets: key rotation with one command, nothing secret in logs or errors, rotatable webhook secrets."""

from __future__ import annotations

import hashlib
import hmac
import logging
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet, InvalidToken
from sqlmodel import select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from gateway.store.event_tables import WebhookEndpoint
from gateway.store.tables import Connection, Organization
from sandboxes.kit import ServerThread
from sandboxes.upkeep.app import create_app as create_upkeep_sandbox
from tests.conftest import UPKEEP_LOGIN
from tests.helpers import data, error_code
from tests.processes import REPO, GatewayProcess, base_env, create_org, wait_until
from tests.webhook_receiver import Receiver
from tests.webhook_verifiers import python_verifies

CREATE_HOOK = "mutation($u: String!) { createWebhookEndpoint(url: $u) { secret endpoint { id } } }"
SEND_TEST = "mutation($e: ID!) { sendTestWebhook(endpointId: $e) { id } }"
ROTATE_HOOK = "mutation($e: ID!) { rotateWebhookSecret(id: $e) { secret endpoint { id } } }"
LIST = "{ workOrders(first: 2) { nodes { remoteId } } }"
ECHOED_PASSWORD = "hunter2-Very-Secret"


def signed_with(secret: str, received) -> bool:
    timestamp = received.headers["plantgate-webhook-timestamp"]
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + received.body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(received.headers["plantgate-webhook-signature"], "v1=" + expected)


@pytest.mark.processes
def test_rotate_key_reencrypts_everything_and_retires_the_old_key(tmp_path: Path):
    env = base_env(
        PLANTGATE_DATA_DIR=str(tmp_path / "data"), PLANTGATE_SCHEDULER="1", PLANTGATE_WEBHOOK_BACKOFF_BASE="0.2"
    )
    admin = create_org(env, "rotating", 10)
    receiver = Receiver()
    with ServerThread(create_upkeep_sandbox()) as sandbox, ServerThread(receiver.app()) as hooks:
        gateway = GatewayProcess("before", env, tmp_path).start().wait_healthy()
        try:
            created = gateway.gql(
                admin,
                "mutation($i: CreateConnectionInput!) { createConnection(input: $i) { token } }",
                {"i": {"system": "upkeep", "name": "Plant", "instanceUrl": sandbox.url, "credentials": UPKEEP_LOGIN}},
            )
            token = data(created)["createConnection"]["token"]
            hook = data(gateway.gql(admin, CREATE_HOOK, {"u": f"{hooks.url}/hook"}))["createWebhookEndpoint"]
            # Rotated with the default overlap: the replaced secret is stored too, and must survive the key change.
            rotated = data(gateway.gql(admin, ROTATE_HOOK, {"e": hook["endpoint"]["id"]}))["rotateWebhookSecret"]
        finally:
            gateway.stop()
        key_file = tmp_path / "data" / "secret.key"
        old_key = key_file.read_bytes().strip()

        done = subprocess.run(
            [sys.executable, "-m", "gateway.cli", "rotate-key"],
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        assert "re-encrypted 1 connection(s) and 1 webhook secret(s)" in done.stdout
        new_key = key_file.read_bytes().strip()
        assert new_key != old_key and len(key_file.read_bytes().splitlines()) == 1
        assert old_key.decode() not in done.stdout + done.stderr

        from sqlalchemy import create_engine
        from sqlmodel import Session

        engine = create_engine(f"sqlite:///{tmp_path / 'data' / 'plantgate.db'}")
        with Session(engine) as session:
            endpoint = session.exec(select(WebhookEndpoint)).one()
            assert endpoint.previous_secret_encrypted is not None
            stored = [
                session.exec(select(Connection)).one().credentials_encrypted,
                endpoint.secret_encrypted,
                endpoint.previous_secret_encrypted,
            ]
        engine.dispose()
        for ciphertext in stored:
            with pytest.raises(InvalidToken):
                Fernet(old_key).decrypt(ciphertext.encode())
            Fernet(new_key).decrypt(ciphertext.encode())

        gateway = GatewayProcess("after", env, tmp_path).start().wait_healthy()
        try:
            assert len(data(gateway.gql(token, LIST))["workOrders"]["nodes"]) == 2  # credentials still readable
            data(gateway.gql(admin, SEND_TEST, {"e": hook["endpoint"]["id"]}))
            received = wait_until(lambda: receiver.events("webhook.test"), timeout=10, what="test delivery")[0]
            assert signed_with(rotated["secret"], received)  # the same webhook secrets, re-encrypted
            assert python_verifies(rotated["secret"], received) and python_verifies(hook["secret"], received)
        finally:
            gateway.stop()


@pytest.mark.processes
def test_rotate_key_refuses_when_a_row_cannot_be_decrypted(tmp_path: Path):
    env = base_env(PLANTGATE_DATA_DIR=str(tmp_path / "data"))
    create_org(env, "broken", 1)  # creates the key file and the database
    from sqlalchemy import create_engine
    from sqlmodel import Session

    engine = create_engine(f"sqlite:///{tmp_path / 'data' / 'plantgate.db'}")
    with Session(engine) as session:
        org_id = session.exec(select(Organization.id)).one()  # a row encrypted with some other key
        session.add(
            Connection(
                organization_id=org_id,
                system="upkeep",
                hosting="CLOUD",
                name="x",
                status="ACTIVE",
                credentials_encrypted=Fernet(Fernet.generate_key()).encrypt(b"{}").decode(),
                metadata_={},
                settings={},
                credits=0,
            )
        )
        session.commit()
    engine.dispose()
    key_before = (tmp_path / "data" / "secret.key").read_bytes()
    done = subprocess.run(
        [sys.executable, "-m", "gateway.cli", "rotate-key"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0 and "cannot be decrypted" in done.stderr
    assert (tmp_path / "data" / "secret.key").read_bytes().split() == key_before.split()  # the old key alone


def echoing_login() -> Starlette:
    """An UpKeep-like login that repeats the password in its error, as careless vendors do."""

    async def login(request: Request) -> JSONResponse:
        body = await request.json()
        return JSONResponse({"success": False, "message": f"Invalid password {body.get('password')}"}, status_code=401)

    return Starlette(routes=[Route("/api/v2/auth", login, methods=["POST"])])


def test_no_secret_in_error_bodies_or_logs(sqlite_gateway, upkeep_sandbox, caplog):
    caplog.set_level(logging.DEBUG)
    admin = sqlite_gateway.new_org()
    with ServerThread(echoing_login()) as vendor:
        refused = sqlite_gateway.connect(
            admin, vendor.url, credentials={"email": "a@b.example", "password": ECHOED_PASSWORD}
        )
    assert error_code(refused) == "SYSTEM_AUTH_FAILED"
    assert "Invalid password" in refused["errors"][0]["message"] and ECHOED_PASSWORD not in str(refused)

    token = data(sqlite_gateway.connect(admin, upkeep_sandbox.url))["createConnection"]["token"]
    payload = data(sqlite_gateway.gql(token, "{ workOrders(first: 3) { nodes { remoteData } } }"))
    unauthorized = sqlite_gateway.gql(token[:-2] + "xx", LIST)
    assert error_code(unauthorized) == "UNAUTHENTICATED"
    secrets = [ECHOED_PASSWORD, UPKEEP_LOGIN["password"], admin, token, token[:-2] + "xx"]
    for secret in secrets:
        assert secret not in str(payload) and secret not in str(unauthorized)
        assert not [r for r in caplog.records if secret in r.getMessage() or secret in str(r.args)]


def test_webhook_secret_rotation_signs_with_the_new_secret(tmp_path: Path):
    from tests.conftest import _start_gateway
    from tests.test_webhooks import HOOKS

    receiver = Receiver()
    with ServerThread(receiver.app()) as hooks:
        gen = _start_gateway(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite'}", "sqlite", **HOOKS)
        gateway = next(gen)
        try:
            admin, other = gateway.new_org(), gateway.new_org()
            hook = data(gateway.gql(admin, CREATE_HOOK, {"u": f"{hooks.url}/hook"}))["createWebhookEndpoint"]
            endpoint = hook["endpoint"]["id"]
            assert error_code(gateway.gql(other, ROTATE_HOOK, {"e": endpoint})) == "NOT_FOUND"
            rotated = data(gateway.gql(admin, ROTATE_HOOK, {"e": endpoint}))["rotateWebhookSecret"]
            assert rotated["secret"].startswith("whsec_") and rotated["secret"] != hook["secret"]
            assert rotated["secret"] not in str(gateway.gql(admin, "{ webhookEndpoints { id url events } }"))
            data(gateway.gql(admin, SEND_TEST, {"e": endpoint}))
            received = wait_until(lambda: receiver.events("webhook.test"), timeout=10, what="test delivery")[0]
        finally:
            next(gen, None)
    assert signed_with(rotated["secret"], received) and not signed_with(hook["secret"], received)

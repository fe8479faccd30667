"""Deliveries follow Standard Webhooks: official verifiers in Python and Node accept them, and refuse them altered.

The deprecated `Plantgate-Webhook-*` headers still come along for one release,
and an endpoint's secret from before keeps verifying (its text is the key).
"""

from __future__ import annotations

import base64
import re
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from cryptography.fernet import Fernet
from sqlalchemy import text
from standardwebhooks import Webhook

from gateway.auth import ADMIN_PREFIX, hash_secret, new_secret
from gateway.secrets import CredentialVault, load_or_create_key
from gateway.store.engine import MIGRATIONS, make_engine
from gateway.store.tables import new_id, utcnow
from sandboxes.kit import ServerThread
from tests.conftest import Gateway
from tests.test_webhooks import verify as legacy_verifies
from tests.webhook_flow import endpoint, hook_gateway, rotate, send_test
from tests.webhook_receiver import Receiver
from tests.webhook_verifiers import node_verifies, python_verifies, tampered


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    yield from hook_gateway(tmp_path_factory.mktemp("gw-standard-webhooks"))


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, ServerThread]]:
    made = Receiver()
    with ServerThread(made.app()) as server:
        yield made, server


def test_a_delivery_verifies_with_the_python_and_node_libraries_and_altered_ones_do_not(gateway, receiver):
    got, server = receiver
    admin = gateway.new_org()
    endpoint_id, secret = endpoint(gateway, admin, f"{server.url}/hook")
    assert re.fullmatch(r"whsec_[A-Za-z0-9+/]+={0,2}", secret)
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 32  # the spec asks for 24 to 64 bytes
    received = send_test(gateway, admin, endpoint_id, got)
    headers = received.headers
    assert headers["webhook-id"] == received.json["id"]
    assert re.fullmatch(r"v1,[A-Za-z0-9+/]+={0,2}", headers["webhook-signature"])  # one secret, one signature
    assert python_verifies(secret, received)

    later = str(int(headers["webhook-timestamp"]) + 1)
    altered = [
        tampered(received, body=received.body.replace(b'"webhook.test"', b'"webhook.tests"')),
        tampered(received, **{"webhook-timestamp": later}),
        tampered(received, **{"webhook-id": "evt_other"}),
    ]
    assert not any(python_verifies(secret, a) for a in altered)
    other = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    assert not python_verifies(other, received)

    verdicts = node_verifies([(secret, received)] + [(secret, a) for a in altered] + [(other, received)])
    assert verdicts[0] == "ok", verdicts
    assert all(v.startswith("WebhookVerificationError") for v in verdicts[1:]), verdicts


def test_the_deprecated_headers_still_come_and_verify(gateway, receiver):
    got, server = receiver
    admin = gateway.new_org()
    endpoint_id, secret = endpoint(gateway, admin, f"{server.url}/hook")
    received = send_test(gateway, admin, endpoint_id, got)
    assert received.headers["plantgate-webhook-id"] == received.headers["webhook-id"]
    assert received.headers["plantgate-webhook-timestamp"] == received.headers["webhook-timestamp"]
    assert legacy_verifies(secret, received)
    assert not legacy_verifies(secret, tampered(received, body=received.body + b" "))


def _endpoint_at_revision_0005(database_url: str, data_dir: Path, secret_key: str, url: str) -> tuple[str, str, str]:
    """A database as the release before left it: schema 0005 and an endpoint whose secret is an older token."""
    engine = make_engine(database_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0005")
    organization_id, admin_key = new_id(), new_secret(ADMIN_PREFIX)  # rows as that release wrote them
    old_secret = "whsec_" + secrets.token_urlsafe(32)  # what endpoints were given until now
    vault = CredentialVault(load_or_create_key(secret_key, data_dir))
    endpoint_id = new_id()
    with engine.begin() as connection:
        row = {"id": organization_id, "at": utcnow()}
        connection.execute(
            text("INSERT INTO organization (id, name, created_at) VALUES (:id, 'before-0006', :at)"), row
        )
        connection.execute(text("INSERT INTO credit_pool (organization_id, total, used) VALUES (:id, 100, 0)"), row)
        connection.execute(
            text(
                "INSERT INTO admin_key (id, organization_id, key_hash, prefix, created_at) "
                "VALUES (:key_id, :id, :hash, :prefix, :at)"
            ),
            {**row, "key_id": new_id(), "hash": hash_secret(admin_key), "prefix": admin_key[:12]},
        )
        connection.execute(
            text(
                "INSERT INTO webhook_endpoint (id, organization_id, url, events, secret_encrypted, created_at) "
                "VALUES (:id, :org, :url, '[]', :secret, :at)"
            ),
            {
                "id": endpoint_id,
                "org": organization_id,
                "url": url,
                "secret": vault.encrypt({"secret": old_secret}),
                "at": utcnow(),
            },
        )
    engine.dispose()
    return admin_key, endpoint_id, old_secret


def test_a_secret_issued_before_keeps_verifying_and_rotates_with_overlap(tmp_path, receiver):
    got, server = receiver
    database = f"sqlite:///{tmp_path / 'db.sqlite'}"
    key = Fernet.generate_key().decode()
    admin, endpoint_id, old = _endpoint_at_revision_0005(database, tmp_path, key, f"{server.url}/hook")
    as_standard = "whsec_" + base64.b64encode(old.encode()).decode()  # how the README says to pass it to a verifier
    for gateway in hook_gateway(tmp_path, secret_key=key):  # starting migrates the database to the newest revision
        received = send_test(gateway, admin, endpoint_id, got)
        assert legacy_verifies(old, received)
        assert python_verifies(as_standard, received)
        assert Webhook(old.encode()).verify(received.body, received.headers) == received.json
        assert not python_verifies(old, received)  # the token itself is not base64: it must be converted

        new = rotate(gateway, admin, endpoint_id, 1)["secret"]
        during = send_test(gateway, admin, endpoint_id, got)
        assert python_verifies(as_standard, during) and python_verifies(new, during)
        assert node_verifies([(as_standard, received), (as_standard, during), (new, during)]) == ["ok"] * 3

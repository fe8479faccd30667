"""The audit trail: every admin action with the key that did it, no secret in it, per organization, pruned."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from gateway import audit
from gateway.auth import resolve_caller, revoke_admin_key
from gateway.organizations import issue_admin_key
from gateway.retention import prune
from gateway.store.log_tables import AuditEvent
from sandboxes.kit import ServerThread
from tests.conftest import UPKEEP_LOGIN, Gateway
from tests.helpers import data, error_code
from tests.test_connect_sessions import EXCHANGE, complete, link_token, new_link

EVENTS = """
query($action: AuditAction, $key: String, $target: String, $first: Int, $after: String) {
  auditEvents(action: $action, keyId: $key, targetId: $target, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { id at action actorType actorId targetType targetId changes requestId }
  }
}
"""
M = {
    "sync": "mutation($id: ID!) { triggerSync(id: $id) { id } }",
    "settings": "mutation($id: ID!, $i: ConnectionSettingsInput!) { updateConnectionSettings(id: $id, input: $i) { logBodies } }",
    "rotate": "mutation($id: ID!) { rotateConnectionToken(id: $id) { token } }",
    "reauth": "mutation($id: ID!, $c: JSON!) { reauthorizeConnection(id: $id, credentials: $c) { id } }",
    "hook": "mutation($url: String!) { createWebhookEndpoint(url: $url) { secret endpoint { id } } }",
    "hook_update": 'mutation($id: ID!) { updateWebhookEndpoint(id: $id, events: ["connection.created"]) { id } }',
    "hook_rotate": "mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret } }",
    "hook_test": "mutation($id: ID!) { sendTestWebhook(endpointId: $id) { id } }",
    "redeliver": "mutation($id: ID!) { redeliverWebhook(deliveryId: $id) { id } }",
    "hook_delete": "mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }",
    "disconnect": "mutation($id: ID!) { disconnect(id: $id) { id } }",
    "admin_key": "mutation { rotateAdminKey { key } }",
    "organization": "mutation { updateOrganizationSettings(input: {passthrough: FULL}) { passthrough } }",
    "agent": 'mutation { createAgent(name: "Plant 1") { key agent { id } } }',
    "agent_rotate": "mutation($id: ID!) { rotateAgentKey(id: $id) { key } }",
    "agent_delete": "mutation($id: ID!) { deleteAgent(id: $id) }",
}
HOOK_URL_SECRET = "hook-url-secret-4711"


def events(gw: Gateway, admin: str, **filters: object) -> dict:
    return data(gw.gql(admin, EVENTS, {"first": 200, **filters}))["auditEvents"]


def test_every_admin_action_is_recorded_with_its_key_and_without_secrets(
    gateway: Gateway, upkeep_sandbox: ServerThread
) -> None:
    gw, sandbox = gateway, upkeep_sandbox
    admin = gw.new_org()
    organization_id = resolve_caller(gw.services.store, admin)[0].organization_id
    key_id = resolve_caller(gw.services.store, admin)[0].key_id
    secrets = [admin, UPKEEP_LOGIN["password"], HOOK_URL_SECRET]

    created = data(gw.connect(admin, sandbox.url))["createConnection"]
    cid = created["connection"]["id"]
    secrets.append(created["token"])
    data(gw.gql(admin, M["sync"], {"id": cid}))
    data(gw.gql(admin, M["settings"], {"id": cid, "i": {"syncIntervalSeconds": 3600, "logBodies": True}}))
    secrets.append(data(gw.gql(admin, M["rotate"], {"id": cid}))["rotateConnectionToken"]["token"])
    data(gw.gql(admin, M["reauth"], {"id": cid, "c": UPKEEP_LOGIN}))

    hook = data(gw.gql(admin, M["hook"], {"url": f"http://127.0.0.1:9/in?token={HOOK_URL_SECRET}"}))
    endpoint_id = hook["createWebhookEndpoint"]["endpoint"]["id"]
    secrets.append(hook["createWebhookEndpoint"]["secret"])
    data(gw.gql(admin, M["hook_update"], {"id": endpoint_id}))
    secrets.append(data(gw.gql(admin, M["hook_rotate"], {"id": endpoint_id}))["rotateWebhookSecret"]["secret"])
    delivery_id = data(gw.gql(admin, M["hook_test"], {"id": endpoint_id}))["sendTestWebhook"]["id"]
    data(gw.gql(admin, M["redeliver"], {"id": delivery_id}))
    data(gw.gql(admin, M["hook_delete"], {"id": endpoint_id}))

    link = new_link(gw, admin, redirectUrl="https://app.example/done")
    secrets.append(link_token(link))
    code = parse_qs(urlsplit(complete(gw, link_token(link), sandbox).json()["redirectTo"]).query)["code"][0]
    secrets += [code, data(gw.gql(admin, EXCHANGE, {"code": code}))["exchangeConnectCode"]["token"]]
    data(gw.gql(admin, M["disconnect"], {"id": cid}))
    data(gw.gql(admin, M["organization"]))
    agent = data(gw.gql(admin, M["agent"]))["createAgent"]
    secrets.append(agent["key"])
    secrets.append(data(gw.gql(admin, M["agent_rotate"], {"id": agent["agent"]["id"]}))["rotateAgentKey"]["key"])
    data(gw.gql(admin, M["agent_delete"], {"id": agent["agent"]["id"]}))

    spare = issue_admin_key(gw.services.store, organization_id)
    spare_id = resolve_caller(gw.services.store, spare)[0].key_id
    assert spare_id is not None
    assert revoke_admin_key(gw.services.store, organization_id, spare_id)
    new_key = data(gw.gql(admin, M["admin_key"]))["rotateAdminKey"]["key"]
    secrets += [spare, new_key]

    trail = events(gw, new_key)["nodes"]
    assert {e["action"] for e in trail} == {a.value for a in audit.AuditAction}
    assert [e["at"] for e in trail] == sorted((e["at"] for e in trail), reverse=True)
    dumped = json.dumps(trail)
    assert not [s for s in secrets if s in dumped], "a secret is in the audit trail"

    by_action = {e["action"]: e for e in reversed(trail)}  # the first of each
    assert by_action["CONNECTION_CREATE"]["changes"]["loginFields"] == ["email", "password"]
    assert by_action["CONNECTION_CREATE"]["targetId"] == cid
    assert by_action["CONNECTION_SETTINGS_UPDATE"]["changes"] == {"syncIntervalSeconds": 3600, "logBodies": True}
    assert by_action["WEBHOOK_CREATE"]["changes"]["url"] == "http://127.0.0.1:9/in?token=[redacted]"
    assert (by_action["CONNECT_LINK_COMPLETE"]["actorType"], by_action["CONNECT_LINK_COMPLETE"]["actorId"]) == (
        "CONNECT_LINK",
        link["session"]["id"],
    )
    assert (by_action["ADMIN_KEY_RETIRE"]["actorType"], by_action["ADMIN_KEY_RETIRE"]["targetId"]) == (
        "OPERATOR",
        spare_id,
    )
    assert by_action["ADMIN_KEY_ROTATE"]["targetId"] == key_id
    assert by_action["ORGANIZATION_SETTINGS_UPDATE"]["changes"] == {"passthrough": "FULL"}
    mutations = [e for e in trail if e["actorType"] == "ADMIN_KEY" and e["action"] != "ADMIN_KEY_USE"]
    assert {e["actorId"] for e in mutations} == {key_id}
    assert all(e["requestId"] for e in mutations)

    assert {e["action"] for e in events(gw, new_key, key=key_id)["nodes"]} >= {"CONNECTION_CREATE", "ADMIN_KEY_USE"}
    assert [e["action"] for e in events(gw, new_key, action="ADMIN_KEY_USE", key=key_id)["nodes"]] == [
        "ADMIN_KEY_USE"
    ]  # once per key and hour, however many requests it sent
    on_connection = {e["action"] for e in events(gw, new_key, target=cid)["nodes"]}
    assert on_connection == {
        "CONNECTION_CREATE",
        "CONNECTION_SYNC",
        "CONNECTION_SETTINGS_UPDATE",
        "CONNECTION_TOKEN_ROTATE",
        "CONNECTION_REAUTHORIZE",
        "CONNECTION_DISCONNECT",
    }


def test_pages_filters_and_organizations(gateway: Gateway) -> None:
    admin, stranger = gateway.new_org(), gateway.new_org()
    for _ in range(3):
        data(gateway.gql(admin, M["hook"], {"url": "http://127.0.0.1:9/in"}))
    everything = events(gateway, admin)["nodes"]
    seen, after = [], None
    while True:
        page = events(gateway, admin, first=2, after=after)
        seen += [e["id"] for e in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [e["id"] for e in everything] and len(seen) >= 5  # created key, key use, three endpoints
    assert events(gateway, admin, action="WEBHOOK_CREATE")["totalCount"] == 3
    theirs = events(gateway, stranger)["nodes"]
    assert not {e["id"] for e in theirs} & set(seen)
    assert "WEBHOOK_CREATE" not in {e["action"] for e in theirs}
    assert error_code(gateway.gql(admin, EVENTS, {"action": "NOT_AN_ACTION"})) == "BAD_USER_INPUT"


def test_entries_past_their_retention_are_pruned(gateway: Gateway) -> None:
    admin = gateway.new_org()
    organization_id = resolve_caller(gateway.services.store, admin)[0].organization_id
    now = datetime.now(UTC)
    aged = [
        AuditEvent(
            organization_id=organization_id,
            created_at=now - timedelta(days=days),
            action="WEBHOOK_DELETE",
            actor_type="OPERATOR",
            target_type="WEBHOOK_ENDPOINT",
            target_id=f"aged-{days}",
        )
        for days in (300, 400)
    ]
    gateway.services.store.run_sync(lambda session: session.add_all(aged))
    pruned = prune(gateway.services.store, gateway.services.settings)
    assert pruned.audit_events >= 1
    left = {e["targetId"] for e in events(gateway, admin, action="WEBHOOK_DELETE")["nodes"]}
    assert left == {"aged-300"}

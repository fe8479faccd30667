"""SSRF protection: instance and webhook URLs that reach internal addresses are refused, and nothing is stored."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.http import HttpPolicy, UpstreamClient
from gateway.app import SANDBOX_PREFIX, create_app
from gateway.netguard import ForbiddenAddress, NetGuard
from gateway.services import Services
from gateway.settings import Settings
from sandboxes.kit import SandboxControl, ServerThread
from sandboxes.upkeep.app import create_app as create_upkeep_sandbox
from tests.conftest import Gateway, _start_gateway, make_settings
from tests.helpers import data
from tests.processes import free_port

CREATE_HOOK = "mutation($u: String!) { createWebhookEndpoint(url: $u) { secret } }"
STATE = "{ connections { totalCount } credits { available } webhookEndpoints { id } }"


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """A gateway with the production defaults: no loopback, no private ranges, https on cloud; demo sandboxes on."""
    tmp = tmp_path_factory.mktemp("gw-strict")
    port = free_port()
    settings = make_settings(
        tmp,
        f"sqlite:///{tmp / 'db.sqlite'}",
        allowed_hosts=(),
        allow_insecure_http=False,
        sandboxes=True,
        port=port,
        public_url=f"http://127.0.0.1:{port}",
    )
    services = Services.start(settings)
    with ServerThread(create_app(settings, services), port=port, lifespan="on") as server:
        yield Gateway(server.url, services, "sqlite")
    services.store.close()


ABUSES = [
    ("https://169.254.169.254/latest/meta-data/", "cloud metadata"),
    ("https://[fd00:ec2::254]/", "cloud metadata"),
    ("https://metadata.google.internal/computeMetadata/v1/", "cloud metadata"),
    ("https://169.254.10.20/", "link-local"),
    ("https://[fe80::1]/", "link-local"),
    ("https://127.0.0.1:9/", "loopback"),
    ("https://localhost:9/", "a loopback address"),
    ("https://2130706433/", "resolves to 127.0.0.1, a loopback"),
    ("https://[::ffff:127.0.0.1]/", "loopback"),
    ("https://[2002:7f00:1::]/", "an IPv6 form of 127.0.0.1, a loopback"),  # 6to4
    ("https://[2001:0:4136:e378:8000:63bf:80ff:fffe]/", "an IPv6 form of 127.0.0.1, a loopback"),  # Teredo
    ("https://[64:ff9b::a9fe:a9fe]/", "an IPv6 form of 169.254.169.254, a cloud metadata"),  # NAT64
    ("https://0.0.0.0/", "unspecified"),
    ("https://10.1.2.3/", "private"),
    ("https://192.168.0.10/", "private"),
    ("http://example.com/", "must use https"),
]


@pytest.mark.parametrize("url, reason", ABUSES)
def test_instance_url_abuse_is_refused_and_nothing_stored(strict, url, reason):
    admin = strict.new_org(credits=10)
    result = strict.connect(admin, url)
    error = result["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and error["extensions"]["field"] == "instanceUrl"
    assert reason in error["message"]
    state = data(strict.gql(admin, STATE))
    assert state["connections"]["totalCount"] == 0 and state["credits"]["available"] == 10


@pytest.mark.parametrize(
    "url, reason",
    [
        ("https://169.254.169.254/hook", "cloud metadata"),
        ("https://127.0.0.1:9/hook", "loopback"),
        ("https://localhost/hook", "loopback"),
        ("http://example.com/hook", "must use https"),
    ],
)
def test_webhook_url_abuse_is_refused_and_nothing_stored(strict, url, reason):
    admin = strict.new_org()
    result = strict.gql(admin, CREATE_HOOK, {"u": url})
    error = result["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and error["extensions"]["field"] == "url"
    assert reason in error["message"]
    assert data(strict.gql(admin, STATE))["webhookEndpoints"] == []


def test_demo_sandboxes_are_allowed_explicitly(strict):
    """The gateway's own /sandboxes mount is reachable although it is plain-http loopback."""
    admin = strict.new_org()
    token = data(strict.connect(admin, f"{strict.url}{SANDBOX_PREFIX}/upkeep"))["createConnection"]["token"]
    nodes = data(strict.gql(token, "{ workOrders(first: 2) { nodes { remoteId } } }"))["workOrders"]["nodes"]
    assert len(nodes) == 2
    other_path = strict.connect(admin, f"{strict.url}/graphql")  # the exemption is the mount, not the host
    assert other_path["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


# -- the guard's policy knobs ------------------------------------------------------------


async def check(guard: NetGuard, url: str, https_required: bool = True) -> str | None:
    try:
        await guard.check_url(url, field="instanceUrl", https_required=https_required)
    except Exception as exc:
        return getattr(exc, "message", str(exc))
    return None


async def test_private_ranges_only_when_configured():
    assert "private" in await check(NetGuard(Settings()), "https://10.0.0.5/")
    opened = NetGuard(Settings(allow_private_networks=True))
    assert await check(opened, "https://10.0.0.5/") is None
    assert "loopback" in await check(opened, "https://127.0.0.1/")  # private networks are not loopback
    assert await check(opened, "http://10.0.0.5/", https_required=False) is None  # on-premises may use http


async def test_allowlist_by_cidr_and_name_but_never_metadata():
    guard = NetGuard(Settings(allowed_hosts=("10.20.0.0/16", "localhost", ".plant.example", "169.254.169.254")))
    assert await check(guard, "https://10.20.3.4/") is None
    assert "private" in await check(guard, "https://10.21.0.1/")
    assert await check(guard, "https://localhost/") is None
    assert "cloud metadata" in await check(guard, "https://169.254.169.254/")


# Each form carries an IPv4 address to a relay or translator; all but the last two embed a refused one.
EMBEDDED = [
    ("2002:7f00:1::", "127.0.0.1, a loopback"),  # 6to4
    ("2002:a9fe:a9fe::1", "169.254.169.254, a cloud metadata"),
    ("2001:0:4136:e378:8000:63bf:80ff:fffe", "127.0.0.1, a loopback"),  # Teredo: NOT of the last 32 bits
    ("2001:0:4136:e378:8000:63bf:f5ff:fffe", "10.0.0.1, a private"),
    ("64:ff9b::7f00:1", "127.0.0.1, a loopback"),  # NAT64, well-known prefix
    ("64:ff9b::c0a8:1", "192.168.0.1, a private"),
    ("64:ff9b:1::7f00:1", "127.0.0.1, a loopback"),  # NAT64, local-use prefix in its /96 layout ...
    ("64:ff9b:1:7f00:0:100::", "127.0.0.1, a loopback"),  # ... and its /48 layout
    ("::7f00:1", "127.0.0.1, a loopback"),  # IPv4-compatible
    ("::ffff:a9fe:a9fe", "cloud metadata"),  # IPv4-mapped
]


@pytest.mark.parametrize("address, reason", EMBEDDED)
async def test_ipv6_forms_are_judged_by_their_embedded_ipv4(address, reason):
    """Allowlisting the relay's prefix lets none through; allowing private networks unblocks only private ones."""
    url = f"https://[{address}]/"
    prefixes = ("2002::/16", "2001::/32", "64:ff9b::/96", "64:ff9b:1::/48", "::/96")
    for settings in (Settings(), Settings(allowed_hosts=prefixes)):
        assert reason in await check(NetGuard(settings), url)
    opened = await check(NetGuard(Settings(allow_private_networks=True)), url)
    if reason.endswith("a private"):  # the prefix itself may still be refused (NAT64 is a reserved range)
        assert opened is None or "IPv6 form" not in opened
    else:
        assert reason in opened


async def test_ipv6_forms_of_public_addresses_pass_where_the_prefix_does():
    assert await check(NetGuard(Settings()), "https://[2002:808:808::1]/") is None  # 6to4 is a global range
    nat64 = "https://[64:ff9b::808:808]/"
    assert "reserved" in await check(NetGuard(Settings()), nat64)
    assert await check(NetGuard(Settings(allowed_hosts=("64:ff9b::/96",))), nat64) is None  # a DNS64 network
    loopback_allowed = NetGuard(Settings(allowed_hosts=("127.0.0.1",)))
    assert await check(loopback_allowed, "https://[::ffff:127.0.0.1]/") is None  # the same host as allowlisted


async def test_insecure_http_on_cloud_only_when_configured():
    assert "https" in await check(NetGuard(Settings()), "http://93.184.215.14/")
    assert await check(NetGuard(Settings(allow_insecure_http=True)), "http://93.184.215.14/") is None


class ChangingDns:
    """A resolver whose answer for every name can be changed, like a rebinding attacker's DNS."""

    def __init__(self, answer: str) -> None:
        self.answer = answer

    async def __call__(self, host: str, port: int) -> list[str]:
        return [self.answer]


async def test_dns_rebinding_after_registration_is_refused_at_request_time(tmp_path: Path):
    dns = ChangingDns("93.184.215.14")  # a public address when the URL is registered
    guard = NetGuard(Settings(allow_insecure_http=True), resolver=dns)
    with ServerThread(create_upkeep_sandbox()) as sandbox:
        url = f"http://rebind.example:{sandbox.port}"
        assert await check(guard, url) is None
        dns.answer = "127.0.0.1"  # ... then the name is re-pointed at the gateway's own host
        client = UpstreamClient(url, system="UpKeep", policy=HttpPolicy(retries=0, transport=guard.transport))
        with pytest.raises(ForbiddenAddress, match="loopback"):
            await client.request("GET", "/api/v2/work-orders")
        await client.aclose()
        assert SandboxControl(sandbox.url).requests() == []

        # Allowlisted, the same name reaches the sandbox: the guard dials the address it checked.
        trusting = NetGuard(Settings(allowed_hosts=("127.0.0.1",)), resolver=dns)
        client = UpstreamClient(url, system="UpKeep", policy=HttpPolicy(retries=0, transport=trusting.transport))
        await client.request("GET", "/__sandbox/fault")
        await client.aclose()


def test_webhook_delivery_rechecks_the_address(tmp_path: Path):
    """An endpoint registered while loopback was allowed is not called once it is not: checked per delivery."""
    from cryptography.fernet import Fernet

    from tests.test_sync import wait_until
    from tests.webhook_receiver import Receiver

    db, key = f"sqlite:///{tmp_path / 'db.sqlite'}", Fernet.generate_key().decode()
    receiver = Receiver()
    with ServerThread(receiver.app()) as hooks:
        lenient = _start_gateway(tmp_path / "a", db, "sqlite", secret_key=key)
        gateway = next(lenient)
        admin = gateway.new_org()
        data(gateway.gql(admin, CREATE_HOOK, {"u": f"{hooks.url}/hook"}))
        endpoint = data(gateway.gql(admin, "{ webhookEndpoints { id } }"))["webhookEndpoints"][0]["id"]
        data(gateway.gql(admin, "mutation($e: ID!) { sendTestWebhook(endpointId: $e) { id } }", {"e": endpoint}))
        next(lenient, None)
        strict_gen = _start_gateway(
            tmp_path / "b",
            db,
            "sqlite",
            secret_key=key,
            allowed_hosts=(),
            scheduler=True,
            sync_tick=0.1,
            webhook_backoff_base=60.0,
        )
        strict_gw = next(strict_gen)
        try:
            log = wait_until(
                lambda: data(strict_gw.gql(admin, DELIVERY_LOG))["webhookEndpoints"][0]["deliveries"][0]["log"], 10
            )
        finally:
            next(strict_gen, None)
    assert "loopback" in log[0]["error"] and log[0]["statusCode"] is None
    assert receiver.received == []


DELIVERY_LOG = "{ webhookEndpoints { deliveries { log { statusCode error } } } }"

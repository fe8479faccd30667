"""Benchmark: what a nested query costs upstream, what the gateway adds, how much it serves.

Run from the repo root: `.venv/bin/python bench/nested_query.py [--runs N]`.

The UpKeep sandbox and a gateway are served from background threads of this
process, and the load is generated from its main thread: every figure is a
loopback measurement on one machine, with the client, the gateway and the
upstream sharing the same CPU cores (and the same GIL). Read the numbers as
relative (gateway versus direct), not as what a deployed gateway would serve.

Three measurements, printed as markdown:
(a) upstream calls for one nested query, grouped by kind, against the distinct
    ids behind its answer (UpKeep fetches one record per call, so the floor is
    1 list + distinct assets + distinct locations, plus a login on first use);
(b) median and p95 latency of that query through the gateway, versus the same
    upstream calls made directly with the same concurrency shape;
(c) requests per second of a flat 100-row query from a few concurrent clients.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from cryptography.fernet import Fernet

from gateway.app import create_app
from gateway.organizations import create_organization
from gateway.services import Services
from gateway.settings import Settings
from sandboxes.kit import ServerThread
from sandboxes.upkeep.app import create_app as create_upkeep_sandbox

UPKEEP_LOGIN = {"email": "demo@upkeep.example", "password": "upkeep-demo"}
API = "/api/v2"
FETCH_CONCURRENCY = 8  # RestConnector.fetch_concurrency: the shape the gateway uses
MAX_CONNECTIONS = 10  # HttpPolicy.max_connections: the gateway's pool per connection
ROWS = 100

NESTED = "{ workOrders(first: 100) { nodes { number asset { name location { name } } } } }"
# The same query with the keys of what it loads, to list the ids behind the answer.
NESTED_WITH_IDS = "{ workOrders(first: 100) { nodes { number asset { remoteId name location { remoteId name } } } } }"
FLAT = "{ workOrders(first: 100) { nodes { id number title status priority dueDate } } }"

CREATE_CONNECTION = """
mutation($input: CreateConnectionInput!) {
  createConnection(input: $input) { token connection { id status } }
}
"""


# -- the servers ----------------------------------------------------------------


@dataclass
class Stack:
    """The running sandbox and gateway, and a connection token on the gateway."""

    sandbox_url: str
    gateway_url: str
    token: str
    database: str


@contextlib.contextmanager
def running_stack(database_url: str | None) -> Iterator[tuple[str, str, Services, str]]:
    """Sandbox and gateway on local ports; yields their URLs, the services and the DB kind."""
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="plantgate-bench-")))
        url = database_url or f"sqlite:///{tmp / 'plantgate.db'}"
        settings = Settings.from_env(
            data_dir=tmp,
            database_url=url,
            secret_key=Fernet.generate_key().decode(),
            allowed_hosts=("127.0.0.1",),
            allow_insecure_http=True,  # the sandbox is on plain-http loopback
            rate_limit_per_token=0,
            rate_limit_per_org=0,
        )
        services = Services.start(settings)
        stack.callback(services.store.close)
        sandbox = stack.enter_context(ServerThread(create_upkeep_sandbox()))
        gateway = stack.enter_context(ServerThread(create_app(settings, services)))
        yield sandbox.url, gateway.url, services, services.store.dialect


async def connect(client: httpx.AsyncClient, gateway_url: str, services: Services, sandbox_url: str) -> str:
    """A fresh organization and an UpKeep connection made through the admin API; returns its token."""
    org = create_organization(services.store, f"bench-{uuid.uuid4().hex[:8]}", 10)
    variables = {
        "input": {"system": "upkeep", "name": "Bench", "instanceUrl": sandbox_url, "credentials": UPKEEP_LOGIN}
    }
    data = await gql(client, gateway_url, org.admin_key, CREATE_CONNECTION, variables)
    return data["createConnection"]["token"]


async def gql(
    client: httpx.AsyncClient, gateway_url: str, token: str, query: str, variables: dict | None = None
) -> dict[str, Any]:
    """One GraphQL call; any error aborts the benchmark (a failing query measures nothing)."""
    response = await client.post(
        f"{gateway_url}/graphql",
        json={"query": query, "variables": variables or {}},
        headers={"Authorization": f"Bearer {token}"},
    )
    body = response.json()
    if response.status_code != 200 or body.get("errors"):
        raise RuntimeError(f"gateway answered {response.status_code}: {body.get('errors')}")
    return body["data"]


# -- (a) upstream calls ------------------------------------------------------------


def kind_of(path: str) -> str:
    """Groups a logged sandbox path: login, the list, or one record by id."""
    rest = path.removeprefix(API)
    if rest == "/auth":
        return "auth"
    if rest == "/work-orders":
        return "list work-orders"
    parts = rest.strip("/").split("/")
    if len(parts) == 2:
        return {"assets": "asset by id", "locations": "location by id"}.get(parts[0], f"{parts[0]} by id")
    return f"other {path}"


@dataclass
class CallCount:
    """Upstream calls one gateway request caused."""

    kinds: Counter[str]
    asset_ids: list[str]
    location_ids: list[str]
    list_params: list[str]

    @property
    def total(self) -> int:
        return sum(self.kinds.values())

    @property
    def repeated(self) -> int:
        """Calls for an id already fetched in the same request (0 when loads are per distinct id)."""
        ids = self.asset_ids + self.location_ids
        return len(ids) - len(set(ids))


async def count_calls(client: httpx.AsyncClient, stack: Stack, query: str) -> tuple[CallCount, dict]:
    """Runs `query` once with an empty sandbox log and sorts what was logged."""
    await client.delete(f"{stack.sandbox_url}/__sandbox/requests")
    data = await gql(client, stack.gateway_url, stack.token, query)
    logged = (await client.get(f"{stack.sandbox_url}/__sandbox/requests")).json()
    kinds: Counter[str] = Counter(kind_of(r["path"]) for r in logged)
    ids: dict[str, list[str]] = {"assets": [], "locations": []}
    list_params = [
        "&".join(f"{k}={v}" for k, v in r["query"].items()) for r in logged if kind_of(r["path"]) == "list work-orders"
    ]
    for r in logged:
        parts = r["path"].removeprefix(API).strip("/").split("/")
        if len(parts) == 2 and parts[0] in ids:
            ids[parts[0]].append(parts[1])
    return CallCount(kinds, ids["assets"], ids["locations"], list_params), data


def answer_ids(data: dict) -> tuple[list[str], list[str], int, int]:
    """Distinct asset and location ids in an answer, and the rows holding each."""
    nodes = data["workOrders"]["nodes"]
    assets = [n["asset"] for n in nodes if n["asset"]]
    locations = [a["location"] for a in assets if a["location"]]
    return (
        sorted({a["remoteId"] for a in assets}),
        sorted({loc["remoteId"] for loc in locations}),
        len(assets),
        len(locations),
    )


# -- (b) the same calls made directly -------------------------------------------------


class Direct:
    """Makes the nested query's upstream calls without the gateway, shaped as the gateway does."""

    def __init__(self, sandbox_url: str) -> None:
        self.client = httpx.AsyncClient(
            base_url=sandbox_url + API, limits=httpx.Limits(max_connections=MAX_CONNECTIONS), timeout=30
        )
        self.headers: dict[str, str] = {}

    async def login(self) -> None:
        answer = (await self.client.post("/auth", json=UPKEEP_LOGIN)).raise_for_status().json()
        self.headers = {"Session-Token": answer["result"]["sessionToken"]}

    async def _get(self, path: str, **params: Any) -> Any:
        response = await self.client.get(path, params=params or None, headers=self.headers)
        return response.raise_for_status().json()

    async def _each(self, resource: str, ids: list[str]) -> list[dict]:
        limiter = asyncio.Semaphore(FETCH_CONCURRENCY)

        async def one(remote_id: str) -> dict:
            async with limiter:
                return (await self._get(f"/{resource}/{remote_id}"))["result"]

        return list(await asyncio.gather(*(one(i) for i in ids)))

    async def nested(self) -> tuple[list[str], list[str]]:
        """1 list call, then each distinct asset, then each distinct location; returns the ids."""
        rows = (await self._get("/work-orders", offset=0, limit=ROWS))["results"]
        asset_ids = sorted({r["asset"] for r in rows if r.get("asset")})
        assets = await self._each("assets", asset_ids)
        location_ids = sorted({a["location"] for a in assets if a.get("location")})
        await self._each("locations", location_ids)
        return asset_ids, location_ids

    async def aclose(self) -> None:
        await self.client.aclose()


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (with 30 samples, p95 is the second slowest)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


async def timed(coro: Any) -> float:
    start = time.perf_counter()
    await coro
    return (time.perf_counter() - start) * 1000


async def latencies(
    client: httpx.AsyncClient, stack: Stack, direct: Direct, runs: int
) -> tuple[list[float], list[float]]:
    """Gateway and direct runs alternated, so drift on the machine hits both alike."""
    for _ in range(3):  # warm-up: sockets, session, schema
        await gql(client, stack.gateway_url, stack.token, NESTED)
        await direct.nested()
    via_gateway: list[float] = []
    straight: list[float] = []
    for _ in range(runs):
        via_gateway.append(await timed(gql(client, stack.gateway_url, stack.token, NESTED)))
        straight.append(await timed(direct.nested()))
    return via_gateway, straight


# -- (c) throughput ---------------------------------------------------------------------


@dataclass
class Throughput:
    clients: int
    seconds: float
    completed: int = 0
    failed: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    upstream_calls: int = 0

    @property
    def per_second(self) -> float:
        return self.completed / self.seconds if self.seconds else 0.0


async def throughput(stack: Stack, clients: int, duration: float, max_requests: int) -> Throughput:
    """`clients` async clients, each on its own connection, sending FLAT back to back."""
    payload = {"query": FLAT, "variables": {}}
    headers = {"Authorization": f"Bearer {stack.token}"}
    result = Throughput(clients, 0.0)
    sent = 0
    async with httpx.AsyncClient(timeout=30) as control:
        await control.delete(f"{stack.sandbox_url}/__sandbox/requests")

    async def worker(deadline: float) -> None:
        nonlocal sent
        limits = httpx.Limits(max_connections=1)
        async with httpx.AsyncClient(base_url=stack.gateway_url, limits=limits, timeout=30) as client:
            while time.perf_counter() < deadline and sent < max_requests:
                sent += 1
                start = time.perf_counter()
                response = await client.post("/graphql", json=payload, headers=headers)
                elapsed = (time.perf_counter() - start) * 1000
                body = response.json()
                ok = response.status_code == 200 and not body.get("errors")
                if ok and len(body["data"]["workOrders"]["nodes"]) == ROWS:
                    result.completed += 1
                    result.latencies_ms.append(elapsed)
                else:
                    result.failed += 1

    start = time.perf_counter()
    await asyncio.gather(*(worker(start + duration) for _ in range(clients)))
    result.seconds = time.perf_counter() - start
    async with httpx.AsyncClient(timeout=30) as control:
        result.upstream_calls = len((await control.get(f"{stack.sandbox_url}/__sandbox/requests")).json())
    return result


# -- the machine ----------------------------------------------------------------------------


def machine() -> dict[str, str]:
    """What the figures were measured on (Linux /proc; 'unknown' elsewhere)."""
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram = "unknown"
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    os_name = platform.platform()
    with contextlib.suppress(OSError):
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = f"{line.split('=', 1)[1].strip(chr(34))} ({platform.system()} {platform.release()})"
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "CPU": cpu,
        "Cores": f"{os.cpu_count()} logical ({usable} usable by this process)",
        "RAM": ram,
        "Python": f"{platform.python_implementation()} {platform.python_version()}",
        "OS": os_name,
    }


# -- report -----------------------------------------------------------------------------------


def table(rows: list[tuple[str, str]], head: tuple[str, str] = ("Figure", "Value")) -> str:
    lines = [f"| {head[0]} | {head[1]} |", "|---|---|"]
    lines += [f"| {a} | {b} |" for a, b in rows]
    return "\n".join(lines)


def calls_row(count: CallCount) -> str:
    order = ["auth", "list work-orders", "asset by id", "location by id"]
    parts = [f"{k} {count.kinds.get(k, 0)}" for k in order]
    parts += [f"{k} {v}" for k, v in sorted(count.kinds.items()) if k not in order]
    return f"**{count.total}** ({', '.join(parts)})"


def ms(value: float) -> str:
    return f"{value:.1f} ms"


def load_average() -> str:
    """Other work on the machine skews every figure here; the 1-minute load shows it."""
    return f"{os.getloadavg()[0]:.2f}" if hasattr(os, "getloadavg") else "unknown"


async def measure(stack: Stack, runs: int, clients: int, duration: float) -> None:
    load_before = load_average()
    async with httpx.AsyncClient(timeout=30) as client:
        # (a) The first request on the connection includes its login; the second is warm.
        cold, _ = await count_calls(client, stack, NESTED)
        warm, _ = await count_calls(client, stack, NESTED)
        probe, data = await count_calls(client, stack, NESTED_WITH_IDS)
        asset_ids, location_ids, asset_rows, location_rows = answer_ids(data)
        floor = 1 + len(asset_ids) + len(location_ids)

        direct = Direct(stack.sandbox_url)
        await direct.login()
        direct_assets, direct_locations = await direct.nested()
        if (direct_assets, direct_locations) != (asset_ids, location_ids):
            raise RuntimeError("the direct path does not load the records the gateway's answer holds")

        # (b)
        via_gateway, straight = await latencies(client, stack, direct, runs)
        await direct.aclose()

    # (c)
    load = await throughput(stack, clients, duration, max_requests=clients * 2000)

    info = machine()
    info["Load average (1 min), start / end"] = f"{load_before} / {load_average()}"
    print("## Upstream calls for the nested query (a)\n")
    print(f"`{NESTED}`\n")
    print(
        table(
            [
                ("Rows returned", str(ROWS)),
                ("Rows with an asset / distinct asset ids", f"{asset_rows} / {len(asset_ids)}"),
                ("Rows whose asset has a location / distinct location ids", f"{location_rows} / {len(location_ids)}"),
                ("Floor: 1 list + distinct assets + distinct locations", f"{floor} (+1 login on first use)"),
                ("Upstream calls, first request on the connection", calls_row(cold)),
                ("Upstream calls, next request (fresh DataLoaders, warm session)", calls_row(warm)),
                ("Same query with `remoteId` selected", calls_row(probe)),
                ("Calls repeating an id within one request", str(warm.repeated)),
                ("Query of the list call(s)", ", ".join(f"`{p}`" for p in warm.list_params)),
            ]
        )
    )
    print(f"\nDistinct asset ids ({len(asset_ids)}): {', '.join(asset_ids)}\n")
    print(f"Distinct location ids ({len(location_ids)}): {', '.join(location_ids)}\n")
    expected = 1 + len(asset_ids) + len(location_ids)
    verdict = "matches" if warm.total == expected and warm.repeated == 0 else "DOES NOT MATCH"
    print(f"Warm request: {warm.total} calls {verdict} 1 + {len(asset_ids)} + {len(location_ids)} = {expected}.\n")

    g50, g95 = statistics.median(via_gateway), percentile(via_gateway, 95)
    d50, d95 = statistics.median(straight), percentile(straight, 95)
    print(f"## Latency of the nested query, {runs} runs after 3 warm-up runs (b)\n")
    print("| Path | Median | p95 | Min | Max |\n|---|---|---|---|---|")
    for name, values in (("Through the gateway", via_gateway), ("Direct to the sandbox (same calls)", straight)):
        print(
            f"| {name} | {ms(statistics.median(values))} | {ms(percentile(values, 95))} "
            f"| {ms(min(values))} | {ms(max(values))} |"
        )
    print(f"| Gateway overhead | {ms(g50 - d50)} ({g50 / d50:.2f}x) | {ms(g95 - d95)} ({g95 / d95:.2f}x) | | |\n")

    print(f"## Throughput of the flat query (c)\n\n`{FLAT}`\n")
    print(
        table(
            [
                ("Clients (async httpx, one connection each)", str(load.clients)),
                ("Duration", f"{load.seconds:.1f} s"),
                ("Completed / failed", f"{load.completed} / {load.failed}"),
                ("Requests per second", f"**{load.per_second:.1f}**"),
                (
                    "Latency median / p95",
                    f"{ms(statistics.median(load.latencies_ms))} / {ms(percentile(load.latencies_ms, 95))}"
                    if load.latencies_ms
                    else "n/a",
                ),
                ("Upstream calls per request", f"{load.upstream_calls / max(1, load.completed + load.failed):.2f}"),
            ]
        )
    )
    print("\n## Machine\n")
    print(table([*info.items(), ("Database", stack.database), ("Date", date.today().isoformat())], ("Machine", "")))
    print(
        "\nLoopback measurement on one machine: the UpKeep sandbox and the gateway run in"
        " background threads of the benchmark's own process, which also generates the load,"
        f" so all three share {os.cpu_count()} cores and one GIL."
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=30, help="timed runs of the nested query per path (default 30)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients for the throughput run (default 8)")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of the throughput run (default 5)")
    parser.add_argument("--database-url", default=None, help="gateway store (default: SQLite in a temp dir)")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.clients < 1 or not 0 < args.seconds <= 60:
        parser.error("--runs and --clients must be at least 1, --seconds between 0 and 60")

    started = time.perf_counter()
    with running_stack(args.database_url) as (sandbox_url, gateway_url, services, dialect):

        async def run() -> None:
            async with httpx.AsyncClient(timeout=30) as client:
                token = await connect(client, gateway_url, services, sandbox_url)
            await measure(Stack(sandbox_url, gateway_url, token, dialect), args.runs, args.clients, args.seconds)

        asyncio.run(run())
    print(f"\nTotal benchmark time: {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

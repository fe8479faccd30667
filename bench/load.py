"""Load test: `plantgate serve --demo` in its own process, loaded from this one over loopback.

Run from the repo root: `.venv/bin/python bench/load.py [--seconds 10] [--clients 16]`.

The gateway runs with production defaults (SSRF guard on: the demo sandbox is
reached through its explicit exemption) and rate limiting on, backed by Redis
when `--redis URL` is given, in-process otherwise. The per-token limit is set
high enough not to refuse the load, so what is measured is the cost of a
request including its limiter hit; a last phase restarts the gateway with a
limit of 20 a minute and checks that a burst of 40 from one key gets 20 429s.

Phases, each `--seconds` long with `--clients` concurrent keep-alive clients:
  replica   { workOrders(first: 20, source: REPLICA) ... }  served from the local replica
  live      { workOrders(first: 20) ... }                   one upstream call to the sandbox each
Prints a markdown table: throughput, p50/p99 latency, statuses.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from nested_query import machine, table

REPO = Path(__file__).resolve().parents[1]
QUERY = "{ workOrders(first: 20%s) { nodes { id number title status priority dueDate } } }"
CONNECT = "mutation($i: CreateConnectionInput!) { createConnection(input: $i) { token connection { id } } }"


def start_gateway(
    data_dir: Path, port: int, redis_url: str, per_token: int, extra: dict[str, str] | None = None
) -> tuple[subprocess.Popen, str]:
    """`plantgate serve --demo` on `port`; `extra`: more PLANTGATE_* settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLANTGATE_")}
    env.update(
        {
            "PLANTGATE_DATA_DIR": str(data_dir),
            "PLANTGATE_PORT": str(port),
            "PLANTGATE_REDIS_URL": redis_url,
            "PLANTGATE_RATE_LIMIT_PER_TOKEN": str(per_token),
            "PLANTGATE_RATE_LIMIT_PER_ORG": str(per_token * 10),
            "PLANTGATE_LOG_FORMAT": "json",
            **(extra or {}),
        }
    )
    log = open(data_dir / "gateway.log", "wb")  # noqa: SIM115 - kept open for the process's life
    proc = subprocess.Popen(
        [sys.executable, "-m", "gateway.cli", "serve", "--demo"],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=log,
        stdin=subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    key = None
    while True:  # the demo banner: the admin key, then the sandboxes, then an empty line
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"gateway exited:\n{(data_dir / 'gateway.log').read_text()[-3000:]}")
        key = key or re.search(rb"admin key:\s+(\S+)", line)
        if key and not line.strip():
            break
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return proc, key.group(1).decode()
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError("gateway not ready")


def gql(url: str, token: str, query: str, variables: dict | None = None) -> dict:
    answer = httpx.post(
        f"{url}/graphql",
        json={"query": query, "variables": variables or {}},
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    ).json()
    if answer.get("errors"):
        raise RuntimeError(answer["errors"])
    return answer["data"]


def connect(url: str, admin: str) -> str:
    from sandboxes.registry import sandboxes

    spec = sandboxes()["upkeep"]
    created = gql(
        url,
        admin,
        CONNECT,
        {
            "i": {
                "system": "upkeep",
                "name": "Load",
                "credentials": spec.credentials,
                "instanceUrl": f"{url}/sandboxes/upkeep",
            }
        },
    )
    token = created["createConnection"]["token"]
    deadline = time.monotonic() + 60  # the first sync fills the replica
    while time.monotonic() < deadline:
        if gql(url, token, QUERY % ", source: REPLICA")["workOrders"]["nodes"]:
            return token
        time.sleep(0.5)
    raise RuntimeError("the replica was not filled within 60 s")


async def phase(url: str, token: str, query: str, seconds: float, clients: int) -> dict[str, object]:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    stop = time.monotonic() + seconds

    async def client() -> None:
        async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=1)) as http:
            while time.monotonic() < stop:
                started = time.perf_counter()
                response = await http.post(
                    f"{url}/graphql", json={"query": query}, headers={"Authorization": f"Bearer {token}"}
                )
                latencies.append(time.perf_counter() - started)
                ok = response.status_code == 200 and not response.json().get("errors")
                key = response.status_code if ok or response.status_code != 200 else 0
                statuses[key] = statuses.get(key, 0) + 1

    began = time.monotonic()
    await asyncio.gather(*(client() for _ in range(clients)))
    elapsed = time.monotonic() - began
    latencies.sort()

    def pick(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000

    return {
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50": pick(0.50),
        "p99": pick(0.99),
        "statuses": statuses,
    }


async def limited(url: str, token: str) -> dict[int, int]:
    """A burst of 40 from one token limited to 20 a minute: the excess must be 429s."""
    statuses: dict[int, int] = {}
    async with httpx.AsyncClient(timeout=30) as http:
        for _ in range(40):
            r = await http.post(
                f"{url}/graphql", json={"query": "{ credits { total } }"}, headers={"Authorization": f"Bearer {token}"}
            )
            statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
    return statuses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--redis", default="", help="e.g. redis://127.0.0.1:6379/0 (default: in-process limiter)")
    parser.add_argument("--per-token", type=int, default=100_000, help="requests per minute per token")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    load_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="plantgate-load-") as tmp:
        proc, admin = start_gateway(Path(tmp), args.port, args.redis, args.per_token)
        url = f"http://127.0.0.1:{args.port}"
        try:
            token = connect(url, admin)
            results = {
                name: asyncio.run(phase(url, token, QUERY % source, args.seconds, args.clients))
                for name, source in (("replica", ", source: REPLICA"), ("live", ""))
            }
        finally:
            proc.terminate()
            proc.wait(timeout=10)
        proc2, admin2 = start_gateway(Path(tmp), args.port, args.redis, 20)
        try:
            burst = asyncio.run(limited(url, admin2))
        finally:
            proc2.terminate()
            proc2.wait(timeout=10)
    limiter = f"Redis ({args.redis})" if args.redis else "in-process"
    print(
        f"## Load test ({args.clients} clients, {args.seconds:.0f} s per phase, limiter {limiter}, "
        f"{args.per_token:,} requests/min per token)\n"
    )
    print("| Read | Requests | Requests/s | p50 | p99 | Statuses (0 = GraphQL error) |")
    print("|---|---|---|---|---|---|")
    for name, r in results.items():
        print(
            f"| {name} | {r['requests']} | **{r['rps']:.0f}** | {r['p50']:.1f} ms | **{r['p99']:.1f} ms** | {r['statuses']} |"
        )
    print(f"\nBurst of 40 from one token limited to 20/min: {burst}\n")
    print(
        table(
            [*machine().items(), ("Load average (1 min), start / end", f"{load_start:.2f} / {os.getloadavg()[0]:.2f}")],
            ("", ""),
        )
    )


if __name__ == "__main__":
    main()

"""Live reads: the gateway's own CPU per request, and what it adds to a nested query's latency.

Run from the repo root: `.venv/bin/python bench/live_reads.py [--baseline ../wt-base] [--rounds 5]`.

The UpKeep sandbox runs in its own process, and each gateway (`plantgate serve`, SQLite,
scheduler off, rate limits on but high) in its own, so the CPU time the kernel counts for
the gateway's process (`/proc/<pid>/stat`, user + system) is the gateway's alone: the
upstream's work and the load generator's are in other processes. `--baseline` names
another checkout of the project (with its own `.venv`, e.g. a `git worktree` of an older
commit); its gateway runs next to this one's, against the same sandbox, and every
measurement alternates the sides so that a change in the machine's load hits both.

Two measurements, printed as markdown:
(a) `{ workOrders(first: 100) { nodes { id number title status priority dueDate } } }`,
    one serial keep-alive client: per round and side, `--requests` requests, and the
    gateway's CPU milliseconds per request over them (one upstream call each);
(b) `{ workOrders(first: 100) { nodes { number asset { name location { name } } } } }`:
    median latency through each gateway against the same upstream calls made directly
    (1 list call, then the distinct assets, then the distinct locations, at most 8 in
    flight: `nested_query.Direct`), gateway and direct runs alternated.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from cryptography.fernet import Fernet

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load import gql
from nested_query import FLAT, NESTED, ROWS, UPKEEP_LOGIN, Direct, machine, table
from replica_reads import free_port

REPO = Path(__file__).resolve().parents[1]
CONNECT = "mutation($i: CreateConnectionInput!) { createConnection(input: $i) { token } }"
SANDBOX = (
    "import sys, uvicorn; from sandboxes.upkeep.app import create_app; "
    "uvicorn.run(create_app(), host='127.0.0.1', port=int(sys.argv[1]), log_level='warning', access_log=False)"
)


@dataclass
class Side:
    """One gateway process: which checkout it runs, where, and the CPU figures measured on it."""

    name: str
    checkout: Path
    url: str = ""
    token: str = ""
    process: subprocess.Popen | None = None
    cpu_ms: list[float] = field(default_factory=list)
    system_ms: list[float] = field(default_factory=list)  # the kernel's share: sockets, mostly
    via_gateway: list[float] = field(default_factory=list)
    nested_cpu_ms: list[float] = field(default_factory=list)  # per nested query, one figure per block
    direct: list[float] = field(default_factory=list)


def cpu_times(pid: int) -> tuple[float, float]:
    """User and system CPU seconds of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


def wait_until_up(url: str, path: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            httpx.get(url + path, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def start_sandbox(workdir: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    log = open(workdir / "sandbox.log", "wb")  # noqa: SIM115 - kept open for the process's life
    proc = subprocess.Popen([sys.executable, "-c", SANDBOX, str(port)], cwd=REPO, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    wait_until_up(url, "/__sandbox/requests")
    return proc, url


def start_gateway(side: Side, sandbox_url: str, workdir: Path) -> None:
    """Runs `create-org`, then `serve`, from the side's checkout with its own virtualenv."""
    data_dir = workdir / side.name
    data_dir.mkdir()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLANTGATE_")}
    env.update(
        PLANTGATE_DATA_DIR=str(data_dir),
        PLANTGATE_PORT=str(port),
        PLANTGATE_SECRET_KEY=Fernet.generate_key().decode(),
        PLANTGATE_SCHEDULER="0",  # no sync competes with the reads for the process's CPU
        PLANTGATE_ALLOWED_HOSTS="127.0.0.1",
        PLANTGATE_ALLOW_INSECURE_HTTP="1",  # the sandbox is on plain-http loopback
        PLANTGATE_RATE_LIMIT_PER_TOKEN="10000000",  # counted, never refused
        PLANTGATE_RATE_LIMIT_PER_ORG="100000000",
        PLANTGATE_LOG_FORMAT="json",
    )
    python = str(side.checkout / ".venv" / "bin" / "python")
    created = subprocess.run(
        [python, "-m", "gateway.cli", "create-org", "bench"],
        env=env,
        cwd=side.checkout,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    admin = re.search(r"admin key\s+(\S+)", created).group(1)  # type: ignore[union-attr]
    log = open(data_dir / "gateway.log", "wb")  # noqa: SIM115 - kept open for the process's life
    side.process = subprocess.Popen(
        [python, "-m", "gateway.cli", "serve"], env=env, cwd=side.checkout, stdout=log, stderr=log
    )
    side.url = f"http://127.0.0.1:{port}"
    wait_until_up(side.url, "/healthz")
    variables = {"i": {"system": "upkeep", "name": "Bench", "instanceUrl": sandbox_url, "credentials": UPKEEP_LOGIN}}
    side.token = gql(side.url, admin, CONNECT, variables)["createConnection"]["token"]


def flat_block(side: Side, client: httpx.Client, requests: int) -> tuple[float, float]:
    """`requests` flat reads back to back; the gateway's CPU and system milliseconds per request."""
    assert side.process is not None
    payload = {"query": FLAT}
    headers = {"Authorization": f"Bearer {side.token}"}
    user, system = cpu_times(side.process.pid)
    for _ in range(requests):
        body = client.post(f"{side.url}/graphql", json=payload, headers=headers).json()
        if body.get("errors") or len(body["data"]["workOrders"]["nodes"]) != ROWS:
            raise RuntimeError(f"{side.name}: unexpected answer {str(body)[:300]}")
    user_after, system_after = cpu_times(side.process.pid)
    spent = user_after - user + system_after - system
    return spent * 1000 / requests, (system_after - system) * 1000 / requests


async def nested_block(side: Side, direct: Direct, client: httpx.AsyncClient, runs: int) -> None:
    """`runs` nested queries through the gateway, each followed by the same calls made directly."""
    assert side.process is not None
    payload = {"query": NESTED}
    headers = {"Authorization": f"Bearer {side.token}"}
    before = sum(cpu_times(side.process.pid))  # the gateway idles while the direct calls run
    for _ in range(runs):
        started = time.perf_counter()
        body = (await client.post(f"{side.url}/graphql", json=payload, headers=headers)).json()
        side.via_gateway.append((time.perf_counter() - started) * 1000)
        if body.get("errors"):
            raise RuntimeError(f"{side.name}: {body['errors']}")
        started = time.perf_counter()
        await direct.nested()
        side.direct.append((time.perf_counter() - started) * 1000)
    side.nested_cpu_ms.append((sum(cpu_times(side.process.pid)) - before) * 1000 / runs)


async def nested_rounds(sides: list[Side], sandbox_url: str, rounds: int, runs: int) -> None:
    direct = Direct(sandbox_url)
    await direct.login()
    async with httpx.AsyncClient(timeout=60) as client:
        for side in sides:  # warm-up: sockets, the connection's session, the schema
            await nested_block(side, direct, client, 3)
            side.via_gateway, side.direct, side.nested_cpu_ms = [], [], []
        for _ in range(rounds):
            for side in sides:
                await nested_block(side, direct, client, runs)
    await direct.aclose()


def clear_log(sandbox_url: str) -> None:
    """The sandbox keeps every request it saw; emptied between blocks so it stays small."""
    httpx.delete(f"{sandbox_url}/__sandbox/requests", timeout=10)


def report(sides: list[Side], args: argparse.Namespace, load: tuple[float, float]) -> None:
    print(f"## Live flat 100-row read: gateway CPU per request ({args.requests} serial requests per block)\n")
    print(f"`{FLAT}`\n")
    print("| Round | " + " | ".join(f"{s.name} ms/request (of which system)" for s in sides) + " |")
    print("|---|" + "---|" * len(sides))
    for n in range(args.rounds):
        print(f"| {n + 1} | " + " | ".join(f"{s.cpu_ms[n]:.2f} ({s.system_ms[n]:.2f})" for s in sides) + " |")
    medians = {s.name: statistics.median(s.cpu_ms) for s in sides}
    system = {s.name: statistics.median(s.system_ms) for s in sides}
    print("| median | " + " | ".join(f"**{medians[s.name]:.2f}** ({system[s.name]:.2f})" for s in sides) + " |\n")
    if len(sides) == 2:
        base, current = sides
        print(
            f"Gateway CPU per request: {current.name} {medians[current.name]:.2f} ms, "
            f"{base.name} {medians[base.name]:.2f} ms: **{medians[current.name] / medians[base.name]:.2f}×** "
            "(goal: at most 0.33×)\n"
        )
    print(f"## Nested live query: median latency, {args.rounds} × {args.runs} runs per side\n")
    print(f"`{NESTED}`\n")
    print("| Side | Through the gateway | Direct (same calls) | Overhead | Ratio | Gateway CPU per query |")
    print("|---|---|---|---|---|---|")
    for s in sides:
        g, d = statistics.median(s.via_gateway), statistics.median(s.direct)
        cpu = statistics.median(s.nested_cpu_ms)
        print(f"| {s.name} | {g:.1f} ms | {d:.1f} ms | {g - d:.1f} ms | **{g / d:.2f}×** | {cpu:.1f} ms |")
    print("\n(goal: at most 1.10×)\n")
    rows = [*machine().items(), ("Load average (1 min), start / end", f"{load[0]:.2f} / {load[1]:.2f}")]
    print(table(rows, ("Machine", "")))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baseline", type=Path, help="another checkout (with .venv) to measure side by side")
    parser.add_argument("--rounds", type=int, default=5, help="alternated rounds (default 5)")
    parser.add_argument("--requests", type=int, default=100, help="flat requests per block (default 100)")
    parser.add_argument("--runs", type=int, default=10, help="nested runs per block and path (default 10)")
    parser.add_argument("--skip-nested", action="store_true", help="measure only the flat read's CPU")
    args = parser.parse_args()
    sides = [Side("current", REPO)]
    if args.baseline:
        sides.insert(0, Side("baseline", args.baseline.resolve()))
    load_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="plantgate-live-") as tmp:
        workdir = Path(tmp)
        sandbox, sandbox_url = start_sandbox(workdir)
        try:
            for side in sides:
                start_gateway(side, sandbox_url, workdir)
            with httpx.Client(timeout=60) as client:
                for side in sides:
                    flat_block(side, client, 20)  # warm-up
                for _ in range(args.rounds):
                    for side in sides:
                        clear_log(sandbox_url)
                        cpu, system = flat_block(side, client, args.requests)
                        side.cpu_ms.append(cpu)
                        side.system_ms.append(system)
            clear_log(sandbox_url)
            if not args.skip_nested:
                asyncio.run(nested_rounds(sides, sandbox_url, args.rounds, args.runs))
        finally:
            for proc in [sandbox, *(s.process for s in sides if s.process)]:
                proc.terminate()
                proc.wait(timeout=10)
    if args.skip_nested:
        for side in sides:
            side.via_gateway = side.direct = side.nested_cpu_ms = [float("nan")]
    report(sides, args, (load_start, os.getloadavg()[0]))


if __name__ == "__main__":
    main()

"""What the on-premises agent adds to each upstream call.

Run from the repo root: `.venv/bin/python bench/agent_latency.py [--rounds 5] [--requests 200]`.

One Maximo sandbox process, one gateway process (`plantgate serve`, SQLite, scheduler
off) and one `plantgate agent` process, all on this machine. The organization has two
connections to the same sandbox: one called by the gateway itself, one through the
agent. Each round runs `--requests` serial live reads on each connection, alternated,
for two queries: one work order (a small answer) and 100 work orders with their
descriptions (about 50 KB, streamed in chunks). Both queries cost one upstream call, so
the difference of the medians is what the agent adds per call: the gateway to agent
socket, the agent's own HTTP call, and the answer coming back.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from cryptography.fernet import Fernet

sys.path.insert(0, str(Path(__file__).resolve().parent))
from live_reads import wait_until_up
from load import gql
from nested_query import load_average, machine, table
from replica_reads import free_port

REPO = Path(__file__).resolve().parents[1]
SANDBOX = (
    "import sys, uvicorn; from sandboxes.maximo.app import create_app; "
    "uvicorn.run(create_app(), host='127.0.0.1', port=int(sys.argv[1]), log_level='warning', access_log=False)"
)
CONNECT = "mutation($i: CreateConnectionInput!) { createConnection(input: $i) { token } }"
QUERIES = {
    "one work order": "{ workOrders(first: 1) { nodes { remoteId title } } }",
    "100 work orders": "{ workOrders(first: 100) { nodes { remoteId title description status } } }",
}


def spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    handle = open(log, "wb")  # noqa: SIM115 - kept open for the process's life
    return subprocess.Popen(args, env=env, cwd=REPO, stdout=handle, stderr=handle, stdin=subprocess.DEVNULL)


def start(workdir: Path) -> tuple[list[subprocess.Popen], str, dict[str, str]]:
    """The sandbox, the gateway and the agent; returns the processes, the gateway URL and the two tokens."""
    port = free_port()
    sandbox = spawn([sys.executable, "-c", SANDBOX, str(port)], dict(os.environ), workdir / "sandbox.log")
    maximo = f"http://127.0.0.1:{port}"
    wait_until_up(maximo, "/__sandbox/requests")
    from sandboxes.maximo.app import SANDBOX as SPEC

    env = {k: v for k, v in os.environ.items() if not k.startswith("PLANTGATE_")}
    gateway_port = free_port()
    env.update(
        PLANTGATE_DATA_DIR=str(workdir / "gateway"),
        PLANTGATE_PORT=str(gateway_port),
        PLANTGATE_SECRET_KEY=Fernet.generate_key().decode(),
        PLANTGATE_SCHEDULER="0",
        PLANTGATE_ALLOWED_HOSTS="127.0.0.1",  # the direct connection's way to the sandbox
        PLANTGATE_ALLOW_INSECURE_HTTP="1",
        PLANTGATE_RATE_LIMIT_PER_TOKEN="0",
        PLANTGATE_RATE_LIMIT_PER_ORG="0",
        PLANTGATE_LOG_FORMAT="json",
    )
    created = subprocess.run(
        [sys.executable, "-m", "gateway.cli", "create-org", "bench", "--credits", "100"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    admin = re.search(r"admin key\s+(\S+)", created).group(1)  # type: ignore[union-attr]
    gateway = spawn([sys.executable, "-m", "gateway.cli", "serve"], env, workdir / "gateway.log")
    url = f"http://127.0.0.1:{gateway_port}"
    wait_until_up(url, "/healthz")
    made = gql(url, admin, 'mutation { createAgent(name: "bench") { key agent { id } } }')["createAgent"]
    agent_env = {**{k: v for k, v in os.environ.items() if not k.startswith("PLANTGATE_")}}
    agent_env["PLANTGATE_AGENT_KEY"] = made["key"]
    agent = spawn(
        [
            sys.executable,
            "-m",
            "gateway.cli",
            "agent",
            "--gateway",
            url,
            "--instance",
            maximo,
            "--allow-network",
            "127.0.0.1/32",
            "--data-dir",
            str(workdir / "agent"),
        ],
        agent_env,
        workdir / "agent.log",
    )
    state = "query($id: ID!) { agent(id: $id) { online } }"
    deadline = time.monotonic() + 30
    while not gql(url, admin, state, {"id": made["agent"]["id"]})["agent"]["online"]:
        if time.monotonic() > deadline:
            raise RuntimeError("the agent did not come online")
        time.sleep(0.1)
    given = {"system": "maximo", "hosting": "ON_PREMISES", "instanceUrl": maximo, "credentials": SPEC.credentials}
    tokens = {
        "direct": gql(url, admin, CONNECT, {"i": {**given, "name": "direct"}})["createConnection"]["token"],
        "agent": gql(url, admin, CONNECT, {"i": {**given, "name": "agent", "agentId": made["agent"]["id"]}})[
            "createConnection"
        ]["token"],
    }
    return [sandbox, gateway, agent], url, tokens


def block(client: httpx.Client, url: str, token: str, query: str, requests: int) -> list[float]:
    """Milliseconds of each of `requests` serial reads."""
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        body = client.post(f"{url}/graphql", json={"query": query}, headers={"Authorization": f"Bearer {token}"})
        times.append((time.perf_counter() - started) * 1000)
        answer = body.json()
        if answer.get("errors"):
            raise RuntimeError(answer["errors"])
    return times


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        processes, url, tokens = start(Path(tmp))
        try:
            load_before = load_average()
            times: dict[tuple[str, str], list[float]] = {}
            with httpx.Client(timeout=60) as client:
                for query in QUERIES.values():  # warm-up: sockets, logins, schemas
                    for token in tokens.values():
                        block(client, url, token, query, 20)
                for _ in range(args.rounds):
                    for name, query in QUERIES.items():
                        for side, token in tokens.items():
                            times.setdefault((name, side), []).extend(block(client, url, token, query, args.requests))
            load_after = load_average()
        finally:
            for process in reversed(processes):
                process.terminate()
                process.wait(timeout=10)
    print("## On-premises agent: latency added per upstream call\n")
    print(table(list(machine().items()), ("Machine", "")) + "\n")
    print(
        f"1-minute load average: {load_before} before, {load_after} after; "
        f"{args.rounds} rounds × {args.requests} serial requests per query and side, alternated.\n"
    )
    print("| Query (one upstream call) | direct median / p95 | through the agent median / p95 | added (median) |")
    print("|---|---|---|---|")
    for name in QUERIES:
        direct, agent = times[(name, "direct")], times[(name, "agent")]
        added = statistics.median(agent) - statistics.median(direct)
        print(
            f"| {name} | {statistics.median(direct):.2f} / {percentile(direct, 0.95):.2f} ms "
            f"| {statistics.median(agent):.2f} / {percentile(agent, 0.95):.2f} ms | **{added:.2f} ms** |"
        )


if __name__ == "__main__":
    main()

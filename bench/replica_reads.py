"""Replica reads against the floor: the gateway next to a bare Starlette + graphql-core server.

Run from the repo root: `.venv/bin/python bench/replica_reads.py [--seconds 10] [--rounds 3] [--connections 16]`.

The query is `{ workOrders(first: 100, source: REPLICA) { nodes { id number title status priority
dueDate } } }`. The gateway runs as `plantgate serve --demo` in its own process (SQLite, scheduler
on, rate limits high enough not to refuse the load) with an UpKeep connection whose first sync
filled the replica, twice: once with its replica cache off (`PLANTGATE_REPLICA_CACHE_PAGES=0`:
every request reads the replica, as distinct reads do) and once as configured by default (a
frontend polling the same list). The bare server, in its own process too, parses and validates the same query
on every request and serves the same 100 rows from memory with graphql-core's default resolvers:
what any Python GraphQL server costs at least. Both are loaded by `wrk` (Debian's package; the
script installs nothing) with the same connections, alternating gateway and bare server for
`--rounds` rounds so that a change in the machine's load hits every side. Prints markdown:
requests/s, latency and the server's CPU time per request per side and round, and the ratios
gateway / bare server (CPU per request moves less with the machine's load than throughput does).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load import connect, gql, start_gateway
from nested_query import machine, table

QUERY = "{ workOrders(first: 100, source: REPLICA) { nodes { id number title status priority dueDate } } }"

BARE_SERVER = '''
import json, sys
from graphql import build_schema, execute, parse, validate
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

SCHEMA = build_schema("""
type WorkOrder { id: ID! number: String title: String status: String priority: String dueDate: String }
type WorkOrderList { nodes: [WorkOrder!]! }
enum Source { LIVE REPLICA }
type Query { workOrders(first: Int, source: Source): WorkOrderList }
""")
ROWS = json.load(open(sys.argv[1]))
# An explicit resolver: the default one takes its parent as `source`, which the argument would shadow.
SCHEMA.query_type.fields["workOrders"].resolve = lambda _root, _info, **_args: {"nodes": ROWS}

async def endpoint(request: Request) -> JSONResponse:
    body = await request.json()
    document = parse(body["query"])
    errors = validate(SCHEMA, document)
    if errors:
        return JSONResponse({"errors": [e.formatted for e in errors]}, status_code=400)
    result = execute(SCHEMA, document)
    errors = [e.formatted for e in result.errors or []]
    return JSONResponse({"data": result.data, **({"errors": errors} if errors else {})})

app = Starlette(routes=[Route("/graphql", endpoint, methods=["POST"])])
'''


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_bare(rows_file: Path, port: int, workdir: Path) -> subprocess.Popen:
    script = workdir / "bare_server.py"
    script.write_text(BARE_SERVER)
    code = (
        "import sys, uvicorn; sys.path.insert(0, '.'); import bare_server; "
        f"uvicorn.run(bare_server.app, host='127.0.0.1', port={port}, log_level='warning', access_log=False)"
    )
    proc = subprocess.Popen([sys.executable, "-c", code, str(rows_file)], cwd=workdir)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            httpx.post(f"http://127.0.0.1:{port}/graphql", json={"query": QUERY}, timeout=1)
            return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("the bare server did not start")


def wrk(url: str, token: str | None, seconds: float, connections: int, workdir: Path) -> dict[str, float]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    lua = workdir / "post.lua"
    lua.write_text(
        'wrk.method = "POST"\n'
        f"wrk.body = {json.dumps(json.dumps({'query': QUERY}))}\n"
        + "".join(f'wrk.headers["{k}"] = "{v}"\n' for k, v in headers.items())
    )
    threads = min(2, connections)
    out = subprocess.run(
        [
            "wrk",
            "-t",
            str(threads),
            "-c",
            str(connections),
            "-d",
            f"{max(1, round(seconds))}s",
            "--latency",
            "-s",
            str(lua),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    done = re.search(r"(\d+) requests in", out)
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", out)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return {
        "rate": rate,
        "p50": _ms(p50),
        "p99": _ms(p99),
        "errors": float(non2xx.group(1)) if non2xx else 0.0,
        "requests": float(done.group(1)) if done else float("nan"),
    }


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc; NaN elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measured(url: str, token: str | None, pid: int, args: argparse.Namespace, workdir: Path) -> dict[str, float]:
    """One wrk run, with the server's CPU milliseconds per request (less sensitive to the machine's load)."""
    before = cpu_seconds(pid)
    result = wrk(url, token, args.seconds, args.connections, workdir)
    result["cpu_ms"] = (cpu_seconds(pid) - before) * 1000 / result["requests"]
    return result


def _ms(match: re.Match[str] | None) -> float:
    if match is None:
        return float("nan")
    value, unit = float(match.group(1)), match.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each wrk run (default 10)")
    parser.add_argument("--rounds", type=int, default=3, help="alternated rounds per side (default 3)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (default 16)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (Debian: apt-get install wrk)")

    sides = {"gateway, no cache": {"PLANTGATE_REPLICA_CACHE_PAGES": "0"}, "gateway, polling": {}}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        procs: list[subprocess.Popen] = []
        targets: dict[str, tuple[str, str | None, int]] = {}
        try:
            rows = None
            for name, extra in sides.items():
                data_dir = workdir / name.replace(", ", "-").replace(" ", "-")
                data_dir.mkdir()
                port = free_port()
                gateway, admin = start_gateway(data_dir, port, "", per_token=10_000_000, extra=extra)
                procs.append(gateway)
                url = f"http://127.0.0.1:{port}"
                token = connect(url, admin)
                served = gql(url, token, QUERY)["workOrders"]["nodes"]
                assert len(served) == 100, f"the replica holds {len(served)} work orders, not 100"
                rows = rows or served  # the bare server serves the first gateway's (the demo's data differ a little)
                targets[name] = (f"{url}/graphql", token, gateway.pid)
            rows_file = workdir / "rows.json"
            rows_file.write_text(json.dumps(rows))
            bare_port = free_port()
            bare = start_bare(rows_file, bare_port, workdir)
            procs.append(bare)
            bare_url = f"http://127.0.0.1:{bare_port}/graphql"
            answer = httpx.post(bare_url, json={"query": QUERY}, timeout=5).json()
            assert answer["data"]["workOrders"]["nodes"] == rows, "the bare server does not serve the same rows"
            targets["bare"] = (bare_url, None, bare.pid)

            for target_url, target_token, _ in targets.values():  # warm every side up
                wrk(target_url, target_token, 2, args.connections, workdir)
            results: list[tuple[str, int, dict[str, float]]] = []
            for n in range(1, args.rounds + 1):
                for name, (target_url, target_token, pid) in targets.items():
                    results.append((name, n, measured(target_url, target_token, pid, args, workdir)))
        finally:
            for proc in procs:
                proc.terminate()
                proc.wait(timeout=10)

    print(f"## Replica list of 100 rows: gateway vs bare Starlette + graphql-core ({args.connections} connections)\n")
    print("| Side | Round | Requests/s | p50 ms | p99 ms | Non-2xx | Server CPU ms/request |")
    print("|---|---|---|---|---|---|---|")
    for side, n, r in results:
        print(
            f"| {side} | {n} | {r['rate']:.0f} | {r['p50']:.1f} | {r['p99']:.1f} | {r['errors']:.0f} | {r['cpu_ms']:.2f} |"
        )
    median = {name: statistics.median(r["rate"] for side, _, r in results if side == name) for name in targets}
    cpu = {name: statistics.median(r["cpu_ms"] for side, _, r in results if side == name) for name in targets}
    print()
    for name in sides:
        print(
            f"Median: {name} {median[name]:.0f}/s, bare server {median['bare']:.0f}/s, "
            f"**ratio {median[name] / median['bare']:.3f}×**; CPU per request {cpu[name]:.2f} ms against "
            f"{cpu['bare']:.2f} ms (bare / gateway {cpu['bare'] / cpu[name]:.3f}×)"
        )
    print(f"\nLoad average after the run: {os.getloadavg()[0]:.2f}\n")
    print(table(list(machine().items())))


if __name__ == "__main__":
    main()

"""Long fuzz run: generated HTTP requests and graphql-transport-ws sessions against a `plantgate serve` process.

Run from the repo root: `.venv/bin/python bench/fuzz.py [--requests 10400] [--ws-sessions 2000]`.

The gateway runs as its own process (SQLite, scheduler on, rate limits off) with
an UpKeep connection to a sandbox served from this process. Inputs are those of
tests/test_fuzz.py, in larger numbers: schemathesis over the admin and the
connection schema (valid and invalid documents), raw POST bodies, GET
parameters, Authorization headers, and WebSocket sessions of arbitrary frames.
Every answer must be below 500 with no INTERNAL code or stack trace; every
socket must end with a close code the protocol defines for a client's fault. The
gateway's RSS is read at start, sampled for its peak, and read at the end.

Loopback only: as root the script re-runs itself in a network namespace of its
own that has nothing but `lo` (so a generated URL cannot reach any other host);
otherwise everything still listens and dials on 127.0.0.1 only. Bounded by the
counts and by `--max-seconds`. Prints markdown; exits 1 on any finding or when
the RSS ends more than 50 MB above its start.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "bench")]

import httpx
import requests
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from nested_query import machine, table
from schemathesis.generation.modes import GenerationMode

from sandboxes.kit import ServerThread
from sandboxes.registry import sandboxes
from sandboxes.upkeep.app import create_app as create_upkeep_sandbox
from tests import fuzz_inputs as inputs
from tests.processes import GatewayProcess, base_env, create_org

RSS_BUDGET_MB = 50.0
CONNECT = "mutation($i: CreateConnectionInput!) { createConnection(input: $i) { token } }"


@dataclass
class Tally:
    """What one phase sent and what came back."""

    name: str
    sent: int = 0
    statuses: Counter = field(default_factory=Counter)
    findings: list[tuple[str, str, str]] = field(default_factory=list)  # (reason, input, answer)

    def record(self, status: int | str, reason: str | None, given_input: Any, answer: str) -> None:
        self.sent += 1
        self.statuses[status] += 1
        if reason:
            self.findings.append((reason, repr(given_input)[:800], answer[:400]))


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


class PeakRss(threading.Thread):
    """Samples a process's RSS twice a second; `peak` is the highest seen."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.stopped = pid, rss_mb(pid), threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(0.5):
            self.peak = max(self.peak, rss_mb(self.pid))


class Target:
    """The gateway under test and the callers' credentials."""

    def __init__(self, url: str, admin: str, token: str) -> None:
        self.url, self.admin, self.token = url, admin, token
        self.http = httpx.Client(timeout=30)
        self.session = requests.Session()

    def headers(self, caller: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.admin if caller == 'admin' else self.token}"}

    def schema_phase(self, caller: str, mode: GenerationMode, examples: int, deadline: float) -> Tally:
        headers = self.headers(caller)
        api = inputs.graphql_api(self.url, headers)
        strategy = st.tuples(api.as_strategy(generation_mode=mode), inputs.accepts)

        def send(value: tuple[Any, str]) -> tuple[int, str | None, str]:
            case, accept = value
            response = case.call(session=self.session, headers={**headers, "Accept": accept}, timeout=30)
            return response.status_code, inputs.failure(response.status_code, response.text), response.text

        return run(
            Tally(f"schema, {caller}, {mode.value}"),
            strategy,
            examples,
            deadline,
            send,
            lambda value: (value[0].body, value[1]),
        )

    def body_phase(self, caller: str, examples: int, deadline: float) -> Tally:
        strategy = st.tuples(inputs.bodies, inputs.content_types, inputs.accepts)

        def send(value: tuple[bytes, str, str]) -> tuple[int, str | None, str]:
            body, content_type, accept = value
            response = self.http.post(
                f"{self.url}/graphql",
                content=body,
                headers={**self.headers(caller), "Content-Type": content_type, "Accept": accept},
            )
            return response.status_code, inputs.failure(response.status_code, response.text), response.text

        return run(Tally(f"POST bodies, {caller}"), strategy, examples, deadline, send)

    def get_phase(self, examples: int, deadline: float) -> Tally:
        def send(params: dict[str, str]) -> tuple[int, str | None, str]:
            response = self.http.get(f"{self.url}/graphql", params=params, headers=self.headers("connection"))
            return response.status_code, inputs.failure(response.status_code, response.text), response.text

        return run(Tally("GET parameters"), inputs.get_parameters, examples, deadline, send)

    def auth_phase(self, examples: int, deadline: float) -> Tally:
        strategy = st.tuples(
            inputs.authorizations(self.admin, self.token),
            st.sampled_from(["{ credits { total } }", "{ connection { id } }"]),
        )

        def send(value: tuple[str, str]) -> tuple[int, str | None, str] | None:
            authorization, query = value
            try:
                response = self.http.post(
                    f"{self.url}/graphql", json={"query": query}, headers={"Authorization": authorization}
                )
            except httpx.LocalProtocolError:
                return None  # not a header value HTTP allows: nothing was sent
            return response.status_code, inputs.failure(response.status_code, response.text), response.text

        return run(Tally("Authorization headers"), strategy, examples, deadline, send)

    def ws_phase(self, examples: int, deadline: float) -> Tally:
        url = self.url.replace("http", "ws") + "/graphql"
        strategy = st.sampled_from([self.admin, self.token]).flatmap(inputs.ws_sessions)

        def send(frames: list[str | bytes]) -> tuple[int | str, str | None, str]:
            outcome = asyncio.run(inputs.run_ws_session(url, frames))
            return outcome.close_code or "open", outcome.failure, json.dumps(outcome.received)

        return run(Tally("WebSocket sessions"), strategy, examples, deadline, send)


def run(
    tally: Tally,
    strategy: st.SearchStrategy[Any],
    examples: int,
    deadline: float,
    send: Callable[[Any], tuple[int | str, str | None, str] | None],
    shown: Callable[[Any], Any] = lambda value: value,
) -> Tally:
    """Draws `examples` inputs (the same ones on every run) and sends each one until the deadline.

    `send` returns the status (or close code), why the answer is a failure (None: it is not) and the
    answer's text, or None for an input that could not be sent at all.
    """

    @settings(
        max_examples=max(1, examples),
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(value=strategy)
    def case(value: Any) -> None:
        if time.monotonic() < deadline and (answered := send(value)) is not None:
            status, reason, answer = answered
            tally.record(status, reason, shown(value), answer)

    case()
    return tally


def start(tmp: Path, sandbox_url: str) -> tuple[GatewayProcess, Target]:
    env = base_env(
        PLANTGATE_DATA_DIR=str(tmp / "data"),
        PLANTGATE_WS_INIT_TIMEOUT="1",
        PLANTGATE_SYNC_INTERVAL="60",
        PLANTGATE_MIN_SYNC_INTERVAL="30",
    )
    admin = create_org(env, "fuzz", 100_000)
    gateway = GatewayProcess("gateway", env, tmp).start().wait_healthy()
    spec = sandboxes()["upkeep"]
    answer = httpx.post(
        f"{gateway.url}/graphql",
        timeout=60,
        headers={"Authorization": f"Bearer {admin}"},
        json={
            "query": CONNECT,
            "variables": {
                "i": {"system": "upkeep", "name": "Fuzz", "instanceUrl": sandbox_url, "credentials": spec.credentials}
            },
        },
    ).json()
    token = answer["data"]["createConnection"]["token"]
    target = Target(gateway.url, admin, token)
    for caller in ("admin", "connection"):  # warm up: both schemas built, one live read made
        query = "{ credits { total } }" if caller == "admin" else "{ workOrders(first: 5) { nodes { id } } }"
        assert (
            "errors"
            not in target.http.post(
                f"{gateway.url}/graphql", json={"query": query}, headers=target.headers(caller)
            ).json()
        )
    return gateway, target


def log_errors(log: str) -> list[str]:
    """ERROR lines of the gateway's log, each with the end of its traceback (distinct ones, ids masked)."""
    lines, found = log.splitlines(), []
    for at, line in enumerate(lines):
        if " ERROR " in line:
            block = [line]
            for following in lines[at + 1 :]:
                if re.match(r"^\d{4}-\d\d-\d\d ", following):
                    break
                block.append(following)
            frames = [b.strip() for b in block[1:] if b.strip().startswith("File ")][-3:]
            found.append(
                " | ".join([re.sub(r"^\S+ \S+ ", "", line), *frames, *block[-1:]] if len(block) > 1 else [line])
            )
    return list(dict.fromkeys(re.sub(r"[0-9a-f]{32}", "…", f)[:900] for f in found))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10400, help="HTTP requests, spread over 8 phases")
    parser.add_argument("--ws-sessions", type=int, default=2000)
    parser.add_argument("--max-seconds", type=float, default=1800.0, help="stop sending after this long")
    parser.add_argument("--log", default="/tmp/plantgate-fuzz-gateway.log", help="where the gateway's log is kept")
    parser.add_argument("--in-namespace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not args.in_namespace and os.geteuid() == 0 and shutil.which("unshare") and shutil.which("ip"):
        os.execvp(
            "unshare",
            [
                "unshare",
                "--net",
                "--",
                "sh",
                "-c",
                'ip link set lo up && exec "$0" "$@"',
                sys.executable,
                __file__,
                "--in-namespace",
                *sys.argv[1:],
            ],
        )
    inputs.register_json_scalar()
    load_start, began = os.getloadavg()[0], time.monotonic()
    deadline = began + args.max_seconds
    share = args.requests // 8
    with tempfile.TemporaryDirectory(prefix="plantgate-fuzz-") as tmp, ServerThread(create_upkeep_sandbox()) as sandbox:
        gateway, target = start(Path(tmp), sandbox.url)
        boot_rss = rss_mb(gateway.pid)
        peak = PeakRss(gateway.pid)
        peak.start()
        try:
            start_rss = rss_mb(gateway.pid)
            tallies = [
                *(
                    target.schema_phase(caller, mode, share, deadline)
                    for caller in ("admin", "connection")
                    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
                ),
                target.body_phase("admin", share, deadline),
                target.body_phase("connection", share, deadline),
                target.get_phase(share, deadline),
                target.auth_phase(args.requests - 7 * share, deadline),
                target.ws_phase(args.ws_sessions, deadline),
            ]
            time.sleep(5)  # let the last sessions close and a sync tick pass
            end_rss = rss_mb(gateway.pid)
            peak.stopped.set()
        finally:
            gateway.stop()
        errors = log_errors(gateway.log_tail(50_000_000))
        shutil.copy(gateway.log_path, args.log)
    report(
        tallies,
        errors,
        boot_rss,
        start_rss,
        peak.peak,
        end_rss,
        time.monotonic() - began,
        load_start,
        args.in_namespace,
    )
    clean = not errors and not any(t.findings for t in tallies) and end_rss - start_rss <= RSS_BUDGET_MB
    sys.exit(0 if clean else 1)


def report(
    tallies: list[Tally],
    errors: list[str],
    boot: float,
    start: float,
    peak: float,
    end: float,
    seconds: float,
    load_start: float,
    isolated: bool,
) -> None:
    http = sum(t.sent for t in tallies[:-1])
    print(
        f"## Fuzz run: {http:,} HTTP requests and {tallies[-1].sent:,} WebSocket sessions in {seconds:.0f} s "
        f"({'own network namespace, lo only' if isolated else 'loopback'})\n"
    )
    print("| Phase | Sent | 5xx | Findings (5xx, INTERNAL, trace, bad close) | Answers (status or close code) |")
    print("|---|---|---|---|---|")
    for t in tallies:
        five = sum(n for s, n in t.statuses.items() if isinstance(s, int) and 500 <= s < 600)
        answers = ", ".join(f"{n} × {s}" for s, n in sorted(t.statuses.items(), key=lambda i: -i[1]))
        print(f"| {t.name} | {t.sent:,} | {five} | {len(t.findings)} | {answers} |")
    print(
        f"\nGateway RSS: {boot:.1f} MB at boot, {start:.1f} MB after warm-up, peak {peak:.1f} MB, "
        f"{end:.1f} MB at the end ({end - start:+.1f} MB; budget {RSS_BUDGET_MB:.0f} MB)\n"
    )
    findings = [(t.name, *f) for t in tallies for f in t.findings]
    print(f"Findings: {len(findings)}; ERROR or exception lines in the gateway's log: {len(errors)}\n")
    for name, reason, given_input, answer in findings[:30]:
        print(f"- {name}: {reason}\n  input: `{given_input}`\n  answer: `{answer}`")
    for line in errors[:30]:
        print(f"- log: `{line}`")
    print(
        "\n"
        + table(
            [
                *machine().items(),
                ("Store", "SQLite"),
                ("Load average (1 min), start / end", f"{load_start:.2f} / {os.getloadavg()[0]:.2f}"),
            ],
            ("", ""),
        )
    )


if __name__ == "__main__":
    main()

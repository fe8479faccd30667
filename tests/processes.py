"""Real gateway processes for multi-process tests: start, wait for health, kill, talk GraphQL.

Each process is `python -m gateway.cli serve` with the interpreter running the
tests (so CI's venv is used), configured only through PLANTGATE_* variables,
its output kept in a log file that failures quote.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from tests.helpers import wait_until as wait_until  # re-exported for the process tests

REPO = Path(__file__).resolve().parents[1]

# Short timers so leases, retries and rounds happen within seconds.
FAST_ENV = {
    "PLANTGATE_HOST": "127.0.0.1",
    "PLANTGATE_SYNC_TICK": "0.1",
    "PLANTGATE_MIN_SYNC_INTERVAL": "0.5",
    "PLANTGATE_SYNC_INTERVAL": "30",
    "PLANTGATE_LEASE_TTL": "3",
    "PLANTGATE_BACKOFF_BASE": "0.2",
    "PLANTGATE_BACKOFF_CAP": "2",
    "PLANTGATE_RETRY_AFTER_CAP": "2",
    "PLANTGATE_HISTORY_DAYS": "3650",
    "PLANTGATE_SYNC_PAGE_SIZE": "200",
    "PLANTGATE_UPSTREAM_RETRIES": "0",
    "PLANTGATE_UPSTREAM_CONNECT_TIMEOUT": "2",
    "PLANTGATE_UPSTREAM_READ_TIMEOUT": "2",
    # Sandboxes and receivers listen on plain-http loopback, which production refuses.
    "PLANTGATE_ALLOWED_HOSTS": "127.0.0.1",
    "PLANTGATE_ALLOW_INSECURE_HTTP": "1",
    "PLANTGATE_RATE_LIMIT_PER_TOKEN": "0",
    "PLANTGATE_RATE_LIMIT_PER_ORG": "0",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def base_env(**plantgate: str) -> dict[str, str]:
    """The parent's environment without its PLANTGATE_* settings, plus the fast timers and `plantgate`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLANTGATE_")}
    env.update(FAST_ENV)
    env.update(plantgate)
    return env


def create_org(env: dict[str, str], name: str, credits: int) -> str:
    """Run `plantgate create-org` against the processes' database; returns the admin key."""
    done = subprocess.run(
        [sys.executable, "-m", "gateway.cli", "create-org", name, "--credits", str(credits)],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    found = re.search(r"admin key\s+(\S+)", done.stdout)
    assert found, done.stdout
    return found.group(1)


class GatewayProcess:
    """One `plantgate serve` subprocess on its own port."""

    def __init__(self, name: str, env: dict[str, str], log_dir: Path) -> None:
        self.name = name
        self.port = free_port()
        self.env = {**env, "PLANTGATE_PORT": str(self.port)}
        self.log_path = log_dir / f"{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self) -> GatewayProcess:
        """Spawn without waiting (see `wait_healthy`), so several can boot at once."""
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "gateway.cli", "serve"],
                env=self.env,
                cwd=REPO,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        return self

    def wait_healthy(self, timeout: float = 30.0) -> GatewayProcess:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None and self.proc.poll() is None, f"{self.name} exited:\n{self.log_tail()}"
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"{self.name} not healthy within {timeout} s:\n{self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, leases and open transactions are left as a crash leaves them."""
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self, timeout: float = 5.0) -> None:
        """SIGTERM, then SIGKILL if it does not exit in time."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return "(no log)"

    def gql(self, token: str | None, query: str, variables: dict | None = None) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = httpx.post(
            f"{self.url}/graphql", json={"query": query, "variables": variables or {}}, headers=headers, timeout=30
        )
        return response.json()

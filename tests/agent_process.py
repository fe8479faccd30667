"""A real `plantgate agent` subprocess for the on-premises tests: start, wait online, kill, restart."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.processes import REPO

CREATE_AGENT = "mutation($n: String!) { createAgent(name: $n) { key agent { id } } }"
AGENT_STATE = "query($id: ID!) { agent(id: $id) { online version lastHeartbeatAt connectionsServed } }"


class AgentProcess:
    """`python -m gateway.cli agent`, allowed to reach loopback (where the sandboxes listen)."""

    def __init__(
        self,
        gateway_url: str,
        key: str,
        instances: list[str],
        data_dir: Path,
        log_path: Path,
        extra: list[str] | None = None,
    ) -> None:
        self.args = [
            sys.executable,
            "-m",
            "gateway.cli",
            "agent",
            "--gateway",
            gateway_url,
            "--allow-network",
            "127.0.0.1/32",
            "--data-dir",
            str(data_dir),
            *[a for url in instances for a in ("--instance", url)],
            *(extra or []),
        ]
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("PLANTGATE_")}
        self.env["PLANTGATE_AGENT_KEY"] = key
        self.data_dir = data_dir
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> AgentProcess:
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                self.args, env=self.env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        return self

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.kill()

    def exited(self, timeout: float) -> int | None:
        assert self.proc is not None
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"

    def credentials(self, name: str, bound_to: str | None = None, **fields: str) -> None:
        """`plantgate agent credentials set` in the agent's data directory (`--instance bound_to`)."""
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "gateway.cli",
                "agent",
                "--data-dir",
                str(self.data_dir),
                "credentials",
                "set",
                name,
                *(["--instance", bound_to] if bound_to else []),
                *(f"{k}={v}" for k, v in fields.items()),
            ],
            env=self.env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr


def online(state: dict[str, Any]) -> bool:
    return bool(state["agent"]["online"])

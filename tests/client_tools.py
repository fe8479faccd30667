"""The real GraphQL clients the typed-client tests drive, as `make setup` installs them.

npm packages (pinned in clients/package.json) live in PLANTGATE_CLIENT_TOOLS
(`.venv/share/plantgate-clients`), ariadne-codegen in a virtualenv of its own there.
Missing tools fail the tests, never skip them: `make test` always installs them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
CLIENTS = ROOT / "clients"
SCRIPTS = Path(__file__).resolve().parent / "clients"
TOOLS = Path(os.environ.get("PLANTGATE_CLIENT_TOOLS") or ROOT / ".venv/share/plantgate-clients")
NODE_MODULES = TOOLS / "node_modules"
ARIADNE_CODEGEN = TOOLS / "ariadne/bin/ariadne-codegen"


def require(path: Path) -> Path:
    if not path.exists():
        pytest.fail(f"{path} is missing: run `make setup` (or `make test`), which installs the client tooling")
    return path


def run(command: list[str | Path], cwd: Path, env: dict[str, str] | None = None, timeout: float = 120) -> str:
    """Run a tool; its output is the test's failure message when it fails."""
    done = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        pytest.fail(f"{' '.join(map(str, command))} exited {done.returncode}\n{done.stdout}\n{done.stderr}")
    return done.stdout


def clients_project(tmp: Path, sdl: str) -> Path:
    """A copy of clients/ with `schema.graphql` written in, ready to generate into (nothing lands in the checkout)."""
    project = tmp / "clients"
    shutil.copytree(CLIENTS, project, ignore=shutil.ignore_patterns(*_generated()))
    (project / "schema.graphql").write_text(sdl, encoding="utf-8")
    (project / "typescript/node_modules").symlink_to(require(NODE_MODULES), target_is_directory=True)
    return project


def _generated() -> list[str]:
    return ["node_modules", "generated", "dist", "plantgate_client", "schema.graphql", "__pycache__"]


def node_script(name: str, env: dict[str, str], timeout: float = 60) -> Any:
    """Run tests/clients/<name> with Node against the installed npm packages; its last stdout line as JSON."""
    out = run(["node", SCRIPTS / name], ROOT, {"NODE_PATH": str(require(NODE_MODULES)), **env}, timeout)
    return json.loads(out.strip().splitlines()[-1])


def python_client(project: Path, env: dict[str, str]) -> Any:
    """Generate the Python client with ariadne-codegen, then run clients/python/main.py with it."""
    folder = project / "python"
    run([require(ARIADNE_CODEGEN)], folder)
    out = run([sys.executable, "main.py"], folder, {"PYTHONPATH": str(folder), **env})
    return json.loads(out.strip().splitlines()[-1])


def typescript_client(project: Path, env: dict[str, str]) -> Any:
    """Generate the TypeScript client with graphql-codegen, compile it with tsc, run it with Node."""
    folder = project / "typescript"
    run([NODE_MODULES / ".bin/graphql-codegen", "--config", "codegen.ts"], folder)
    run([NODE_MODULES / ".bin/tsc", "-p", "."], folder)
    out = run(["node", "dist/main.js"], folder, env)
    return json.loads(out.strip().splitlines()[-1])

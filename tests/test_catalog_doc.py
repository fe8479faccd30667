"""`docs/systems.md` is generated from the catalog and must not go stale."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from connectors.catalog_doc import render
from connectors.registry import catalog

DOC = Path(__file__).resolve().parents[1] / "docs" / "systems.md"


def test_systems_doc_is_current():
    assert DOC.read_text(encoding="utf-8") == render(), "docs/systems.md is stale: run `plantgate systems-doc`"


def test_doc_lists_every_system_with_tier_credits_and_capabilities():
    text = render()
    for entry in catalog(manifests=False):
        assert f"## {entry.name} (`{entry.key}`)" in text
        for hosting in entry.hostings:
            assert f"{hosting} {entry.credits(hosting)}" in text


@pytest.mark.processes
def test_command_writes_the_doc(tmp_path):
    out = tmp_path / "systems.md"
    subprocess.run(
        [sys.executable, "-m", "gateway.cli", "systems-doc", "--output", str(out)],
        check=True,
        cwd=Path(__file__).resolve().parents[1],
        capture_output=True,
    )
    assert out.read_text(encoding="utf-8") == render()

"""Limble CMMS declared as a manifest (docs/examples/connectors/limble.yaml), against the same sandbox
and with the same expectations as its Python twin (`limble.py`)."""

from __future__ import annotations

from dataclasses import replace

from tests.conformance.cases.limble import CASE as PYTHON_TWIN

CASE = replace(PYTHON_TWIN, system="limble_manifest")

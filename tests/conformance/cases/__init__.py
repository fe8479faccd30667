"""One module per system; each exports `CASE`, a `SystemCase`."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

import pytest

from tests.conformance.case import SystemCase


def all_cases() -> list[SystemCase]:
    modules = sorted(m.name for m in pkgutil.iter_modules(__path__))
    return [importlib.import_module(f"{__name__}.{name}").CASE for name in modules]


def case_params(cases: list[SystemCase]) -> list[Any]:
    """The cases as fixture parameters, named by system and carrying each case's marks."""
    return [pytest.param(case, id=case.system, marks=case.marks) for case in cases]

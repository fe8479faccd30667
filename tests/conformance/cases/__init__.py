"""One module per system; each exports `CASE`, a `SystemCase`."""

from __future__ import annotations

import importlib
import pkgutil

from tests.conformance.case import SystemCase


def all_cases() -> list[SystemCase]:
    modules = sorted(m.name for m in pkgutil.iter_modules(__path__))
    return [importlib.import_module(f"{__name__}.{name}").CASE for name in modules]

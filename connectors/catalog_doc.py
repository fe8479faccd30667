"""`docs/systems.md`, rendered from the catalog so the docs cannot drift from the code."""

from __future__ import annotations

from schema.entities import ENTITIES

from .catalog import HOSTINGS, Capability, SystemEntry
from .registry import catalog

HEADER = """# Systems

Generated from the connector catalog by `plantgate systems-doc`; do not edit by hand
(a test fails when this file is stale).

Credits per connection: Tier 1 = 1, Tier 2 = 2, Tier 3 = 4 on cloud hosting; on-premises doubles.
"""


def _yes(flag: bool) -> str:
    return "✓" if flag else "—"


def _system(entry: SystemEntry) -> list[str]:
    lines = [
        f"## {entry.name} (`{entry.key}`)",
        "",
        f"- vendor: {entry.vendor}; category: {entry.category}; tier: {entry.tier}",
        "- credits: " + ", ".join(f"{h} {entry.credits(h)}" for h in HOSTINGS if h in entry.hostings),
        f"- default URL: {entry.default_base_url or 'none (the instance URL is required)'}",
        "",
        "| credential field | label | type | secret | required |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| `{f.name}` | {f.label} | {f.type} | {_yes(f.secret)} | {_yes(f.required)} |"
        for f in entry.credential_fields
    ]
    if entry.auth_guide:
        lines += ["", f"**Auth guide.** {entry.auth_guide}"]
    if entry.deletions:
        lines += ["", f"**Deleted records.** {entry.deletions}"]
    lines += [
        "",
        "| entity | read | incremental | create | update | delete | stock adjust |",
        "|---|---|---|---|---|---|---|",
    ]
    for entity in ENTITIES:
        cap = entry.capabilities.get(entity.name) or Capability(read=False)
        flags = (cap.read, cap.incremental, cap.create, cap.update, cap.delete, cap.adjust)
        lines.append(f"| {entity.name} | " + " | ".join(_yes(f) for f in flags) + " |")
    return lines + [""]


def render() -> str:
    entries = catalog(manifests=False)  # a deployment's manifests are its own, not the project's systems
    lines = [HEADER, "| system | key | category | tier | hostings |", "|---|---|---|---|---|"]
    lines += [f"| {e.name} | `{e.key}` | {e.category} | {e.tier} | {', '.join(e.hostings)} |" for e in entries]
    lines.append("")
    for entry in entries:
        lines += _system(entry)
    return "\n".join(lines).rstrip() + "\n"

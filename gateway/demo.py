"""The embedded demo: a demo organization and the built-in sandboxes, printed for a newcomer."""

from __future__ import annotations

from sandboxes.registry import sandboxes

from . import credits
from .organizations import create_organization, find_by_name, issue_admin_key
from .services import Services

DEMO_ORGANIZATION = "Demo organization"
DEMO_CREDITS = 100


def prepare_demo(services: Services, sandbox_base: str) -> str:
    """Create the demo organization once; each start prints a fresh admin key for it."""
    store = services.store
    org = find_by_name(store, DEMO_ORGANIZATION)
    if org is None:
        created = create_organization(store, DEMO_ORGANIZATION, DEMO_CREDITS)
        org, key = created.organization, created.admin_key
    else:
        key = issue_admin_key(store, org.id)
    with store.read() as session:
        total, used = credits.balance(session, org.id)
    lines = [
        "",
        "Plantgate demo",
        f"  GraphiQL:        {services.settings.effective_public_url}/graphql",
        f"  dashboard:       {services.settings.effective_public_url}/dashboard  (sign in with the admin key)",
        f"  organization:    {org.name} ({org.id})",
        f"  admin key:       {key}",
        f"  credit pool:     {total} total, {used} used, {total - used} available",
        "  sandboxes (instanceUrl and credentials for createConnection):",
    ]
    for system, spec in sandboxes().items():
        creds = ", ".join(f'{k}: "{v}"' for k, v in spec.credentials.items())
        lines.append(f"    {system:<12} {sandbox_base}/{system}   {{{creds}}}")
    return "\n".join(lines) + "\n"

"""Where a Maximo create belongs: its site (work orders, requests, assets, POs) or organization (companies).

Maximo takes a site-scoped record's site from the payload, else from the API user's
default insert site; an integration user often has none, and the create then fails
("null is not a valid site"). So the connector always sends one: the mutation's
`writeOptions.siteId`, else the connection's `writeDefaults.siteId`, else the site
the connection reads (credential `siteId`), else the site of the asset or location
the record refers to. Organizations come the same way, else from the site's
organization. Sites and organizations are listed by the MXAPIORGANIZATION object
structure (each organization with its `site` rows), which also feeds the pickers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from schema.errors import BadUserInput

from ..base import WriteSetting
from .oslc import ObjectStructure, OslcConnector, quote

ORGANIZATIONS = "mxapiorganization"
SITE = WriteSetting(
    "siteId",
    "Site",
    "The Maximo site new work orders, service requests, assets and purchase orders go to (e.g. BEDFORD).",
    entities=("WorkOrder", "MaintenanceRequest", "Asset", "PurchaseOrder"),
)
ORG = WriteSetting(
    "orgId",
    "Organization",
    "The Maximo organization new companies (vendors) belong to (e.g. EAGLENA).",
    entities=("Vendor",),
)
SETTINGS = (SITE, ORG)
REFERENCES = (("assetnum", "mxapiasset"), ("location", "mxapilocations"))  # whose site a new record can take


async def organizations(connector: OslcConnector) -> list[dict[str, Any]]:
    """Every organization with its sites, as MXAPIORGANIZATION lists them."""
    body = await connector.collection(ORGANIZATIONS, [], "orgid,description,site{siteid,description}", "+orgid", 1000)
    return list(body["member"])


async def choices(connector: OslcConnector, name: str) -> list[tuple[str, str]]:
    """Picker values for `siteId` (each site, with its organization) and `orgId`."""
    found = await organizations(connector)
    if name == ORG.name:
        return [(str(o["orgid"]), str(o.get("description") or o["orgid"])) for o in found]
    return [
        (str(s["siteid"]), f"{s.get('description') or s['siteid']} ({o['orgid']})")
        for o in found
        for s in o.get("site") or []
    ]


async def context(
    connector: OslcConnector, structure: ObjectStructure, payload: dict[str, Any], options: Mapping[str, str] | None
) -> dict[str, Any]:
    """The `siteid` or `orgid` a create sends; BAD_USER_INPUT naming the setting when none can be found."""
    if structure.site_scoped:
        site = (
            payload.get("siteid") or _configured(connector, SITE.name, options) or await _referenced(connector, payload)
        )
        if not site:
            connector.required_option(SITE.name, options, structure.entity)
        return {"siteid": str(site).upper()}
    if structure.entity in ORG.entities:
        org = payload.get("orgid") or _configured(connector, ORG.name, options) or await _site_org(connector, options)
        if not org:
            connector.required_option(ORG.name, options, structure.entity)
        return {"orgid": str(org).upper()}
    return {}


def _configured(connector: OslcConnector, name: str, options: Mapping[str, str] | None) -> str | None:
    """The write setting, else (for the site) the site this connection reads."""
    value = connector.write_option(name, options)
    if value is None and name == SITE.name:
        value = (connector.config.credentials.get("siteId") or "").strip() or None
    return value


async def _referenced(connector: OslcConnector, payload: dict[str, Any]) -> str | None:
    """The site of the asset (else the location) the new record refers to, where it is one site."""
    for attr, structure in REFERENCES:
        if payload.get(attr):
            body = await connector.collection(
                structure, [f"{attr}={quote(str(payload[attr]))}"], f"{attr},siteid", f"+{attr}", 2
            )
            sites = {row.get("siteid") for row in body["member"] if row.get("siteid")}
            if len(sites) > 1:
                raise BadUserInput(
                    f"{attr} {payload[attr]} exists in the sites {', '.join(sorted(sites))}: "
                    "give writeOptions: {siteId: ...}",
                    field="writeOptions.siteId",
                )
            if sites:
                return sites.pop()
    return None


async def _site_org(connector: OslcConnector, options: Mapping[str, str] | None) -> str | None:
    """The organization of the configured site, where one is set."""
    site = _configured(connector, SITE.name, options)
    if not site:
        return None
    return next(
        (
            str(o["orgid"])
            for o in await organizations(connector)
            for s in o.get("site") or []
            if str(s.get("siteid")).upper() == site.upper()
        ),
        None,
    )

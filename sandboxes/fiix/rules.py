"""What the Fiix sandbox accepts in `AddRequest` / `ChangeRequest` objects, class by class.

Fields are the ones Fiix's generated client classes declare (fiix-cmms-client-java
`dto/*.java`); which are required, which references are checked and which classes
may be removed is unverified. Unknown fields are refused so a mapping mistake
shows up as Fiix's error, not as silently dropped data.
"""

from __future__ import annotations

from typing import Any

from sandboxes.rules import Attr, Exists, first_problem

TEXT = Attr("text")
ID = Attr("integer")
MS = Attr("integer", minimum=0)  # dates: epoch milliseconds

RULES: dict[str, dict[str, Attr]] = {
    "WorkOrder": {
        "strDescription": TEXT,
        "strCode": TEXT,
        "intWorkOrderStatusID": Attr("integer", ref="WorkOrderStatus"),
        "intPriorityID": Attr("integer", ref="Priority"),
        "intMaintenanceTypeID": Attr("integer", ref="MaintenanceType"),
        "intSiteID": Attr("integer", ref="site"),
        "intRequestedByUserID": Attr("integer", ref="User"),
        "dtmSuggestedCompletionDate": MS,
    },
    "Asset": {
        "strName": TEXT,
        "strCode": TEXT,
        "strDescription": TEXT,
        "bolIsOnline": Attr("integer", (0, 1)),
        "strMake": TEXT,
        "strModel": TEXT,
        "strSerialNumber": TEXT,
        "intCategoryID": Attr("integer", ref="AssetCategory"),
        "intAssetLocationID": Attr("integer", ref="location"),
        "intAssetParentID": Attr("integer", ref="Asset"),
    },
    "Business": {"strName": TEXT, "strCode": TEXT, "strPrimaryEmail": TEXT, "strPhone": TEXT, "strAddress": TEXT},
}
REQUIRED = {"WorkOrder": ("intSiteID",), "Asset": ("strName", "intCategoryID"), "Business": ("strName",)}
REMOVABLE = ("WorkOrder", "Asset", "Business")
DEFAULTS: dict[str, dict[str, Any]] = {
    "WorkOrder": {"intWorkOrderStatusID": 1, "intPriorityID": 3},
    "Asset": {"bolIsOnline": 1},
}


def problem(cls: str, body: Any, exists: Exists, adding: bool) -> str | None:
    """The first thing wrong with a written object, as Fiix might word it (unverified); None if fine."""
    if cls not in RULES:
        return f"{cls} cannot be {'added' if adding else 'changed'} through the API"
    found = first_problem(RULES[cls], body, exists, REQUIRED[cls] if adding else ())
    if found is None:
        return None
    name, wrong = found
    return f"{cls}.{name} {wrong}" if name else wrong

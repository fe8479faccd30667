"""What the Limble sandbox accepts when a task is created or changed.

Tasks are the resource Limble's API writes (docs/vendors/limble.md): `POST
/tasks` creates one, `PATCH /tasks/{id}` changes the given fields, `DELETE
/tasks/{id}` deletes it. Dates are epoch seconds; `statusID` cannot be set on
create (a task starts open and moves by PATCH). Unknown fields are refused, so
a mapping mistake shows up as a 400. The messages are unverified.
"""

from __future__ import annotations

from typing import Any

from sandboxes.rules import Attr, Exists, first_problem

ID = "integer"
TASK = {
    "name": Attr("text"),
    "description": Attr("text"),
    "type": Attr(ID, (1, 2, 4, 6)),
    "priority": Attr(ID, (0, 1, 2, 3)),
    "statusID": Attr(ID, (0, 1, 2, 5617)),
    "locationID": Attr(ID, ref="locations"),
    "assetID": Attr(ID, ref="assets"),
    "userID": Attr(ID, ref="users"),
    "due": Attr(ID, minimum=0),
}
REQUIRED = ("name", "locationID")
DEFAULTS = {"type": 2, "statusID": 0, "priority": 0, "assetID": 0, "userID": 0, "teamID": 0, "description": ""}
DEFAULTS |= {"due": 0, "dateCompleted": 0, "requestorName": "", "requestorEmail": "", "template": False}


def problem(body: Any, exists: Exists, creating: bool) -> str | None:
    """The first thing wrong with a task write, as the sandbox words it; None if it is fine."""
    if creating and isinstance(body, dict) and "statusID" in body:
        return "statusID cannot be set when a task is created"
    found = first_problem(TASK, body, exists, REQUIRED if creating else ())
    if found is None:
        return None
    name, wrong = found
    return f"'{name}' {wrong}" if name else wrong

"""Writes to Tryton over JSON-RPC: `create`, `write`, `delete`, workflow buttons, inventories.

Concurrency is Tryton's own: the version a client read (`_timestamp`) goes back
in the context as `{"_timestamp": {"<model>,<id>": ...}}` and Tryton refuses the
write with a ConcurrencyException when the record changed since. Writes are
never retried (`idempotent=False`): a lost answer is an UNKNOWN outcome.
A stock adjustment is a Tryton inventory of one product at one storage
location, counted at on-hand + delta, so the difference moves from or to the
location's lost-and-found as Tryton itself books it.

What a write may set is Tryton's to say: every field a unified field writes is
looked up in the model's `fields_get` (once per connector) and a field Tryton
declares read-only for that operation is refused before anything is written
(`states.py`). Values kept in one2many rows (`Child`) become commands in the
same create or write call, so they commit with the record.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from contextlib import suppress
from typing import Any

from schema.errors import BadUserInput, Conflict, NotFound, SystemRejected
from schema.record import Record

from ..jsonrpc import Model
from ..writes import CREATE, UPDATE, WriteMap
from .states import CREATE_ID, UPDATE_ID, writable
from .wire import encode_as
from .writes import BUTTONS, CHILDREN, ChildValue, Find, targets


class TrytonWrites:
    """Mixed into the Tryton connector (uses its `call`, `model`, `fetch_many`, `with_custom_values`)."""

    _described: dict[str, dict[str, dict[str, Any]]]

    # -- entities -----------------------------------------------------------

    async def create(self, entity: str, values: dict[str, Any], options: Mapping[str, str] | None = None) -> Record:
        model = self.model(entity)  # type: ignore[attr-defined]
        payload, buttons = await self._payload(model, CREATE, values)
        created = await self._write_call(model, "create", [[payload]])
        remote_id = str(created[0])
        try:
            await self._press(model, int(remote_id), buttons, None)
        except SystemRejected:
            await self._undo_create(model, int(remote_id))  # a failed create leaves nothing behind
            raise
        return _reached(await self._written(entity, remote_id), values)

    async def update(
        self,
        entity: str,
        remote_id: str,
        values: dict[str, Any],
        if_match: str | None,
        options: Mapping[str, str] | None = None,
    ) -> Record:
        model = self.model(entity)  # type: ignore[attr-defined]
        record_id = _record_id(entity, remote_id)
        payload, buttons = await self._payload(model, UPDATE, values, record_id)
        if "lines" in payload:  # the given lines replace the purchase's lines, in the same call
            old = await self.call(f"model.{model.model}.read", [[record_id], ["lines"]], {})  # type: ignore[attr-defined]
            payload["lines"] = [["delete", old[0]["lines"] if old else []], *payload["lines"]]
        try:
            if payload:
                await self._write_call(model, "write", [[record_id], payload], record_id, if_match)
                if_match = None  # checked by the write
            await self._press(model, record_id, buttons, if_match)
        except SystemRejected as exc:
            raise await self._explained(model, entity, record_id, exc) from None
        return _reached(await self._written(entity, remote_id), values)

    async def delete(self, entity: str, remote_id: str, if_match: str | None) -> None:
        model = self.model(entity)  # type: ignore[attr-defined]
        record_id = _record_id(entity, remote_id)
        if await self._version(model, record_id) is None:  # Tryton deletes a missing id silently
            raise NotFound(f"Tryton has no {entity} {remote_id}")
        try:
            await self._write_call(model, "delete", [[record_id]], record_id, if_match)
        except SystemRejected as exc:
            raise await self._explained(model, entity, record_id, exc) from None

    # -- stock ----------------------------------------------------------------

    async def adjust_stock(self, part_id: str, location_id: str | None, delta: float) -> Record:
        if not delta:
            raise BadUserInput("delta must not be zero", field="delta")
        product = _record_id("Part", part_id)
        if await self._version(self.model("Part"), product) is None:  # type: ignore[attr-defined]
            raise NotFound(f"Tryton has no Part {part_id}")
        location = _record_id("Location", location_id) if location_id else await self._default_storage()
        inventory = await self._rpc(
            "stock.inventory",
            "create",
            [
                [
                    {
                        "location": location,
                        "empty_quantity": "keep",  # lines Tryton adds for other products change nothing
                        "lines": [["create", [{"product": product, "quantity": 0.0}]]],
                    }
                ]
            ],
        )
        inventory_id = inventory[0]
        try:
            await self._count(inventory_id, product, delta, location)
            await self._rpc("stock.inventory", "confirm", [[inventory_id]])
        except SystemRejected:
            await self._discard(inventory_id)
            raise
        return await self._written("Part", part_id)

    async def _count(self, inventory: int, product: int, delta: float, location: int) -> None:
        """Tryton computes the expected quantity; the counted one is that plus delta, other lines dropped."""
        await self._rpc("stock.inventory", "complete_lines", [[inventory]])
        lines = await self._search_read(  # type: ignore[attr-defined]
            "stock.inventory.line", [["inventory", "=", inventory]], 0, None, ["product", "expected_quantity"], {}
        )
        mine = next(line for line in lines if line["product"] == product)
        on_hand = float(mine.get("expected_quantity") or 0)
        counted = round(on_hand + delta, 6)
        if counted < 0:
            raise SystemRejected(
                f"Tryton cannot take part {product} below zero at location {location}: {on_hand:g} on hand"
            )
        others = [line["id"] for line in lines if line["id"] != mine["id"]]
        commands: list[Any] = [["write", [mine["id"]], {"quantity": counted}]]
        if others:
            commands.append(["delete", others])
        await self._rpc("stock.inventory", "write", [[inventory], {"lines": commands}])

    async def _discard(self, inventory: int) -> None:
        """Best effort: a refused adjustment leaves no draft inventory behind."""
        with suppress(SystemRejected):
            await self._rpc("stock.inventory", "delete", [[inventory]])

    async def _default_storage(self) -> int:
        """The storage zone of the only warehouse; with several, the caller must say where."""
        rows = await self._search_read(  # type: ignore[attr-defined]
            "stock.location", [["type", "=", "warehouse"]], 0, 2, ["storage_location"], {}
        )
        if len(rows) != 1 or not rows[0].get("storage_location"):
            raise BadUserInput("this Tryton has several warehouses: give locationId", field="locationId")
        return int(rows[0]["storage_location"])

    # -- payloads ---------------------------------------------------------------

    async def _payload(
        self, model: Model, operation: str, values: dict[str, Any], record_id: int | None = None
    ) -> tuple[dict[str, Any], tuple[tuple[str, tuple[str, ...]], ...]]:
        """The WriteMap's payload, custom fields typed, `Find` markers resolved; and the buttons to press."""
        writes = model.writes
        if writes is None:
            raise self._unsupported(operation, model.entity)  # type: ignore[attr-defined]
        custom = self.config.extension.sourced_for(model.entity)  # type: ignore[attr-defined]
        payload = writes.payload(operation, values, custom)
        buttons = tuple(payload.pop(BUTTONS, ()))
        children: tuple[ChildValue, ...] = payload.pop(CHILDREN, ())
        await self._refuse_read_only(model, writes, operation, values)
        described = await self._fields(model.model)
        for f in custom:
            if f.writable and f.name in values:
                kind = (described.get(f.remote_path) or {}).get("type", "")
                payload[f.remote_path] = encode_as(kind, values[f.name])
        if children:
            payload.update(await self._child_commands(model, children, record_id))
        await self._resolve(payload)
        return payload, buttons

    async def _fields(self, model: str) -> dict[str, dict[str, Any]]:
        """A model's `fields_get` (types, read-only states), once per connector."""
        if model not in self._described:
            described = await self.call(f"model.{model}.fields_get", [None], {})  # type: ignore[attr-defined]
            self._described[model] = described
        return self._described[model]

    async def writable_fields(self, entity: str, operation: str) -> dict[str, tuple[str, ...]]:
        """The capability matrix of one entity: each writable unified field with the Tryton fields it sets,
        kept only where this server's `fields_get` lets a create (or an update) set them all."""
        model = self.model(entity)  # type: ignore[attr-defined]
        if model.writes is None:
            return {}
        described = await self._fields(model.model)
        record_id = CREATE_ID if operation == CREATE else UPDATE_ID
        found = {name: targets(writer) for name, writer in model.writes.fields.items()}
        return {
            name: fields for name, fields in found.items() if all(writable(described.get(f), record_id) for f in fields)
        }

    async def _refuse_read_only(
        self, model: Model, writes: WriteMap, operation: str, values: Mapping[str, Any]
    ) -> None:
        """A field Tryton declares read-only for this operation is the caller's mistake, named before any write."""
        allowed = await self.writable_fields(model.entity, operation)
        described = await self._fields(model.model)
        record_id = CREATE_ID if operation == CREATE else UPDATE_ID
        extension = self.config.extension  # type: ignore[attr-defined]
        custom = {f.name: f.remote_path.split(".")[0] for f in extension.sourced_for(model.entity)}
        for name in values:
            if name in custom:  # a custom field, or a unified field this connection writes elsewhere
                if writable(described.get(custom[name]), record_id):
                    continue
                fields = custom[name]
            elif name in writes.fields and name not in allowed:
                fields = ", ".join(targets(writes.fields[name]))
            else:
                continue
            when = "a new record" if operation == CREATE else "a stored record"
            raise BadUserInput(
                f"Tryton cannot {operation} {model.entity}.{name}: {model.model} declares {fields} read-only on {when}",
                field=name,
            )

    async def _child_commands(
        self, model: Model, children: tuple[ChildValue, ...], record_id: int | None
    ) -> dict[str, list[Any]]:
        """`Child` values as one2many commands: rows created with a new record, else the matching row written."""
        current = {} if record_id is None else await self._child_rows(model, children, record_id)
        commands: dict[str, list[Any]] = defaultdict(list)
        for (relation, match), given in _by_row(children).items():
            values = {cv.child.field: cv.value for cv in given if not cv.ensure}
            row = next((r for r in current.get(f"{relation}.") or [] if all(r.get(k) == v for k, v in match)), None)
            if row is None:
                filled = {k: v for k, v in values.items() if v is not None}
                if filled or (record_id is None and any(cv.ensure for cv in given)):
                    commands[relation].append(["create", [{**dict(match), **filled}]])
            elif any(cv.value is None and cv.child.clear == "delete" for cv in given if not cv.ensure):
                commands[relation].append(["delete", [row["id"]]])
            elif values:
                commands[relation].append(["write", [row["id"]], values])
        return dict(commands)

    async def _child_rows(self, model: Model, children: tuple[ChildValue, ...], record_id: int) -> dict[str, Any]:
        """The record's rows of the relations written, in Tryton's order (its getters read the first)."""
        fields = sorted(
            {
                f"{cv.child.relation}.{name}"
                for cv in children
                for name in (cv.child.field, *(k for k, _ in cv.child.match))
            }
        )
        rows = await self._search_read(  # type: ignore[attr-defined]
            model.model, [["id", "=", record_id]], 0, 1, fields, {"active_test": False}
        )
        if not rows:
            raise NotFound(f"Tryton has no {model.entity} {record_id}")
        return rows[0]

    async def _resolve(self, payload: Any) -> None:
        """Replace every `Find` with the value it names: one search per kind of lookup."""
        wanted: dict[tuple[str, str, str], set[Any]] = defaultdict(set)
        for find, _, _ in _finds(payload):
            wanted[(find.model, find.key, find.take)].add(find.value)
        found: dict[tuple[str, str, str, Any], Any] = {}
        for (model, key, take), keys in wanted.items():
            rows = await self._search_read(  # type: ignore[attr-defined]
                model, [[key, "in", sorted(keys, key=str)]], 0, None, [key, take], {"active_test": False}
            )
            for row in rows:
                found.setdefault((model, key, take, row[key]), row[take])
        for find, holder, slot in list(_finds(payload)):
            value = found.get((find.model, find.key, find.take, find.value))
            if value is None and not find.optional:
                raise BadUserInput(f"Tryton has no {find.model} with {find.key} '{find.value}'", field=find.key)
            holder[slot] = value

    # -- calls ------------------------------------------------------------------

    async def _rpc(self, model: str, method: str, args: list[Any], context: dict[str, Any] | None = None) -> Any:
        """A call that changes data: never resent (its answer may be lost after Tryton committed)."""
        return await self.call(f"model.{model}.{method}", args, context or {}, idempotent=False)  # type: ignore[attr-defined]

    async def _write_call(
        self, model: Model, method: str, args: list[Any], record_id: int | None = None, if_match: str | None = None
    ) -> Any:
        return await self._rpc(model.model, method, args, _stamp(model, record_id, if_match))

    async def _press(
        self, model: Model, record_id: int, buttons: tuple[tuple[str, tuple[str, ...]], ...], if_match: str | None
    ) -> None:
        """Workflow buttons in order, each only where Tryton shows it for the record's state (it refuses a
        hidden one); the version check goes with the first pressed (its state write checks it), else here."""
        for button, shown in buttons:
            if shown and await self._state(model, record_id) not in shown:
                continue
            await self._rpc(model.model, button, [[record_id]], _stamp(model, record_id, if_match))
            if_match = None
        if if_match is not None and buttons and await self._version(model, record_id) != if_match:
            raise Conflict(f"Tryton's {model.model} {record_id} changed since the version given")

    async def _state(self, model: Model, record_id: int) -> Any:
        rows = await self._search_read(  # type: ignore[attr-defined]
            model.model, [["id", "=", record_id]], 0, 1, [model.status_remote or "state"], {}
        )
        return rows[0].get(model.status_remote or "state") if rows else None

    async def _undo_create(self, model: Model, record_id: int) -> None:
        """Best effort: cancel (what a workflow moved may only go that way) and delete."""
        for method in ("cancel", "delete"):
            with suppress(SystemRejected):
                await self._rpc(model.model, method, [[record_id]])

    async def _version(self, model: Model, record_id: int) -> str | None:
        """The record's current `_timestamp`, None when it does not exist."""
        rows = await self._search_read(  # type: ignore[attr-defined]
            model.model, [["id", "=", record_id]], 0, 1, ["_timestamp"], {"active_test": False}
        )
        return str(rows[0]["_timestamp"]) if rows else None

    async def _explained(self, model: Model, entity: str, record_id: int, exc: SystemRejected) -> Exception:
        """A refusal made precise: gone (NotFound), or changed since the client's version (with the current one)."""
        current = await self._version(model, record_id)
        if current is None:
            return NotFound(f"Tryton has no {entity} {record_id}")
        if isinstance(exc, Conflict):
            return Conflict(
                f"{entity} {record_id} changed in Tryton since the version given; read it again",
                current_version=current,
            )
        return exc

    async def _written(self, entity: str, remote_id: str) -> Record:
        """The record as Tryton now has it (numbers, totals and states are Tryton's to compute)."""
        found = await self.fetch_many(entity, [remote_id])  # type: ignore[attr-defined]
        if not found:
            raise SystemRejected(f"Tryton did not return the written {entity} {remote_id}")
        return self.with_custom_values(found)[0]  # type: ignore[attr-defined]


def _reached(record: Record, values: dict[str, Any]) -> Record:
    """Workflow buttons skip what they cannot move: say so rather than return another status."""
    wanted, status = values.get("status"), record.values.get("status")
    if wanted is not None and status != wanted:
        raise SystemRejected(
            f"Tryton's workflow did not take {record.entity} {record.remote_id} to {wanted}: it is {status}"
        )
    return record


def _record_id(entity: str, remote_id: str) -> int:
    if not str(remote_id).isdigit():
        raise BadUserInput(f"'{remote_id}' is not a Tryton {entity} id", field="id")
    return int(remote_id)


def _stamp(model: Model, record_id: int | None, if_match: str | None) -> dict[str, Any]:
    if record_id is None or if_match is None:
        return {}
    return {"_timestamp": {f"{model.model},{record_id}": if_match}}


def _by_row(children: tuple[ChildValue, ...]) -> dict[tuple[str, tuple[tuple[str, Any], ...]], list[ChildValue]]:
    """Child values grouped by the row they land in (relation and match)."""
    grouped: dict[tuple[str, tuple[tuple[str, Any], ...]], list[ChildValue]] = defaultdict(list)
    for cv in children:
        grouped[(cv.child.relation, cv.child.match)].append(cv)
    return grouped


def _finds(value: Any) -> Iterator[tuple[Find, Any, Any]]:
    """Every `Find` in a payload with the dict or list holding it and its key or index."""
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for slot, item in items:
        if isinstance(item, Find):
            yield item, value, slot
        else:
            yield from _finds(item)

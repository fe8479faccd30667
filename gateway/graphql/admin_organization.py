"""The organization's own settings in the admin schema: what its connection tokens may do beyond the model."""

from __future__ import annotations

import enum
from typing import Annotated, Optional

import strawberry

from ..audit import AuditAction, Target
from ..passthrough import PassthroughMode, mode_of, set_mode
from .admin_audit import audited
from .context import RequestContext


@strawberry.enum(
    name="PassthroughMode",
    description="Which raw requests connection tokens may send (passthrough): none, reads, or all.",
)
class PassthroughSetting(enum.Enum):
    _value_: str
    OFF = strawberry.enum_value("OFF", description="None: passthrough answers FORBIDDEN (PASSTHROUGH_DISABLED).")
    READ_ONLY = strawberry.enum_value("READ_ONLY", description="GET, HEAD and OPTIONS only (the default).")
    FULL = strawberry.enum_value("FULL", description="Every method, writes included (never retried).")


@strawberry.type(description="Settings of the organization.")
class OrganizationSettings:
    passthrough: PassthroughSetting = strawberry.field(
        description="Which raw requests the organization's connection tokens may send to their systems "
        "(`passthrough` mutation, `POST /passthrough`). READ_ONLY unless an admin changes it."
    )


@strawberry.input(description="Settings to change; those left out stay as they are.")
class OrganizationSettingsInput:
    passthrough: Optional[PassthroughSetting] = strawberry.field(
        default=None, description="OFF, READ_ONLY (GET, HEAD, OPTIONS) or FULL."
    )


@strawberry.type
class OrganizationQuery:
    @strawberry.field(description="The organization's settings.")
    async def organization_settings(self, info: strawberry.Info) -> OrganizationSettings:
        ctx: RequestContext = info.context
        store = ctx.services.store
        return _settings(await store.run(mode_of, store, ctx.principal.organization_id))


@strawberry.type
class OrganizationMutation:
    @strawberry.mutation(description="Change the organization's settings; effective from the next request.")
    async def update_organization_settings(
        self,
        info: strawberry.Info,
        input: Annotated[OrganizationSettingsInput, strawberry.argument(description="The settings to change.")],
    ) -> OrganizationSettings:
        ctx: RequestContext = info.context
        store, organization_id = ctx.services.store, ctx.principal.organization_id
        if input.passthrough is not None:
            await store.run(set_mode, store, organization_id, PassthroughMode(input.passthrough.value))
            target = Target("ORGANIZATION", organization_id)
            changes = {"passthrough": input.passthrough.value}
            await audited(ctx, AuditAction.ORGANIZATION_SETTINGS_UPDATE, target, changes)
        return _settings(await store.run(mode_of, store, organization_id))


def _settings(mode: PassthroughMode) -> OrganizationSettings:
    return OrganizationSettings(passthrough=PassthroughSetting(mode.value))

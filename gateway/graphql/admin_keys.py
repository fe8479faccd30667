"""Admin keys from the admin schema: rotating the key that calls retires it everywhere at once."""

from __future__ import annotations

from typing import Optional

import strawberry

from schema.errors import Unauthenticated

from ..auth import bearer, hash_secret
from ..events import revocation
from ..organizations import rotate_admin_key
from .context import RequestContext


@strawberry.type(description="A new admin key.")
class AdminKeyRotated:
    key: str = strawberry.field(description="The new admin key. Shown once: store it now.")


@strawberry.type
class AdminKeyMutation:
    @strawberry.mutation(
        description="A new admin key in place of the one sending this request, which stops working now: "
        "HTTP refuses it and sockets opened with it close (4403) on every process."
    )
    async def rotate_admin_key(self, info: strawberry.Info) -> Optional[AdminKeyRotated]:
        ctx: RequestContext = info.context
        token = bearer(ctx.request.headers.get("authorization"))
        if token is None:
            raise Unauthenticated("send the admin key to rotate as 'Authorization: Bearer <key>'")
        services, organization_id = ctx.services, ctx.principal.organization_id
        key = await services.store.run(rotate_admin_key, services.store, organization_id, hash_secret(token))
        await revocation.publish(services.bus, organization_id)
        return AdminKeyRotated(key=key)

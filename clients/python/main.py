"""Every work order page by page, one read by id, one create, with the generated client.

PLANTGATE_URL and PLANTGATE_TOKEN from the environment; prints one JSON line.
"""

from __future__ import annotations

import asyncio
import json
import os

from plantgate_client import Plantgate, Priority, WorkOrderCreateInput


async def main() -> None:
    url = os.environ.get("PLANTGATE_URL", "http://127.0.0.1:8000/graphql")
    client = Plantgate(url=url, headers={"Authorization": f"Bearer {os.environ.get('PLANTGATE_TOKEN', '')}"})
    numbers: list[str] = []
    after: str | None = None
    pages = 0
    while True:
        page = (await client.work_order_page(first=50, after=after)).work_orders
        assert page is not None, "workOrders answered null"
        numbers += [edge.node.number or edge.node.remote_id or edge.node.id for edge in page.edges]
        pages += 1
        if not page.page_info.has_next_page:
            break
        after = page.page_info.end_cursor
    first = (await client.work_order_page(first=1)).work_orders
    by_id = await client.work_order_by_id(id=first.edges[0].node.id) if first and first.edges else None
    created = await client.create_work_order(
        input=WorkOrderCreateInput(title="Replace drive belt", priority=Priority.HIGH),
        idempotency_key=os.environ.get("PLANTGATE_IDEMPOTENCY_KEY"),
    )
    print(
        json.dumps(
            {
                "pages": pages,
                "numbers": numbers,
                "byId": by_id.work_order.model_dump(by_alias=True) if by_id and by_id.work_order else None,
                "created": created.create_work_order.model_dump(by_alias=True),
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(main())

"""The pages a sync reads ahead of its commits: bounded by size, taken together, failures in order."""

from __future__ import annotations

import asyncio

import pytest

from gateway.replica import PageRows
from gateway.sync.read_ahead import ReadAhead, ReadPage


def page(n: int, text: int = 100, last: bool = False) -> ReadPage:
    """Page `n` with one row whose JSON texts are `text` characters in all."""
    row = ("WorkOrder", f"wo-{n}", "v" * (text // 2), "d" * (text - text // 2), None, None, None, None)
    rows = PageRows("WorkOrder", {f"wo-{n}": {}}, {f"wo-{n}": row})
    return ReadPage.of(rows, 1, None if last else f"cursor-{n + 1}")


async def test_a_transaction_takes_every_page_read_meanwhile_up_to_the_last():
    pages = ReadAhead(10_000)
    for n in range(3):
        await pages.put(page(n))
    await pages.put(page(3, last=True))
    batch = await pages.take()
    assert [p.next_cursor for p in batch] == ["cursor-1", "cursor-2", "cursor-3", None]
    assert batch[0].size == 100 and pages.queued == 0


async def test_the_reader_waits_while_the_queued_text_would_exceed_the_budget():
    pages = ReadAhead(250)
    await pages.put(page(0))
    await pages.put(page(1))  # 200 of 250
    third = asyncio.create_task(pages.put(page(2)))
    await asyncio.sleep(0.01)
    assert not third.done() and pages.queued == 200
    assert [p.next_cursor for p in await pages.take()] == ["cursor-1", "cursor-2"]
    await asyncio.wait_for(third, 1)  # room again once the commit took them
    assert pages.queued == 100


async def test_a_page_larger_than_the_budget_still_goes_alone():
    pages = ReadAhead(50)
    await asyncio.wait_for(pages.put(page(0, text=400)), 1)
    second = asyncio.create_task(pages.put(page(1)))
    await asyncio.sleep(0.01)
    assert not second.done()
    assert len(await pages.take()) == 1
    await asyncio.wait_for(second, 1)


async def test_a_failure_comes_after_the_pages_read_before_it():
    pages = ReadAhead(10_000)
    await pages.put(page(0))
    await pages.put(page(1))
    pages.fail(RuntimeError("page 3 refused"))
    assert [p.next_cursor for p in await pages.take()] == ["cursor-1", "cursor-2"]  # committed first
    with pytest.raises(RuntimeError, match="page 3 refused"):
        await pages.take()

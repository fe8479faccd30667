"""The kit's paginators as plain objects: where a cursor starts a page, the cursor after it, and the
cursor formats clients hold (they must never change)."""

from __future__ import annotations

import pytest

from connectors.paging import (
    MAX_POSITION,
    OVERLAP,
    TAIL,
    CursorPaging,
    KeysetPaging,
    OffsetCursor,
    OffsetPaging,
    PagePaging,
    PositionPaging,
    Start,
)
from schema.errors import BadUserInput

ODATA = KeysetPaging("k:", offsets=True)
TRYTON = KeysetPaging("id>", key=r"[0-9]+", offsets=True)
MAXIMO = KeysetPaging()


def refused(paginator: KeysetPaging | PositionPaging, cursor: str) -> BadUserInput:
    with pytest.raises(BadUserInput) as error:
        paginator.start(cursor)
    assert error.value.extensions["field"] == "after"
    return error.value


# -- offset + limit, resumed after the last rows seen -----------------------------------------------


def test_an_offset_cursor_is_written_and_read_back_with_its_ids_quoted() -> None:
    cursor = OffsetCursor(40, ("a", "b,c", "d:e"))
    assert str(cursor) == "40:a,b%2Cc,d%3Ae"
    assert OffsetCursor.parse(str(cursor)) == cursor
    assert str(OffsetCursor(7)) == "7" and OffsetCursor.parse("7") == OffsetCursor(7)
    assert OffsetCursor.parse(None) == OffsetCursor(0)


def test_offset_paging_asks_from_the_overlap_before_a_cursor_with_ids() -> None:
    paging = OffsetPaging("skip", "take")
    assert paging.params(None, 50) == {"skip": 0, "take": 50}
    assert paging.params("60", 50) == {"skip": 60, "take": 50}, "a plain offset re-reads nothing"
    assert paging.params("60:x", 50) == {"skip": 60 - OVERLAP, "take": 50 + OVERLAP}
    assert paging.params("5:x", 50) == {"skip": 0, "take": 55}, "never before the first row"
    assert paging.params("60:x", 50, cap=60) == {"skip": 40, "take": 60}, "never more rows than the cap"


def test_offset_paging_continues_after_the_newest_id_seen_that_is_still_listed() -> None:
    paging = OffsetPaging()
    served = [f"r{i}" for i in range(20, 90)]  # asked from 20 (overlap) for 70 rows: two rows before 40 went
    window, cursor = paging.cut("40:r38,r39,r40", 50, served, body=None)
    assert served[window][0] == "r41", "resumes right after r40, wherever it is now"
    assert cursor == str(OffsetCursor(20 + window.stop, tuple(served[window.stop - TAIL : window.stop])))


def test_offset_paging_falls_back_to_the_position_when_no_id_seen_is_listed() -> None:
    served = [f"n{i}" for i in range(70)]
    window, _ = OffsetPaging().cut("40:gone", 50, served, body=None)
    assert window.start == OVERLAP, "the plain offset: the cursor's position in the list as it is now"


def test_a_short_offset_page_is_the_last() -> None:
    window, cursor = OffsetPaging().cut(None, 50, ["a", "b"], body=None)
    assert (window, cursor) == (slice(0, 2), None)


def test_offset_paging_refuses_a_cursor_it_did_not_write() -> None:
    paging = OffsetPaging()
    with pytest.raises(BadUserInput) as error:
        paging.params("page-2", 10)
    assert error.value.extensions["field"] == "after"
    assert not paging.valid("page-2") and not paging.valid("-1") and paging.valid("3:a")


# -- the system's own cursor ----------------------------------------------------------------------------


def test_cursor_paging_passes_the_systems_cursor_through() -> None:
    paging = CursorPaging("cursor", "limit", "meta.next")
    assert paging.params(None, 10) == {"limit": 10}
    assert paging.params("abc", 10) == {"limit": 10, "cursor": "abc"}
    assert paging.cut("abc", 10, ["1"], {"meta": {"next": "def"}}) == (slice(None), "def")
    assert paging.cut("abc", 10, ["1"], {"meta": {"next": None}}) == (slice(None), None)
    assert paging.valid("x") and not paging.valid("")


# -- page numbers -----------------------------------------------------------------------------------


def test_page_paging_asks_for_the_page_holding_the_cursors_row() -> None:
    paging = PagePaging("page", "limit")
    assert paging.params(None, 50) == {"page": 1, "limit": 50}
    assert paging.params("100", 50) == {"page": 3, "limit": 50}
    assert paging.params("30", 20) == {"page": 2, "limit": 20}, "another page size: the page holding row 30"
    assert paging.params("30", 500, cap=100) == {"page": 1, "limit": 100}
    window, cursor = paging.cut("30", 20, [str(i) for i in range(20, 40)], body=None)
    assert (window, cursor) == (slice(10, 20), "40:35,36,37,38,39"), "rows before the cursor's row are cut"
    assert paging.cut("40", 20, ["40", "41"], body=None) == (slice(0, 2), None), "a short page is the last"
    assert paging.params("30", 20, cap=100) == {"page": 2, "limit": 25}, "a page size whose one page holds rows 30..49"
    with pytest.raises(BadUserInput):
        paging.params("page-2", 20)
    assert paging.valid("20") and paging.valid("40:38,39") and not paging.valid("k:20")


def test_page_paging_rereads_an_overlap_in_one_page_and_resumes_after_the_last_row_seen() -> None:
    paging = PagePaging("page", "limit")
    rows = [str(i) for i in range(200)]
    params = paging.params("50:45,46,47,48,49", 20, cap=200)
    size, page = params["limit"], params["page"]
    start = (page - 1) * size
    assert start <= 50 - OVERLAP and start + size >= 70, f"one page holds rows 30..69: {params}"
    gone = {"41", "47", "49"}  # deleted before the cursor between the two pages
    served = [r for r in rows if r not in gone][start : start + size]
    window, cursor = paging.cut("50:45,46,47,48,49", 20, served, body=None, cap=200)
    assert served[window] == rows[50:70], "resumes right after row 48, the newest row seen still listed"
    assert cursor is not None and cursor.endswith(":65,66,67,68,69")
    assert paging.params("50", 20, cap=200) == {"page": 3, "limit": 24}, "a plain position: no overlap to read"


# -- keys and positions -------------------------------------------------------------------------------


def test_keyset_cursors_carry_the_last_key_after_their_prefix() -> None:
    assert ODATA.start(None) == Start()
    assert ODATA.start("k:4000123") == Start(after="4000123")
    assert ODATA.start("k:A'B") == Start(after="A'B"), "any key text; quoting is the protocol's"
    assert TRYTON.start("id>42") == Start(after="42")
    assert MAXIMO.start("WO-1001") == Start(after="WO-1001"), "Maximo's cursor is the bare key"
    assert MAXIMO.start("40") == Start(after="40"), "digits are a key where no offset cursor was ever written"


def test_a_keyset_list_reads_an_old_offset_cursor_by_position_once() -> None:
    assert ODATA.start("40") == Start(offset=40)
    assert TRYTON.start("10") == Start(offset=10)
    after_it = TRYTON.next_cursor(Start(offset=10), [11, 12, 15], more=True)
    assert after_it == "id>15", "the page after an offset cursor goes by key"


def test_keyset_paging_refuses_what_it_did_not_write() -> None:
    refused(ODATA, "page-two")
    refused(TRYTON, "id>abc")
    refused(TRYTON, "k:5")
    refused(KeysetPaging("k:"), "40")  # no offset cursors were written for this list
    assert not TRYTON.valid("page-3") and TRYTON.valid("id>3") and TRYTON.valid("3")


def test_the_cursor_after_a_keyset_page_is_its_last_key_while_more_follow() -> None:
    assert ODATA.next_cursor(Start(), ["1", "2", "3"], more=True) == "k:3"
    assert ODATA.next_cursor(Start(), ["1", "2", "3"], more=False) is None
    assert ODATA.next_cursor(Start(), [], more=True) is None, "an empty page ends the list"
    assert MAXIMO.after("WO-9") == "WO-9" and TRYTON.after(7) == "id>7"


def test_position_paging_counts_the_rows_read() -> None:
    paging = PositionPaging()
    assert paging.start(None) == Start() and paging.start("30") == Start(offset=30)
    assert paging.next_cursor(Start(offset=30), ["a", "b"], more=True) == "32"
    assert paging.next_cursor(Start(offset=30), ["a", "b"], more=False) is None
    refused(paging, "k:30")
    assert paging.valid("0") and not paging.valid("²")


def test_no_paginator_reads_a_position_past_the_largest_a_list_can_have() -> None:
    """A tampered cursor's offset never reaches a system as a number it cannot read."""
    past, last = str(MAX_POSITION + 1), str(MAX_POSITION)
    for cursor in (past, f"{past}:a", "9" * 40):
        assert not OffsetPaging().valid(cursor)
        with pytest.raises(BadUserInput):
            OffsetPaging().params(cursor, 10)
        with pytest.raises(BadUserInput):
            PagePaging().params(cursor, 10)
        refused(PositionPaging(), cursor)
        refused(ODATA, cursor)
    assert OffsetPaging().params(f"{last}:a", 10)["offset"] == MAX_POSITION - OVERLAP
    assert PositionPaging().start(last) == Start(offset=MAX_POSITION) == ODATA.start(last)

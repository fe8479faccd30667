"""Fetch-many in calls of at most so many ids: the one way the kit splits a list of ids."""

from __future__ import annotations

from typing import TypeVar

T = TypeVar("T")


def chunks(items: list[T], size: int) -> list[list[T]]:
    """`items` in order, `size` at a time (the last chunk may be shorter)."""
    return [items[i : i + size] for i in range(0, len(items), size)]

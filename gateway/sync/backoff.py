"""Retry timing: exponential backoff with full jitter, honoured and capped Retry-After."""

from __future__ import annotations

import random


def full_jitter(failures: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """A random delay in [0, min(cap, base * 2**(failures-1))] (AWS "full jitter")."""
    ceiling = min(cap, base * (2 ** max(0, failures - 1)))
    return (rng or random).uniform(0, ceiling)


def with_jitter(interval: float, fraction: float, rng: random.Random | None = None) -> float:
    """The regular interval plus up to `fraction` of it, so connections do not fire together."""
    return interval + (rng or random).uniform(0, interval * fraction)


def retry_after(requested: float | None, cap: float, fallback: float) -> float:
    return min(cap, requested) if requested is not None else fallback

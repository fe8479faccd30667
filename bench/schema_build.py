"""Benchmark: building data schemas for many connections with distinct custom fields.

Run from the repo root: `.venv/bin/python bench/schema_build.py [--connections 1000] [--cache 256]`.

Each connection declares its own custom fields (two on WorkOrder, one enum on
Asset), so no two share a schema. The schemas go through the gateway's
`SchemaCache`, which builds lazily (on a connection's first request) and
evicts the least recently used past its size. Printed as markdown:
(a) build time per schema (median, p95) and in total;
(b) a cache hit (a connection's next request);
(c) memory: traced Python allocations held by the cache at its bound, and per
    schema, with the process's peak RSS — measured for the bounded cache and
    for an unbounded one holding every schema.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import resource
import statistics
import sys
import time
import tracemalloc

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from schema.builder import SchemaCache  # noqa: E402
from schema.model import CustomField, EnumDef, Extension  # noqa: E402


def extension(n: int) -> Extension:
    """Connection n's custom fields: distinct names, so every schema is its own."""
    return Extension(
        custom_fields=(
            CustomField("WorkOrder", f"costCenter{n}", "String", "customFields.costCenter", filterable=True),
            CustomField("WorkOrder", f"downtime{n}", "Int", "customFields.downtime", writable=True),
            CustomField("Asset", f"grade{n}", EnumDef(f"AssetCustomGrade{n}", ("A", "B", "C")), "customFields.grade"),
        )
    )


def held_by(cache: SchemaCache, count: int) -> tuple[list[float], int, int]:
    """Build `count` schemas through `cache`; build times and traced bytes held afterwards."""
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    times = []
    for n in range(count):
        started = time.perf_counter()
        cache.get(extension(n))
        times.append(time.perf_counter() - started)
    gc.collect()
    held = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    return times, held, len(cache)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--cache", type=int, default=256, help="SchemaCache size (the gateway's default)")
    args = parser.parse_args()

    bounded = SchemaCache(max_size=args.cache)
    times, held, kept = held_by(bounded, args.connections)
    hit_started = time.perf_counter()
    for n in range(args.connections - 100, args.connections):
        bounded.get(extension(n))
    hit = (time.perf_counter() - hit_started) / 100
    rss_bounded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    del bounded
    gc.collect()

    unbounded = SchemaCache(max_size=args.connections)
    _, held_all, kept_all = held_by(unbounded, args.connections)
    rss_all = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    ms = sorted(t * 1000 for t in times)
    print(f"## Schema build, {args.connections} connections with distinct custom fields\n")
    print(f"- machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, load {os.getloadavg()[0]:.2f}")
    print(f"- build per schema: median {statistics.median(ms):.1f} ms, p95 {ms[int(len(ms) * 0.95)]:.1f} ms, "
          f"total {sum(ms) / 1000:.1f} s")
    print(f"- cache hit (next request of a connection): {hit * 1e6:.1f} µs")
    print(f"- bounded cache ({args.cache}): {kept} schemas held, {held / 2**20:.1f} MiB traced "
          f"({held / max(kept, 1) / 1024:.0f} KiB each), peak RSS {rss_bounded:.0f} MiB")
    print(f"- unbounded ({args.connections}): {kept_all} schemas held, {held_all / 2**20:.1f} MiB traced "
          f"({held_all / max(kept_all, 1) / 1024:.0f} KiB each), peak RSS {rss_all:.0f} MiB")


if __name__ == "__main__":
    main()

"""Benchmark: building data schemas for many connections with distinct custom fields.

Run from the repo root: `.venv/bin/python bench/schema_build.py [--connections 1000] [--cache 256]`.

Each connection declares its own custom fields (two on WorkOrder, one enum on
Asset), so no two share a schema. The schemas go through the gateway's
`SchemaCache`, which builds lazily (on a connection's first request) and
evicts the least recently used past its size. Printed as markdown:
(a) build time per schema (median, p95) and in total;
(b) a cache hit (a connection's next request);
(c) memory: the process's RSS after all builds (the cache holds at most
    `--cache` schemas), and the bytes one schema holds (tracemalloc over a
    sample, as tracing every build would slow it tenfold).

Run it twice to compare a bounded cache with one that keeps every schema:
`--cache 256` (the gateway's default) and `--cache 1000`.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import sys
import time
import tracemalloc

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from gateway.graphql.builder import SchemaCache
from schema.model import CustomField, EnumDef, Extension


def extension(n: int) -> Extension:
    """Connection n's custom fields: distinct names, so every schema is its own."""
    return Extension(
        custom_fields=(
            CustomField("WorkOrder", f"costCenter{n}", "String", "customFields.costCenter", filterable=True),
            CustomField("WorkOrder", f"downtime{n}", "Int", "customFields.downtime", writable=True),
            CustomField("Asset", f"grade{n}", EnumDef(f"AssetCustomGrade{n}", ("A", "B", "C")), "customFields.grade"),
        )
    )


def rss_mib() -> float:
    """Current resident set size (Linux /proc)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def bytes_per_schema(sample: int = 20) -> float:
    """Traced bytes one schema keeps alive, averaged over a sample held in an unbounded cache."""
    cache = SchemaCache(max_size=sample)
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    for n in range(10**6, 10**6 + sample):
        cache.get(extension(n))
    gc.collect()
    held = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    return held / sample


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--cache", type=int, default=256, help="SchemaCache size (the gateway's default)")
    args = parser.parse_args()

    SchemaCache().get(Extension())  # imports and the default schema, as a running gateway has them
    rss_before = rss_mib()
    cache = SchemaCache(max_size=args.cache)
    times = []
    for n in range(args.connections):
        started = time.perf_counter()
        cache.get(extension(n))
        times.append(time.perf_counter() - started)
    gc.collect()
    rss_after = rss_mib()
    hit_started = time.perf_counter()
    for n in range(args.connections - 100, args.connections):
        cache.get(extension(n))
    hit = (time.perf_counter() - hit_started) / 100
    per_schema = bytes_per_schema()

    ms = sorted(t * 1000 for t in times)
    print(f"## Schema build: {args.connections} connections with distinct custom fields, cache of {args.cache}\n")
    print(
        f"- machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, load {os.getloadavg()[0]:.2f}"
    )
    print(
        f"- build per schema: median {statistics.median(ms):.1f} ms, p95 {ms[int(len(ms) * 0.95)]:.1f} ms, "
        f"total {sum(ms) / 1000:.1f} s"
    )
    print(f"- cache hit (a connection's next request): {hit * 1e6:.1f} µs")
    print(
        f"- schemas held: {len(cache)}; RSS {rss_before:.0f} MiB before, {rss_after:.0f} MiB after "
        f"(+{rss_after - rss_before:.0f} MiB); one schema holds {per_schema / 2**20:.2f} MiB (traced)"
    )


if __name__ == "__main__":
    main()

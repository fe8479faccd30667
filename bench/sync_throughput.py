"""Benchmark: how fast a sync fills the replica, and whether its memory stays flat.

Run from the repo root: `.venv/bin/python bench/sync_throughput.py`.

The UpKeep sandbox holds about 1,300 records, too few to see a trend, so this
script serves its own source: a small app speaking UpKeep's wire format whose
work orders are computed from their offset (nothing is held in memory, so the
source cannot be what grows). An UpKeep connection is created against it, its
sync lease claimed as the scheduler would, and the real `SyncRunner` syncs it
into the replica on SQLite (a temporary file) and on PostgreSQL (a temporary
database, created and dropped here).

Each sync runs in a fresh child process, so every memory figure starts from the
same baseline and no run inherits another's heap. A background thread samples
VmRSS from /proc/self/status; the largest run reports the peak per band of
records read (up to 10%, 50% and 100% of them): flat bands mean memory does not
grow with the number of records. Then the same connection is synced again in
full over the unchanged records, as a scheduled full pass would: every row is
compared and none rewritten. The source runs in a process of its own, forked by
the measured one before it starts (`SourceProcess`): a real system's CPU is not
the gateway's, nor its GIL. It shares the machine's two cores with the syncing
process and the database server, so it is kept cheap (`quick_work_order` and
orjson serve what the readable `work_order` and Starlette's `JSONResponse` would,
byte for byte, checked as each source starts). Process CPU is the syncing
process's alone.
The child tunes the garbage collector as the serving process does on start
(`gateway.collector`): that process's scheduler is what runs syncs.

The same source is loaded by dlt's `rest_api` source with `merge` (`bench/dlt_sync.py`,
the `bench` extra), and with `--baseline` by the runner of another checkout; the sides
alternate run by run, each in its own process, and the report gives each side's
median and its ratio to dlt's, with the load average, process CPU and peak RSS of every run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import functools
import io
import json
import multiprocessing
import os
import pstats
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import psycopg
import uvicorn
from cryptography.fernet import Fernet
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from connectors.catalog import CLOUD
from gateway import replica
from gateway.collector import tune_for_serving
from gateway.connections import NewConnection
from gateway.organizations import create_organization
from gateway.services import Services
from gateway.settings import Settings
from gateway.store.sync_tables import SyncSchedule, SyncState
from gateway.sync import schedule
from gateway.sync.runner import SyncRunner

PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/postgres"
LOGIN = {"email": "bench@upkeep.example", "password": "bench"}
SESSION = "bench-session-token"
MAX_LIMIT = 200  # the UpKeep sandbox's page cap
LATENCY_ENV = "PLANTGATE_BENCH_SOURCE_LATENCY_MS"  # --source-latency, handed to every child (each side alike)
RUN_TIMEOUT = 1800.0  # seconds per child sync: a hung run must not hang the benchmark
SAMPLE_EVERY = 0.02  # seconds between RSS samples
BANDS = (0.1, 0.5, 1.0)  # memory checkpoints, as fractions of the records synced
ANALYZE_AT = 1_000  # records read before the "postgresql-analyzed" store runs ANALYZE
STORES = ("sqlite", "postgresql", "postgresql-analyzed")
SIDES = ("plantgate", "dlt")
BASELINE = "baseline"  # Plantgate's runner from another checkout (--baseline), run as a third side

# -- the synthetic source ---------------------------------------------------------

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
STATUSES = ("complete", "complete", "open", "inProgress", "onHold")
CATEGORIES = ("Preventive", "Inspection", "Mechanical", "Electrical", "Emergency", "Damage")
TITLES = (
    "Quarterly PM - {a}",
    "Lubricate {a}",
    "Fix oil leak on {a}",
    "Thermal scan of {a}",
    "Breaker tripping on {a}",
)
KINDS = ("Centrifugal Pump P", "Belt Conveyor CV", "Air Compressor AC", "Rooftop Unit RTU", "Forklift FK")
SECOND, DAY = 1000, 86_400_000


def base62(n: int, width: int = 9) -> str:
    digits = []
    for _ in range(width):
        n, r = divmod(n, 62)
        digits.append(BASE62[r])
    return "".join(reversed(digits))


def iso(ms: int) -> str:
    """UpKeep-style UTC timestamp with milliseconds and `Z`."""
    moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def work_order(i: int, anchor_ms: int, base62: Any = base62, iso: Any = iso) -> dict[str, Any]:
    """The i-th work order, with the seed's fields; varied by a hash of i, so reproducible.

    `base62` and `iso` are the readable definitions above; the source serves the same
    records through `quick_work_order`, whose helpers give the same text for less CPU."""
    h = (i * 2654435761) & 0xFFFFFFFF
    created = anchor_ms + i * 15 * SECOND  # 100k records span 17 days
    status = STATUSES[h % len(STATUSES)]
    category = CATEGORIES[(h >> 3) % len(CATEGORIES)]
    asset_n = (h >> 7) % 2000
    asset = f"{KINDS[asset_n % len(KINDS)]}-{asset_n:04d}"
    completed = created + (h % 20) * DAY // 4 if status == "complete" else None
    return {
        "id": base62(i + 62**8),
        "workOrderNo": f"WO-{i + 1:06d}",
        "title": TITLES[(h >> 11) % len(TITLES)].format(a=asset),
        "description": f"{category} work on {asset}. Reported during {('first', 'second', 'third')[h % 3]} shift.",
        "status": status,
        "priority": 3 if category == "Emergency" else (h >> 13) % 4,
        "category": category,
        "asset": base62(asset_n + 62**7),
        "location": base62(asset_n % 40 + 62**6),
        "assignedToUser": base62((h >> 17) % 25 + 62**5) if h % 7 else None,
        "additionalUsers": [base62((h >> 19) % 25 + 62**5)] if h % 3 == 0 else [],
        "requestedByUser": base62((h >> 21) % 25 + 62**5) if h % 10 < 7 else None,
        "dueDate": iso(created + ((h >> 5) % 30 + 1) * DAY) if h % 5 else None,
        "dateCompleted": iso(completed) if completed is not None else None,
        "estimatedTime": (None, 0.5, 1.0, 2.0, 4.0, 8.0)[(h >> 9) % 6],
        "time": (h % 40 + 1) / 4 if status == "complete" else None,
        "createdAt": iso(created),
        "updatedAt": iso(completed or created + (h % 3) * DAY),
    }


# The source stands in for a vendor on another machine, yet shares this one's two cores with the
# syncing side and the database. These helpers make the same text as `base62` and `iso` for a
# fraction of the CPU (checked against them by `check_source`), so it takes little of them.
# Their caches are bounded: the references and days are a few thousand at most.
_base62_cached = functools.lru_cache(maxsize=4096)(base62)
_day_prefix = functools.lru_cache(maxsize=4096)(lambda day: iso(day * DAY)[:11])


def quick_base62(n: int) -> str:
    """`base62(n)`: references (below 62**8) repeat and are cached; record ids are not."""
    return _base62_cached(n) if n < 62**8 else base62(n)


def quick_iso(ms: int) -> str:
    """`iso(ms)` from the day's cached date and integer arithmetic."""
    day, rest = divmod(ms, DAY)
    seconds, millis = divmod(rest, SECOND)
    minutes, second = divmod(seconds, 60)
    hour, minute = divmod(minutes, 60)
    return f"{_day_prefix(day)}{hour:02d}:{minute:02d}:{second:02d}.{millis:03d}Z"


def quick_work_order(i: int, anchor_ms: int) -> dict[str, Any]:
    return work_order(i, anchor_ms, quick_base62, quick_iso)


def page_body(offset: int, end: int, anchor_ms: int) -> bytes:
    """A list response as Starlette's `JSONResponse` renders it (compact, UTF-8), made by orjson."""
    return orjson.dumps({"success": True, "results": [quick_work_order(i, anchor_ms) for i in range(offset, end)]})


def check_source(anchor_ms: int, samples: int = 3_000) -> None:
    """The quick source serves exactly what the readable definitions and `JSONResponse` would."""
    for offset in range(0, 200_000, 200_000 // 5):
        end = offset + samples // 5
        records = [work_order(i, anchor_ms) for i in range(offset, end)]
        expected = JSONResponse({"success": True, "results": records}).body
        if page_body(offset, end, anchor_ms) != expected:
            raise RuntimeError(f"the quick source differs from the reference at records {offset}..{end}")


class Progress:
    """How far the source has been read: the memory sampler's x axis, shared with the source's process."""

    def __init__(self) -> None:
        self._served = multiprocessing.get_context("fork").Value("q", 0, lock=False)

    @property
    def served(self) -> int:
        return int(self._served.value)

    @served.setter
    def served(self, records: int) -> None:
        self._served.value = records


def create_source(total: int, progress: Progress) -> Starlette:
    """UpKeep's auth and list routes; `total` work orders, every other resource empty.

    All records fall within the last 60 days, inside the sync's default 90-day
    window, so the `updatedAtGreaterThan` the connector sends needs no filtering.
    """
    anchor = int((datetime.now(UTC) - timedelta(days=60)).timestamp() * 1000)
    check_source(anchor)
    latency = float(os.environ.get(LATENCY_ENV, "0")) / 1000  # a system's own time per page (--source-latency)

    async def login(request: Request) -> Response:
        if await request.json() != LOGIN:
            return JSONResponse({"success": False, "statusCode": 400, "message": "Invalid email or password"}, 400)
        return JSONResponse({"success": True, "result": {"sessionToken": SESSION, "userId": "ApiUser00"}})

    async def list_records(request: Request) -> Response:
        if request.headers.get("session-token") != SESSION:
            return JSONResponse({"success": False, "statusCode": 401, "message": "Invalid session token"}, 401)
        if request.path_params["resource"] != "work-orders":
            return JSONResponse({"success": True, "results": []})
        if latency:
            await asyncio.sleep(latency)
        offset = int(request.query_params.get("offset", 0))
        end = min(offset + min(int(request.query_params.get("limit", 100)), MAX_LIMIT), total)
        progress.served = max(progress.served, end)
        return Response(page_body(offset, end, anchor), media_type="application/json")

    return Starlette(
        routes=[
            Route("/api/v2/auth", login, methods=["POST"]),
            Route("/api/v2/{resource}", list_records, methods=["GET"]),
        ]
    )


def _serve(app: Starlette, sock: socket.socket) -> None:
    uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off", timeout_graceful_shutdown=1)).run(
        sockets=[sock]
    )


class SourceProcess:
    """The source served from a process of its own, as a real system is served from a machine of its own:
    its CPU is not the syncing process's, nor does it take that process's GIL. Forked before the
    measured process starts any thread; both sides of a comparison get it alike."""

    def __init__(self, app: Starlette) -> None:
        self.app = app
        self.port = 0
        self._process: Any = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> SourceProcess:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        sock.listen(128)  # connections queue from here on, so the first request cannot miss the server
        self.port = sock.getsockname()[1]
        self._process = multiprocessing.get_context("fork").Process(target=_serve, args=(self.app, sock), daemon=True)
        self._process.start()
        sock.close()
        return self

    def __exit__(self, *exc: object) -> None:
        self._process.terminate()
        self._process.join(timeout=10)
        if self._process.is_alive():
            self._process.kill()


# -- memory -----------------------------------------------------------------------------


def rss_kib(field_name: str = "VmRSS") -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1])
    return 0


class RssSampler(threading.Thread):
    """Peak RSS per band of records read, and when each band was done.

    Keeps two numbers per band, so the sampler itself cannot grow. The band
    times show whether the rate drops as the replica fills.
    """

    def __init__(self, progress: Progress, total: int) -> None:
        super().__init__(daemon=True)
        self.progress = progress
        self.limits = [max(1, round(total * b)) for b in BANDS]
        self.peaks = [0] * len(BANDS)
        self.done_at = [0.0] * len(BANDS)
        self.samples = 0
        self.started = time.perf_counter()
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            self._sample()
            self._done.wait(SAMPLE_EVERY)
        self._sample()

    def _sample(self) -> None:
        served, rss = self.progress.served, rss_kib()
        band = next((n for n, limit in enumerate(self.limits) if served <= limit), len(self.limits) - 1)
        self.peaks[band] = max(self.peaks[band], rss)
        for n, limit in enumerate(self.limits):
            if served >= limit and not self.done_at[n]:
                self.done_at[n] = time.perf_counter() - self.started
        self.samples += 1

    def stop(self) -> None:
        self._done.set()
        self.join(timeout=5)


class Analyzer(threading.Thread):
    """ANALYZE the replica once `at` records are read, as autovacuum would on its next round."""

    def __init__(self, progress: Progress, at: int, database_url: str) -> None:
        super().__init__(daemon=True)
        self.progress, self.at, self.database_url = progress, at, database_url
        self.ran = False
        self._done = threading.Event()

    def run(self) -> None:
        while self.progress.served < self.at:
            if self._done.wait(0.05):
                return
        with psycopg.connect(self.database_url, autocommit=True, connect_timeout=5) as conn:
            conn.execute("ANALYZE replica_record")
        self.ran = True

    def stop(self) -> None:
        self._done.set()
        self.join(timeout=30)


# -- one sync (child process) -------------------------------------------------------------


@dataclass
class RunResult:
    backend: str
    records: int
    seconds: float
    page_size: int
    baseline_kib: int
    band_limits: list[int]
    band_peaks_kib: list[int]
    band_seconds: list[float]
    hwm_kib: int
    samples: int
    resync_seconds: float = 0.0
    profile: str = ""
    cpu_seconds: float = 0.0  # CPU time of the syncing process (not the source's, nor the database server's)
    resync_cpu_seconds: float = 0.0
    store: str = ""
    side: str = "plantgate"
    load: str = ""  # 1-minute load average when the run started / ended

    @property
    def per_second(self) -> float:
        return self.records / self.seconds

    @property
    def resync_per_second(self) -> float:
        return self.records / self.resync_seconds if self.resync_seconds else 0.0  # 0: not run (--dlt-once)


@dataclass
class Timing:
    """Wall and process CPU seconds of the first load and of the re-sync."""

    seconds: float
    cpu: float
    resync: float
    resync_cpu: float


def measured(
    backend: str, total: int, page_size: int, baseline: int, sampler: RssSampler, timing: Timing, **extra: str
) -> RunResult:
    """A child's result: its timings, and the memory its sampler saw."""
    return RunResult(
        backend,
        total,
        timing.seconds,
        page_size,
        baseline,
        sampler.limits,
        sampler.peaks,
        sampler.done_at,
        rss_kib("VmHWM"),
        sampler.samples,
        timing.resync,
        cpu_seconds=timing.cpu,
        resync_cpu_seconds=timing.resync_cpu,
        **extra,
    )


async def inline(fn: Any, *args: Any) -> Any:
    """Store.run without the worker thread, so cProfile (main thread only) sees the database work."""
    return fn(*args)


async def sync_once(services: Services, source_url: str, total: int, progress: Progress, profile: bool) -> RunResult:
    """Create a connection to the source, claim its lease, and sync it once with the real runner."""
    store = services.store
    org = create_organization(store, f"bench-{uuid.uuid4().hex[:8]}", 10)
    request = NewConnection("upkeep", CLOUD, "Synthetic", dict(LOGIN), instance_url=source_url)
    connection, _ = await services.connections.create(org.organization.id, request)
    owner = f"bench-{os.getpid()}"
    claim(services, owner, connection.id)
    runner = SyncRunner(services, owner)
    progress.served = 0  # the connection check read one record
    profiler = cProfile.Profile() if profile else None
    if profiler:
        store.run = inline  # type: ignore[method-assign]
    baseline = rss_kib()
    sampler = RssSampler(progress, total)
    sampler.start()
    cpu = time.process_time()
    if profiler:
        profiler.enable()
    await runner.run(connection.id)
    if profiler:
        profiler.disable()
    seconds, cpu = time.perf_counter() - sampler.started, time.process_time() - cpu
    sampler.stop()
    check_synced(services, connection.id, total)
    resync, resync_cpu = await full_resync(services, runner, connection.id, total)
    text = ""
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(30)
        text = out.getvalue()
    timing = Timing(seconds, cpu, resync, resync_cpu)
    return measured(store.dialect, total, services.settings.sync_page_size, baseline, sampler, timing, profile=text)


def claim(services: Services, owner: str, connection_id: str) -> None:
    """Take the connection's lease as a scheduler tick would."""
    claimed = services.store.run_sync(lambda s: schedule.claim_due(s, owner, services.settings.lease_ttl, 1))
    if claimed != [connection_id]:
        raise RuntimeError(f"expected to claim {connection_id}, claimed {claimed}")


async def full_resync(services: Services, runner: SyncRunner, connection_id: str, total: int) -> tuple[float, float]:
    """A second full pass over the same, unchanged records: every row compared, none rewritten.

    Returns its wall time and the process's CPU time, in seconds."""
    services.store.run_sync(lambda s: schedule.request(s, connection_id, full=True))
    claim(services, runner.owner, connection_id)
    started, cpu = time.perf_counter(), time.process_time()
    await runner.run(connection_id)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    check_synced(services, connection_id, total)
    return seconds, cpu


def check_synced(services: Services, connection_id: str, total: int) -> None:
    """A run that failed or synced part of the source measures nothing."""
    with services.store.read() as session:
        state = session.get(SyncState, (connection_id, "WorkOrder"))
        rows = replica.count(session, connection_id, "WorkOrder")
        lease = session.get(SyncSchedule, connection_id)
    if state is None or state.state != "SUCCEEDED" or state.records_synced != total or rows != total:
        raise RuntimeError(
            f"sync incomplete: state={state and state.state} error={state and state.last_error} rows={rows}"
        )
    if lease is None or lease.lease_owner is not None or lease.failures:
        raise RuntimeError("the sync did not release its lease cleanly")


def child(total: int, database_url: str | None, profile: bool, analyze: bool) -> RunResult:
    with contextlib.ExitStack() as stack:
        tmp = Path(
            stack.enter_context(tempfile.TemporaryDirectory(prefix="plantgate-sync-bench-", ignore_cleanup_errors=True))
        )
        settings = Settings.from_env(
            data_dir=tmp,
            database_url=database_url or f"sqlite:///{tmp / 'plantgate.db'}",
            secret_key=Fernet.generate_key().decode(),
            scheduler=False,  # the benchmark claims the lease and runs the sync itself
            allowed_hosts=("127.0.0.1",),
            allow_insecure_http=True,  # the source is on plain-http loopback
        )
        progress = Progress()
        source = stack.enter_context(SourceProcess(create_source(total, progress)))
        analyzer = Analyzer(progress, ANALYZE_AT, database_url) if analyze and database_url else None
        services = Services.start(settings)
        stack.callback(services.store.close)
        tune_for_serving()  # as the serving process, whose scheduler runs the syncs, does on start
        if analyzer:
            analyzer.start()
            stack.callback(analyzer.stop)

        async def run() -> RunResult:
            try:
                return await sync_once(services, source.url, total, progress, profile)
            finally:
                await services.pool.aclose()

        result = asyncio.run(run())
        if analyzer:
            analyzer.stop()
        if analyzer and not analyzer.ran:
            raise RuntimeError("ANALYZE did not run; the analyzed figures would not be what they say")
        return result


def dlt_child(total: int, database_url: str | None, once: bool = False) -> RunResult:
    """The same source loaded by dlt (`rest_api`, `merge`) into the same kind of store, twice (`once`: once)."""
    import dlt_sync  # sibling script; needs the `bench` extra

    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(dlt_sync.scratch()))
        progress = Progress()
        source = stack.enter_context(SourceProcess(create_source(total, progress)))
        pipe = dlt_sync.pipeline(database_url, tmp)
        baseline = rss_kib()
        sampler = RssSampler(progress, total)
        sampler.start()
        cpu = time.process_time()
        seconds = dlt_sync.run(pipe, source.url, SESSION, MAX_LIMIT)
        cpu = time.process_time() - cpu
        sampler.stop()
        if (loaded := dlt_sync.count(pipe)) != total:
            raise RuntimeError(f"dlt loaded {loaded} of {total} records")
        timing = Timing(seconds, cpu, 0.0, 0.0)
        if not once:
            progress.served = 0
            resync_cpu = time.process_time()
            resync = dlt_sync.run(pipe, source.url, SESSION, MAX_LIMIT)
            timing.resync, timing.resync_cpu = resync, time.process_time() - resync_cpu
            if (loaded := dlt_sync.count(pipe)) != total:
                raise RuntimeError(f"dlt's second run left {loaded} of {total} records")
        return measured(
            "postgresql" if database_url else "sqlite", total, MAX_LIMIT, baseline, sampler, timing, side="dlt"
        )


# -- the parent: one child per run ---------------------------------------------------------


@contextlib.contextmanager
def temp_postgres(admin_url: str) -> Iterator[str]:
    """A throwaway database next to `admin_url`'s, dropped afterwards."""
    name = f"plantgate_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{admin_url.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def postgres_info(admin_url: str) -> str:
    """Version and autovacuum: without autovacuum the planner never sees the replica grow."""
    with psycopg.connect(admin_url, connect_timeout=5) as conn:
        version, autovacuum = (_show(conn, setting) for setting in ("server_version", "autovacuum"))
    return f"{version.split()[0]}, autovacuum {autovacuum}"


def _show(conn: psycopg.Connection, setting: str) -> str:
    row = conn.execute(f"SHOW {setting}").fetchone()
    assert row is not None, setting  # SHOW always answers one row
    return str(row[0])


def spawn(
    store: str,
    total: int,
    database_url: str | None,
    side: str = "plantgate",
    profile: bool = False,
    baseline: str | None = None,
    once: bool = False,
) -> RunResult:
    """One child run; the baseline side imports the product from `baseline` (same script, other code)."""
    env = dict(os.environ)
    if side == BASELINE and baseline:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (baseline, env.get("PYTHONPATH")) if p)
    args = [sys.executable, __file__, "--child", str(total), "--side", "dlt" if side == "dlt" else "plantgate"]
    if database_url:
        args += ["--database-url", database_url]
    if profile:
        args.append("--profile")
    if store == "postgresql-analyzed":
        args.append("--analyze")
    if once and side == "dlt":
        args.append("--once")
    load = f"{os.getloadavg()[0]:.2f}"
    done = subprocess.run(args, check=False, capture_output=True, text=True, timeout=RUN_TIMEOUT, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"{side} sync of {total} records failed:\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return RunResult(**{**result, "store": store, "side": side, "load": f"{load} / {os.getloadavg()[0]:.2f}"})


def run_in(store: str, total: int, side: str, postgres_url: str, baseline: str | None, once: bool = False) -> RunResult:
    """One child run into a fresh store: a temporary SQLite file, or a temporary PostgreSQL database."""
    if store == "sqlite":
        return spawn(store, total, None, side, baseline=baseline, once=once)
    with temp_postgres(postgres_url) as url:
        return spawn(store, total, url, side, baseline=baseline, once=once)


def mib(kib: int) -> str:
    return f"{kib / 1024:.0f} MiB"


def median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def ratios(results: list[RunResult]) -> None:
    """Per store and size: each side's median rate, as a multiple of dlt's."""
    print("## Against dlt (medians of the rounds)\n")
    print(
        "| Store | Records | Side | First load | dlt | Ratio | Re-sync | dlt | Ratio | Peak RSS | dlt |"
        "\n|---|---|---|---|---|---|---|---|---|---|---|"
    )
    for store, total in dict.fromkeys((r.store, r.records) for r in results):
        runs = [r for r in results if (r.store, r.records) == (store, total)]
        theirs = [r for r in runs if r.side == "dlt"]
        for side in dict.fromkeys(r.side for r in runs if r.side != "dlt"):
            ours = [r for r in runs if r.side == side]
            first = [median([r.per_second for r in group]) for group in (ours, theirs)]
            again = [median([r.resync_per_second for r in group]) for group in (ours, theirs)]
            peaks = [max((r.hwm_kib for r in group), default=0) for group in (ours, theirs)]
            print(
                f"| {store} | {total:,} | {side} | {first[0]:,.0f}/s | {first[1]:,.0f}/s | **{_ratio(first)}**"
                f" | {again[0]:,.0f}/s | {again[1]:,.0f}/s | **{_ratio(again)}** | {mib(peaks[0])} | {mib(peaks[1])} |"
            )
    print()


def _ratio(pair: list[float]) -> str:
    return f"{pair[0] / pair[1]:.2f}×" if pair[0] and pair[1] else "n/a"


def report(results: list[RunResult], profile: RunResult | None, info: dict[str, str]) -> None:
    from nested_query import table  # sibling script; imported here only: it loads the whole gateway app

    print("## Sync throughput, every run in the order run\n")
    print(
        "| Store | Side | Records | Wall time | Records/s | Process CPU | Peak RSS (VmHWM) | Full re-sync, unchanged"
        " | Re-sync CPU | Load average |\n|---|---|---|---|---|---|---|---|---|---|"
    )
    for r in results:
        print(
            f"| {r.store} | {r.side} | {r.records:,} | {r.seconds:.1f} s | **{r.per_second:,.0f}** | {r.cpu_seconds:.1f} s"
            f" | {mib(r.hwm_kib)} | {r.resync_seconds:.1f} s, {r.resync_per_second:,.0f}/s"
            f" | {r.resync_cpu_seconds:.1f} s | {r.load} |"
        )
    print(
        f"\nPage size {results[0].page_size}; Plantgate (and the baseline): one transaction per page (upsert, cursor, lease);"
        " dlt: `rest_api` source, `merge` (delete-insert) by `id`."
        f" postgresql-analyzed: ANALYZE replica_record once {ANALYZE_AT:,} records are read.\n"
    )
    if "dlt" in {r.side for r in results} and len({r.side for r in results}) > 1:
        ratios(results)

    largest = max(r.records for r in results)
    print(f"## Memory and rate while {largest:,} records are synced (last round)\n")
    print("| Store | Side | Records read from the source | Peak RSS | Records/s in the band |\n|---|---|---|---|---|")
    last = {(r.store, r.side): r for r in results if r.records == largest}
    for r in last.values():
        print(f"| {r.store} | {r.side} | none yet (connection made) | {mib(r.baseline_kib)} | |")
        low, since = 0, 0.0
        for limit, peak, at in zip(r.band_limits, r.band_peaks_kib, r.band_seconds):
            rate = f"{(limit - low) / (at - since):,.0f}" if at > since else "n/a"
            print(f"| {r.store} | {r.side} | {low + 1:,} to {limit:,} | {mib(peak)} | {rate} |")
            low, since = limit, at
        print(f"| {r.store} | {r.side} | peak of the process (VmHWM) | {mib(r.hwm_kib)} | |")
    print(f"\nRSS sampled every {SAMPLE_EVERY * 1000:.0f} ms; each run in a fresh process.\n")

    if profile:
        print(f"## Profile: {profile.records:,} records on {profile.backend}, store calls inline\n")
        print(f"Wall time under the profiler: {profile.seconds:.1f} s\n\n```\n{profile.profile.strip()}\n```\n")
    print("## Machine\n")
    print(table(list(info.items()), ("Machine", "")))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--records",
        type=int,
        nargs="+",
        default=[100_000],
        help="sizes to sync (default 100000); the memory bands come from the largest",
    )
    parser.add_argument(
        "--postgres-url",
        default=PG_DEFAULT,
        help=f"an admin URL; a temporary database is created next to it (default {PG_DEFAULT})",
    )
    parser.add_argument(
        "--stores",
        nargs="+",
        choices=STORES,
        default=list(STORES[:2]),
        help="stores to sync into (default sqlite postgresql); postgresql-analyzed runs ANALYZE"
        f" on the replica once {ANALYZE_AT:,} records are read, as autovacuum would",
    )
    parser.add_argument(
        "--sides",
        nargs="+",
        choices=SIDES,
        default=list(SIDES),
        help="what syncs: Plantgate's runner, dlt's rest_api merge (the `bench` extra), or both (default)",
    )
    parser.add_argument(
        "--baseline",
        metavar="CHECKOUT",
        help="also run Plantgate's runner from this checkout (e.g. `git worktree add /tmp/base main`),"
        " alternated with the other sides, for a before/after in one run",
    )
    parser.add_argument("--rounds", type=int, default=1, help="runs of each side per store and size, alternated")
    parser.add_argument("--profile", action="store_true", help="also profile a 10,000-record sync on SQLite")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--side", choices=SIDES, default="plantgate", help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    parser.add_argument("--analyze", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--dlt-once",
        action="store_true",
        help="dlt loads once, without its second run (on SQLite it deletes row by row: under 100 records/s)",
    )
    parser.add_argument(
        "--source-latency",
        type=float,
        default=0.0,
        metavar="MS",
        help="the source takes this long to answer each page, as a remote system does (default 0)",
    )
    parser.add_argument("--once", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.source_latency:
        os.environ[LATENCY_ENV] = str(args.source_latency)  # the children inherit it

    if args.child is not None:  # what the sync needs, not the sibling script's gateway app (its RSS is measured)
        if args.side == "dlt":
            result = dlt_child(args.child, args.database_url, args.once)
        else:
            result = child(args.child, args.database_url, args.profile, args.analyze)
        print(json.dumps(asdict(result)))
        return 0
    if any(not 1_000 <= n <= 200_000 for n in args.records):
        parser.error("--records must be between 1000 and 200000")

    started = time.perf_counter()
    load_before = f"{os.getloadavg()[0]:.2f}"
    results: list[RunResult] = []
    for store in args.stores:
        for total in sorted(args.records):
            for _ in range(args.rounds):
                sides = [*([BASELINE] if args.baseline else []), *args.sides]
                for side in sides:  # alternated, so a change in the machine's load hits every side
                    results.append(run_in(store, total, side, args.postgres_url, args.baseline, args.dlt_once))
                    r = results[-1]
                    print(
                        f"{store} {side} {total:,}: {r.per_second:,.0f}/s, again {r.resync_per_second:,.0f}/s,"
                        f" {mib(r.hwm_kib)}, load {r.load}",
                        file=sys.stderr,
                    )
    profiled = spawn("sqlite", 10_000, None, profile=True) if args.profile else None
    from nested_query import machine  # not at the top: a child's RSS would include the gateway app it imports

    info = machine()
    info["Load average (1 min), start / end"] = f"{load_before} / {os.getloadavg()[0]:.2f}"
    if any(store != "sqlite" for store in args.stores):
        info["PostgreSQL"] = postgres_info(args.postgres_url)
    info["Date"] = datetime.now().date().isoformat()
    info["Source latency per page"] = f"{args.source_latency:g} ms"
    report(results, profiled, info)
    print(f"\nTotal benchmark time: {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

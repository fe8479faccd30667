"""Engine, sessions and migrations for SQLite (default) and PostgreSQL, and telling a database outage."""

from __future__ import annotations

import contextvars
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import anyio
from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlmodel import Session, create_engine

from schema.errors import PlantgateError

from ..outage import OutageLog

MIGRATIONS = Path(__file__).parent / "migrations"
T = TypeVar("T")
WORKER_THREADS = 20  # blocking store calls in flight at once (Store.run)
RETRY_AFTER = 5  # seconds a client is told to wait while the database is down
# SQLSTATE classes of a lost server: connection exception, shutdown / cannot connect now.
OUTAGE_STATES = ("08", "57P")
log = logging.getLogger("plantgate.store")

# SQLite takes its write lock at BEGIN IMMEDIATE, so concurrent writers queue on
# the busy timeout instead of failing when a read-then-write transaction upgrades.
_immediate: contextvars.ContextVar[bool] = contextvars.ContextVar("immediate", default=False)


def normalize_url(url: str) -> str:
    """`postgresql://` and `postgres://` mean psycopg 3 here."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def make_engine(url: str) -> Engine:
    url = normalize_url(url)
    if make_url(url).get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
    database = make_url(url).database
    pool: dict[str, Any] = {}
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
        # One pooled connection per worker thread: SQLite connections are cheap to keep and
        # costly to open (WAL and pragmas), and overflow ones would be closed at every check-in.
        pool = {"pool_size": WORKER_THREADS, "max_overflow": 5}
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **pool)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _immediate.get() else "BEGIN")

    return engine


MIGRATION_LOCK = 0x706C616E  # a PostgreSQL advisory lock key of our own ("plan")


def migrate(engine: Engine) -> None:
    """Create or upgrade every table to the newest Alembic revision.

    Processes starting together on one PostgreSQL database take turns (an advisory lock
    held for the transaction): the first upgrades, the others find the newest revision.
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


class DatabaseUnavailable(PlantgateError):
    """The database does not answer: nothing was done, and the same request may be retried shortly."""

    code = "SERVICE_UNAVAILABLE"

    def __init__(self) -> None:
        super().__init__("the database is unavailable; retry in a few seconds", retryAfter=RETRY_AFTER)
        self.retry_after = RETRY_AFTER


def is_outage(exc: BaseException) -> bool:
    """The server cannot be reached (down, restarting, connection lost), as opposed to a statement's own error.

    Only drivers with SQLSTATEs (psycopg) qualify: SQLite's OperationalError is a lock or a query problem.
    """
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    orig = exc.orig if isinstance(exc, (OperationalError, InterfaceError)) else None
    if orig is None or not hasattr(orig, "sqlstate"):
        return False
    state = orig.sqlstate
    return state is None or state.startswith(OUTAGE_STATES)  # None: the client lost or never got a connection


class Store:
    """Sessions over one engine; blocking work runs off the event loop."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._limiter = anyio.CapacityLimiter(WORKER_THREADS)
        self.outage = OutageLog(log, "database", "requests answer 503 until it is back", "serving requests again")

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def read(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A transaction that commits on success and rolls back on any error."""
        token = _immediate.set(True)
        try:
            with Session(self.engine, expire_on_commit=False) as session, session.begin():
                yield session
        finally:
            _immediate.reset(token)

    def run_sync(self, fn: Callable[[Session], T]) -> T:
        """Run `fn(session)` in one write transaction, on the calling thread."""
        with self.write() as session:
            return fn(session)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn(*args)` on a worker thread; an outage raises DatabaseUnavailable and is logged once, not per call."""
        started = time.monotonic()
        try:
            result = await anyio.to_thread.run_sync(fn, *args, limiter=self._limiter)
        except Exception as exc:
            if not is_outage(exc):
                raise
            self.outage.failed(exc, started)
            raise DatabaseUnavailable() from exc
        self.outage.answered(started)
        return result

    async def read_now(self, fn: Callable[..., T], *args: Any) -> T:
        """A short read, `fn(*args)`: on SQLite inline on the event loop, elsewhere as `run`.

        sqlite3 lets go of the GIL at every row it steps, and a worker thread then
        waits for the loop (and every other worker) to hand it back, row after row:
        under load a 100-row page took milliseconds per row that way. A WAL reader
        never waits for a writer, so the read itself takes a fraction of a millisecond.
        """
        if self.dialect == "sqlite":
            return fn(*args)
        return await self.run(fn, *args)

    def close(self) -> None:
        self.engine.dispose()

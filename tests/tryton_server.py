"""A real `trytond` for tests: create and seed a SQLite database once, serve copies of it.

Nothing is installed here: trytond and its modules come from the `test` extra.
Creating a database activates purchase and stock with their dependencies, which
takes most of a minute, so it happens once per test session (per process) into
a temporary directory; each server then runs on its own copy of that file, so
tests that write (the conformance kit's `touch`) never disturb the others.
"""

from __future__ import annotations

import atexit
import base64
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

DATABASE = "plant"
LOGIN = "admin"
PASSWORD = "tryton-admin-pw"
CREDENTIALS = {"database": DATABASE, "username": LOGIN, "password": PASSWORD}  # a connection's, as the admin
ADMIN_TIMEOUT = 300.0
START_TIMEOUT = 30.0


def _script(name: str) -> str:
    """A trytond console script next to this interpreter (the venv that has trytond)."""
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else (shutil.which(name) or name)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _write_config(directory: Path, port: int) -> Path:
    config = directory / "trytond.conf"
    config.write_text(
        "[database]\nuri = sqlite://\n"
        f"path = {directory}\n"
        "[web]\n"
        f"listen = 127.0.0.1:{port}\n"
        "[session]\nmax_attempt = 1000\n"  # bad-login tests must not trip the login throttle
    )
    return config


def snapshot(source: Path, target: Path) -> None:
    """Copy a SQLite database with what its WAL holds (trytond writes in WAL mode)."""
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


def _tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


# -- JSON-RPC with Tryton's typed values ----------------------------------------


def encode(value: Any) -> Any:
    """Python values to Tryton's JSON (Decimal as a typed object)."""
    if isinstance(value, Decimal):
        return {"__class__": "Decimal", "decimal": str(value)}
    if isinstance(value, dict):
        return {k: encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode(v) for v in value]
    return value


class TrytonError(RuntimeError):
    """An application error Tryton answered with HTTP 200: `["UserError", [message, ...]]`."""

    def __init__(self, method: str, error: list[Any]) -> None:
        super().__init__(method, error[1] if len(error) > 1 else error)
        self.kind = error[0]


@dataclass
class Rpc:
    """A blocking admin client of one database, for seeding and changing records."""

    url: str
    database: str = DATABASE
    session: str = ""
    context: dict[str, Any] = field(default_factory=dict)
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=60))

    def login(self) -> Rpc:
        user_id, key, *_ = self.raw("common.db.login", [LOGIN, {"password": PASSWORD}, "en"])
        token = base64.b64encode(f"{LOGIN}:{user_id}:{key}".encode()).decode()
        self.session = f"Session {token}"
        return self.refresh_context()

    def refresh_context(self) -> Rpc:
        """The user's preferences as context (company and all), as Tryton's own client does."""
        self.context = self.raw("model.res.user.get_preferences", [True, {}])
        return self

    def raw(self, method: str, params: list[Any]) -> Any:
        headers = {"Authorization": self.session} if self.session else {}
        body = {"id": 1, "method": method, "params": encode(params)}
        response = self.http.post(f"{self.url}/{self.database}/rpc/", json=body, headers=headers)
        response.raise_for_status()
        answer = response.json()
        if "error" in answer:
            raise TrytonError(method, answer["error"])
        return answer["result"]

    def __call__(self, model: str, method: str, *args: Any) -> Any:
        return self.raw(f"model.{model}.{method}", [*args, self.context])

    def confirming(self, model: str, method: str, *args: Any) -> Any:
        """Call a button that raises a UserWarning, accepting the warning as a user would."""
        try:
            return self(model, method, *args)
        except TrytonError as exc:
            if exc.kind != "UserWarning":
                raise
            self("res.user.warning", "create", [{"user": 1, "name": exc.args[1][0], "always": False}])
            return self(model, method, *args)

    def close(self) -> None:
        self.http.close()


# -- seed data --------------------------------------------------------------------

SUPPLIERS = 24
PRODUCTS = 30
PURCHASES = 26
USERS = ("maria", "jonas", "aiko", "pedro")
# Purchase life cycles the seed walks through (button methods called in order).
STATES = ((), ("quote",), ("quote", "confirm"), ("cancel",))


def seed(rpc: Rpc) -> None:
    """A company, suppliers, goods with stock on shelves, purchases in every state, users."""
    (currency,) = rpc(
        "currency.currency",
        "create",
        [{"name": "Euro", "code": "EUR", "symbol": "€", "rounding": Decimal("0.01"), "digits": 2}],
    )
    (own,) = rpc("party.party", "create", [{"name": "Plantgate Works"}])
    (company,) = rpc("company.company", "create", [{"party": own, "currency": currency}])
    rpc("res.user", "write", [1], {"companies": [["add", [company]]], "company": company})
    rpc.refresh_context()

    (unit,) = rpc("product.uom", "search", [["symbol", "=", "u"]])
    (storage,) = rpc("stock.location", "search", [["code", "=", "STO"]])
    (supplier_zone,) = rpc("stock.location", "search", [["code", "=", "SUP"]])
    shelves = rpc(
        "stock.location",
        "create",
        [{"name": f"Shelf {c}", "code": f"SH-{c}", "type": "storage", "parent": storage} for c in "ABC"],
    )

    parties = rpc("party.party", "create", [_supplier(n) for n in range(SUPPLIERS)])
    templates = rpc("product.template", "create", [_goods(n, unit) for n in range(PRODUCTS)])
    products = [t["products"][0] for t in rpc("product.template", "read", templates, ["products"])]
    rpc(
        "purchase.product_supplier",
        "create",
        [{"template": t, "party": parties[n % SUPPLIERS]} for n, t in enumerate(templates) if n % 3],
    )

    moves = rpc(
        "stock.move",
        "create",
        [
            {
                "product": p,
                "quantity": float(5 + n % 7),
                "unit": unit,
                "unit_price": Decimal("4.50"),
                "currency": currency,
                "company": company,
                "from_location": supplier_zone,
                "to_location": shelves[n % len(shelves)] if n % 4 else storage,
            }
            for n, p in enumerate(products)
            if n % 5
        ],
    )
    rpc.confirming("stock.move", "do", moves)  # warns: the moves have no origin

    addresses = {a["party"]: a["id"] for a in rpc("party.address", "search_read", [], 0, None, None, ["party"])}
    purchases = rpc(
        "purchase.purchase",
        "create",
        [_purchase(n, parties, products, addresses, company, currency, unit) for n in range(PURCHASES)],
    )
    for n, buttons in enumerate(STATES):
        for button in buttons:
            rpc("purchase.purchase", button, purchases[n :: len(STATES)])

    users = rpc(
        "res.user",
        "create",
        [{"name": name.title(), "login": name, "email": f"{name}@plant.example"} for name in USERS],
    )
    rpc("res.user", "write", users[-1:], {"active": False})


def _supplier(n: int) -> dict[str, Any]:
    contacts = [{"type": "email", "value": f"sales{n}@supplier{n}.example"}]
    if n % 2:
        contacts += [
            {"type": "phone", "value": f"+49 30 5550{n:03d}"},
            {"type": "website", "value": f"https://supplier{n}.example"},
        ]
    return {
        "name": f"Supplier {n:02d}",
        "contact_mechanisms": [["create", contacts]],
        "addresses": [
            ["create", [{"street": f"{n + 1} Industrial Way", "postal_code": f"10{n:03d}", "city": "Springfield"}]]
        ],
    }


def _goods(n: int, unit: int) -> dict[str, Any]:
    return {
        "name": f"Spare part {n:02d}",
        "type": "goods",
        "purchasable": True,
        "default_uom": unit,
        "purchase_uom": unit,
        "list_price": Decimal(10 + n),
        "products": [
            [
                "create",
                [
                    {
                        "suffix_code": f"SP-{n:03d}",
                        "description": f"Spare part number {n}",
                        "cost_price": Decimal(f"{4 + n % 9}.25"),
                    }
                ],
            ]
        ],
    }


def _purchase(
    n: int, parties: list[int], products: list[int], addresses: dict[int, int], company: int, currency: int, unit: int
) -> dict[str, Any]:
    party = parties[n % len(parties)]
    lines = [
        {
            "type": "line",
            "product": products[(n + k * 7) % len(products)],
            "quantity": float(k + 1 + n % 4),
            "unit": unit,
            "unit_price": Decimal(f"{3 + k}.{n % 10}0"),
            "description": f"Line {k + 1}",
        }
        for k in range(1 + n % 3)
    ]
    return {
        "party": party,
        "invoice_address": addresses[party],
        "company": company,
        "currency": currency,
        "reference": f"REF-{n:03d}",
        "purchase_date": {"__class__": "date", "year": 2024, "month": 1 + n % 12, "day": 1 + n % 27},
        "lines": [["create", lines]],
    }


# -- the server -------------------------------------------------------------------


class TrytonServer:
    """`trytond` serving one SQLite database file on a free local port."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = _free_port()
        self.config = _write_config(directory, self.port)
        self.log = directory / "trytond.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> TrytonServer:
        with self.log.open("wb") as log:
            try:
                self.process = subprocess.Popen(
                    [_script("trytond"), "-c", str(self.config), "-d", DATABASE],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,
                )
            except FileNotFoundError:
                raise RuntimeError("trytond not found: install the `test` extra") from None
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"trytond exited with {self.process.returncode}:\n{_tail(self.log)}")
            try:
                httpx.post(
                    f"{self.url}/rpc/", json={"id": 0, "method": "common.server.version", "params": []}, timeout=2
                ).raise_for_status()
                return self
            except httpx.HTTPError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"trytond did not answer within {START_TIMEOUT:.0f}s:\n{_tail(self.log)}")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def rpc(self) -> Rpc:
        return Rpc(self.url).login()

    def __enter__(self) -> TrytonServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def create_database(directory: Path) -> Path:
    """An empty database with purchase and stock activated (the slow part)."""
    (directory / f"{DATABASE}.sqlite").touch()
    config = _write_config(directory, _free_port())
    password = directory / "password"
    password.write_text(PASSWORD + "\n")
    log = directory / "admin.log"
    command = [
        _script("trytond-admin"),
        "-c",
        str(config),
        "-d",
        DATABASE,
        "--activate-dependencies",
        "-u",
        "purchase",
        "stock",
        "--email",
        "admin@plant.example",
    ]
    env = {**os.environ, "TRYTONPASSFILE": str(password)}
    with log.open("wb") as out:
        try:
            done = subprocess.run(
                command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, timeout=ADMIN_TIMEOUT
            )
        except FileNotFoundError:
            raise RuntimeError("trytond-admin not found: install the `test` extra") from None
        except subprocess.TimeoutExpired:
            raise RuntimeError(f"trytond-admin took over {ADMIN_TIMEOUT:.0f}s:\n{_tail(log)}") from None
    if done.returncode != 0:
        raise RuntimeError(f"trytond-admin failed ({done.returncode}):\n{_tail(log)}")
    return directory / f"{DATABASE}.sqlite"


_lock = threading.Lock()
_seeded: Path | None = None
_failure: str | None = None


def seeded_database() -> Path:
    """The seeded database file of this test session, made on first use (a failure is kept)."""
    global _seeded, _failure
    with _lock:
        if _failure is not None:
            raise RuntimeError(f"the Tryton test database could not be made: {_failure}")
        if _seeded is None:
            try:
                _seeded = _make_seeded()
            except Exception as exc:
                _failure = str(exc)
                raise
        return _seeded


def _make_seeded() -> Path:
    directory = Path(tempfile.mkdtemp(prefix="tryton-seed-"))
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    create_database(directory)
    with TrytonServer(directory) as server:
        rpc = server.rpc()
        try:
            seed(rpc)
        finally:
            rpc.close()
    seeded = directory / "seeded.sqlite"
    snapshot(directory / f"{DATABASE}.sqlite", seeded)
    return seeded


def serve_copy() -> TrytonServer:
    """A started server on a private copy of the seeded database; the caller stops it."""
    source = seeded_database()
    directory = Path(tempfile.mkdtemp(prefix="tryton-run-"))
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    snapshot(source, directory / f"{DATABASE}.sqlite")
    server = TrytonServer(directory)
    atexit.register(server.stop)
    return server.start()

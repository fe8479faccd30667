"""The upstream network layer (connectors/network.py) over real sockets, on asyncio and uvloop.

Each case runs through httpx as the connectors use it: large bodies both ways (flow
control), a server that closes idle keep-alive connections, timeouts, refusals,
cancellation and TLS with host-name verification.
"""

from __future__ import annotations

import asyncio
import datetime
import socket
import ssl
import threading
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
import uvloop
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from connectors.network import http_transport
from sandboxes.kit import ServerThread

BIG = bytes(range(256)) * (20 * 1024)  # 5 MiB, every byte value


async def big(request: Request) -> Response:
    return Response(BIG, media_type="application/octet-stream")


async def echo_length(request: Request) -> Response:
    body = await request.body()
    return JSONResponse({"length": len(body), "same": body == BIG})


async def slow(request: Request) -> Response:
    await asyncio.sleep(float(request.query_params["seconds"]))
    return JSONResponse({"slept": True})


async def hello(request: Request) -> Response:
    return JSONResponse({"hello": request.url.hostname})


APP = Starlette(
    routes=[
        Route("/big", big),
        Route("/echo", echo_length, methods=["POST"]),
        Route("/slow", slow),
        Route("/hello", hello),
    ]
)

LOOPS: dict[str, Callable[[Coroutine[Any, Any, None]], None]] = {
    "asyncio": asyncio.run,
    "uvloop": uvloop.run,
}


@pytest.fixture(scope="module")
def server() -> Iterator[ServerThread]:
    with ServerThread(APP) as running:
        yield running


def client(base_url: str, verify: ssl.SSLContext | bool = True) -> httpx.AsyncClient:
    transport = http_transport(httpx.Limits(max_connections=4), verify=verify)
    return httpx.AsyncClient(base_url=base_url, transport=transport, timeout=5)


@pytest.mark.parametrize("loop", LOOPS)
def test_large_bodies_cross_both_ways_intact(server, loop):
    async def run() -> None:
        async with client(server.url) as http:
            got = await asyncio.gather(*(http.get("/big") for _ in range(3)))
            assert all(r.status_code == 200 and r.content == BIG for r in got)
            sent = await http.post("/echo", content=BIG)
            assert sent.json() == {"length": len(BIG), "same": True}

    LOOPS[loop](run())


class ClosingServer:
    """Answers each request with keep-alive, then closes the idle connection a moment later
    (what servers do when their keep-alive timeout passes)."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.accepted = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.accepted += 1
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            request = b""
            while b"\r\n\r\n" not in request:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                request += chunk
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok")
            threading.Event().wait(0.2)  # then close, without a word

    def close(self) -> None:
        self.listener.close()


@pytest.mark.parametrize("loop", LOOPS)
def test_a_connection_the_server_closed_while_idle_is_not_reused(loop):
    closing = ClosingServer()

    async def run() -> None:
        async with client(f"http://127.0.0.1:{closing.port}") as http:
            for _ in range(3):
                response = await http.get("/")
                assert response.text == "ok"
                await asyncio.sleep(0.5)  # the server has closed it by now

    try:
        LOOPS[loop](run())
        assert closing.accepted == 3  # a fresh connection each time, and no failed request
    finally:
        closing.close()


@pytest.mark.parametrize("loop", LOOPS)
def test_timeouts_and_cancellation_leave_the_pool_usable(server, loop):
    async def run() -> None:
        async with client(server.url) as http:
            with pytest.raises(httpx.ReadTimeout):
                await http.get("/slow", params={"seconds": 2}, timeout=0.2)
            waiting = asyncio.create_task(http.get("/slow", params={"seconds": 2}))
            await asyncio.sleep(0.2)
            waiting.cancel()
            with pytest.raises(asyncio.CancelledError):
                await waiting
            answers = await asyncio.gather(*(http.get("/hello") for _ in range(8)))
            assert {r.json()["hello"] for r in answers} == {"127.0.0.1"}

    LOOPS[loop](run())


@pytest.mark.parametrize("loop", LOOPS)
def test_a_refused_connection_is_a_connect_error(loop):
    with socket.create_server(("127.0.0.1", 0)) as placeholder:
        port = placeholder.getsockname()[1]  # closed on leaving: nothing listens there

    async def run() -> None:
        async with client(f"http://127.0.0.1:{port}") as http:
            with pytest.raises(httpx.ConnectError):
                await http.get("/")

    LOOPS[loop](run())


def certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for `localhost` (and nothing else)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    cert, key = certificate(tmp_path_factory.mktemp("tls"))
    sock = socket.create_server(("127.0.0.1", 0))
    config = uvicorn.Config(APP, log_level="warning", ssl_certfile=str(cert), ssl_keyfile=str(key), lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        threading.Event().wait(0.05)
    yield sock.getsockname()[1], cert
    server.should_exit = True
    thread.join(5)


@pytest.mark.parametrize("loop", LOOPS)
def test_tls_verifies_the_host_name(tls_server, loop):
    port, cert = tls_server
    trusted = ssl.create_default_context(cafile=str(cert))

    async def run() -> None:
        async with client(f"https://localhost:{port}", verify=trusted) as http:
            got = await http.get("/big")
            assert got.content == BIG and got.extensions["http_version"] == b"HTTP/1.1"
        async with client(f"https://127.0.0.1:{port}", verify=trusted) as http:  # not the certificate's name
            with pytest.raises(httpx.ConnectError, match="certificate"):
                await http.get("/hello")
        async with client(f"https://localhost:{port}") as http:  # not a trusted issuer
            with pytest.raises(httpx.ConnectError, match="certificate"):
                await http.get("/hello")

    LOOPS[loop](run())

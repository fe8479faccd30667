"""httpcore's network layer on asyncio's own transports, for every upstream call.

httpx's default backend goes through anyio: each read and write opens a cancel scope,
and before each request the pool asks every idle connection's socket whether the
server closed it, with a `poll` system call per connection. Upstream calls are most
of the gateway's work in a nested query, and that layer was a third of their CPU.
Here a protocol object keeps what the socket delivered, so "did the server close
it?" is an attribute read, and timeouts are `asyncio.timeout` (one timer, no task).
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections import deque
from collections.abc import Iterable
from typing import Any, cast

import httpcore
import httpx

HIGH_WATER = 256 * 1024  # bytes buffered before the socket stops being read
LOW_WATER = 64 * 1024


class _Receiver(asyncio.Protocol):
    """What the socket delivered and whether it ended, kept until the stream reads it."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.chunks: deque[bytes] = deque()  # as they arrived: handed on without copying when they fit
        self.head = 0  # bytes of the first chunk already read
        self.size = 0  # bytes not read yet
        self.ended = False
        self.error: Exception | None = None
        self.reading_paused = False
        self._arrived: asyncio.Future[None] | None = None
        self._drained: asyncio.Future[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's are not its subclasses

    def data_received(self, data: bytes) -> None:
        self.chunks.append(data)
        self.size += len(data)
        if self.size > HIGH_WATER and not self.reading_paused and self.transport is not None:
            self.reading_paused = True
            self.transport.pause_reading()
        self._wake()

    def eof_received(self) -> bool:
        self.ended = True
        self._wake()
        return False  # close our side too: HTTP/1.1 never half-closes

    def connection_lost(self, exc: Exception | None) -> None:
        self.ended, self.error = True, exc
        self._wake()
        self.resume_writing()

    def pause_writing(self) -> None:
        self._drained = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        if self._drained is not None and not self._drained.done():
            self._drained.set_result(None)
        self._drained = None

    def take(self, max_bytes: int) -> bytes:
        """Up to `max_bytes` of what arrived, in order (a whole chunk when it fits)."""
        chunk, head = self.chunks[0], self.head
        if head == 0 and len(chunk) <= max_bytes:
            self.chunks.popleft()
            data = chunk
        else:
            end = head + max_bytes
            data = chunk[head:end]
            if end >= len(chunk):
                self.chunks.popleft()
                self.head = 0
            else:
                self.head = end
        self.size -= len(data)
        return data

    def _wake(self) -> None:
        if self._arrived is not None and not self._arrived.done():
            self._arrived.set_result(None)

    async def arrival(self, timeout: float | None) -> None:
        """Wait until data or the end arrives."""
        self._arrived = asyncio.get_running_loop().create_future()
        try:
            async with asyncio.timeout(timeout):
                await self._arrived
        except TimeoutError:
            raise httpcore.ReadTimeout(f"no data within {timeout} s") from None
        finally:
            self._arrived = None

    async def drain(self, timeout: float | None) -> None:
        """Wait until the kernel took what was written (only when the transport asked to pause)."""
        if self._drained is None:
            return
        try:
            async with asyncio.timeout(timeout):
                await self._drained
        except TimeoutError:
            raise httpcore.WriteTimeout(f"the socket took no data within {timeout} s") from None


class AsyncioStream(httpcore.AsyncNetworkStream):
    """One connection: httpcore's stream interface over an asyncio transport."""

    def __init__(self, transport: asyncio.Transport, receiver: _Receiver) -> None:
        self._transport = transport
        self._receiver = receiver

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        receiver = self._receiver
        if not receiver.size and not receiver.ended:
            await receiver.arrival(timeout)
        if not receiver.size:
            if receiver.error is not None:
                raise httpcore.ReadError(str(receiver.error) or type(receiver.error).__name__)
            return b""  # the server closed the connection
        data = receiver.take(max_bytes)
        if receiver.reading_paused and receiver.size < LOW_WATER:
            receiver.reading_paused = False
            self._transport.resume_reading()
        return data

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        if self._transport.is_closing():
            raise httpcore.WriteError("the connection is closed")
        self._transport.write(buffer)
        await self._receiver.drain(timeout)

    async def aclose(self) -> None:
        self._transport.close()

    async def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                transport = await loop.start_tls(
                    self._transport, self._receiver, ssl_context, server_hostname=server_hostname
                )
        except TimeoutError:
            self._transport.close()
            raise httpcore.ConnectTimeout(f"no TLS handshake within {timeout} s") from None
        except (OSError, ssl.SSLError) as exc:
            self._transport.close()
            raise httpcore.ConnectError(str(exc)) from exc
        assert transport is not None
        self._receiver.transport = transport  # flow control now applies to the decrypted stream
        return AsyncioStream(transport, self._receiver)

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":  # asked of idle connections: true when the server closed or sent
            return self._receiver.ended or self._receiver.size > 0
        names = {"ssl_object": "ssl_object", "socket": "socket", "client_addr": "sockname", "server_addr": "peername"}
        return self._transport.get_extra_info(names[info]) if info in names else None


class AsyncioBackend(httpcore.AsyncNetworkBackend):
    """Dials TCP with the running loop (uvloop's under uvicorn)."""

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        local = (local_address, 0) if local_address else None
        try:
            async with asyncio.timeout(timeout):
                transport, receiver = await loop.create_connection(_Receiver, host, port, local_addr=local)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"no connection within {timeout} s") from None
        except OSError as exc:
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            for option in socket_options or ():
                sock.setsockopt(*option)
        return AsyncioStream(transport, receiver)

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not dialled")

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


def http_transport(
    limits: httpx.Limits,
    backend: httpcore.AsyncNetworkBackend | None = None,
    verify: ssl.SSLContext | bool = True,
) -> httpx.AsyncHTTPTransport:
    """httpx's transport dialling through `backend` (default: this module's)."""
    made = httpx.AsyncHTTPTransport(limits=limits, trust_env=False, verify=verify)
    made._pool._network_backend = backend or AsyncioBackend()  # httpx has no public hook for it
    return made

"""SSRF protection: which addresses the gateway may call for customers (instances, webhooks).

A URL is judged by every address its host resolves to, so a name pointing at
loopback or the cloud metadata service is refused like the address itself, and
odd spellings (`2130706433`, `[::ffff:127.0.0.1]`) are caught by the resolver.
An IPv6 address that carries an IPv4 one to a relay or translator (6to4,
Teredo, NAT64, IPv4-compatible) is judged as that IPv4 address too.
The check runs when a URL is registered and again on every new socket: the
guarded transport dials exactly the address it checked, so a DNS answer that
changes after registration (rebinding) cannot redirect a request.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

import httpcore
import httpx

from connectors.network import AsyncioBackend, http_transport
from schema.errors import BadUserInput, SystemUnreachable

from .settings import Settings

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]

METADATA_HOSTS = frozenset({"metadata.google.internal", "metadata", "metadata.goog", "instance-data"})
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200", "169.254.170.2")
)
NAT64_WELL_KNOWN = ipaddress.IPv6Network("64:ff9b::/96")
NAT64_LOCAL_USE = ipaddress.IPv6Network("64:ff9b:1::/48")
IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
NO_IPV4 = ipaddress.IPv4Address(0)


class ForbiddenAddress(SystemUnreachable):
    """A call was about to reach an address the guard refuses (e.g. after a DNS change)."""


async def system_resolver(host: str, port: int) -> list[str]:
    """Every address the operating system's resolver gives for `host`."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def classify(address: Address) -> str | None:
    """Why an address is refused by default (None: a public address)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast or address.is_reserved:
        return "a reserved address"
    if address.is_private or not address.is_global:
        return "a private address"
    return None


def embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address is a relay's or translator's way to reach (empty: none)."""
    if address.sixtofour:  # 2002::/16
        return [address.sixtofour]
    if address.teredo:  # 2001::/32; the client is the bitwise NOT of the last 32 bits
        return [address.teredo[1]]
    if address in NAT64_WELL_KNOWN or (address in IPV4_COMPATIBLE and int(address) > 1):  # not :: or ::1
        return [_last_32_bits(address)]
    if address in NAT64_LOCAL_USE:  # its operator picks the layout (RFC 6052): read the /48 and the /96 one
        found = {_rfc6052_48(address), _last_32_bits(address)} - {NO_IPV4}
        return sorted(found) or [NO_IPV4]
    return []


def _last_32_bits(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address:
    return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)


def _rfc6052_48(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address:
    """Bits 48-63 and 72-87: a /48 translation prefix skips the reserved octet 64-71."""
    value = int(address)
    return ipaddress.IPv4Address(((value >> 64) & 0xFFFF) << 16 | (value >> 40) & 0xFFFF)


@dataclass(frozen=True)
class Allowlist:
    """`PLANTGATE_ALLOWED_HOSTS`: CIDRs, exact host names, or `.suffix` domains."""

    networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    names: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, entries: Iterable[str]) -> Allowlist:
        networks, names = [], set()
        for entry in (e.strip().lower() for e in entries):
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                names.add(entry)
        return cls(tuple(networks), frozenset(names))

    def has_name(self, host: str) -> bool:
        host = host.lower().rstrip(".")
        return host in self.names or any(n.startswith(".") and host.endswith(n) for n in self.names)

    def has_address(self, address: Address) -> bool:
        return any(address in network for network in self.networks)


class NetGuard:
    """Decides whether the gateway may call a URL or dial an address."""

    def __init__(self, settings: Settings, resolver: Resolver = system_resolver) -> None:
        self.allow_private = settings.allow_private_networks
        self.allow_insecure_http = settings.allow_insecure_http
        self.allowlist = Allowlist.parse(settings.allowed_hosts)
        self.resolver = resolver
        self.sandbox_prefix: str | None = None
        self.self_address: tuple[str, int] | None = None
        if settings.sandboxes:  # the demo sandboxes are served by this gateway itself
            public = urlsplit(settings.effective_public_url)
            self.sandbox_prefix = settings.effective_public_url.rstrip("/") + "/sandboxes/"
            self.self_address = ((public.hostname or "").lower(), public.port or _default_port(public.scheme))

    async def check_url(self, url: str, *, field: str, https_required: bool) -> None:
        """Refuse (BAD_USER_INPUT) a URL the gateway must not call; resolves its host."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if parts.scheme not in ("http", "https") or not host:
            raise BadUserInput(f"{field} '{url}' is not an http(s) URL with a host", field=field)
        if self.sandbox_prefix and url.startswith(self.sandbox_prefix):
            return
        if parts.scheme != "https" and https_required and not self.allow_insecure_http:
            raise BadUserInput(f"{field} must use https (PLANTGATE_ALLOW_INSECURE_HTTP allows http)", field=field)
        try:
            port = parts.port or _default_port(parts.scheme)
            await self.addresses(host, port)
        except ForbiddenAddress as exc:
            raise BadUserInput(f"{field} is not allowed: {exc.message}", field=field) from None
        except (OSError, ValueError, UnicodeError):
            raise BadUserInput(f"{field} host '{host}' cannot be resolved", field=field) from None

    async def addresses(self, host: str, port: int) -> list[str]:
        """The addresses to dial for `host`; ForbiddenAddress if any answer is refused."""
        host = host.lower().strip("[]")
        if self.self_address == (host, port):
            return [host]
        if host.rstrip(".") in METADATA_HOSTS:
            raise ForbiddenAddress(f"'{host}' is a cloud metadata service")
        resolved = await self.resolver(host, port)
        if not resolved:
            raise OSError(f"no address for {host}")
        named = self.allowlist.has_name(host)
        for text in resolved:
            reason = self.refusal(ipaddress.ip_address(text.split("%", 1)[0]), named)
            if reason is not None:
                where = f"{host} is" if host == text else f"'{host}' resolves to {text},"
                raise ForbiddenAddress(f"{where} {reason}")
        return resolved

    def refusal(self, address: Address, named: bool) -> str | None:
        """Why `address` may not be dialled (None: it may); an IPv6 form of an IPv4 address must pass as both."""
        if isinstance(address, ipaddress.IPv6Address):
            if address.ipv4_mapped:  # the same host, only spelled in IPv6
                return self.refusal(address.ipv4_mapped, named)
            for inner in embedded_ipv4(address):
                if (reason := self.refusal(inner, named)) is not None:
                    return f"an IPv6 form of {inner}, {reason}"
        reason = classify(address)
        return None if reason is None or self._allowed(address, reason, named) else reason

    def _allowed(self, address: Address, reason: str, named: bool) -> bool:
        if reason == "a cloud metadata address":
            return False  # never, not even when allowlisted
        if named or self.allowlist.has_address(address):
            return True
        return reason == "a private address" and self.allow_private

    def transport(self, limits: httpx.Limits) -> httpx.AsyncHTTPTransport:
        """An httpx transport whose every new socket goes through this guard."""
        return guarded_transport(self, limits)


class AddressGuard(Protocol):
    """Whatever decides which addresses may be dialled (the gateway's guard, an on-premises agent's policy)."""

    async def addresses(self, host: str, port: int) -> list[str]: ...


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves, checks, then dials the checked address itself (pinned: no second lookup)."""

    def __init__(self, guard: AddressGuard, inner: httpcore.AsyncNetworkBackend) -> None:
        self.guard = guard
        self.inner = inner

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            addresses = await self.guard.addresses(host, port)
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}") from exc
        return await self.inner.connect_tcp(
            addresses[0], port, timeout=timeout, local_address=local_address, socket_options=socket_options
        )

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise ForbiddenAddress("unix sockets are not dialled")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


def guarded_transport(guard: AddressGuard, limits: httpx.Limits) -> httpx.AsyncHTTPTransport:
    """httpx's transport whose every new socket is checked by `guard` (TLS still verifies the host name)."""
    return http_transport(limits, GuardedBackend(guard, AsyncioBackend()))


def _default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80

"""What an agent may reach: the plant's private ranges and the instance URLs its operator listed.

The agent is no general proxy. A call must go to one of the instance URLs given
on its command line (scheme, host, port and path prefix), and every address the
host resolves to must be private (RFC 1918, unique local) or in a network the
operator allowed (`--allow-network`, e.g. a loopback sandbox); cloud metadata
addresses never. The check runs again on every new socket (the gateway's pinned
dialling), so a DNS answer changed later cannot lead elsewhere.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

import httpx

from gateway.netguard import ForbiddenAddress, Resolver, classify, embedded_ipv4, system_resolver

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _origin(url: str) -> tuple[str, str, int, str]:
    """Scheme, host, port and path as httpx, which makes the request, reads them (no second parser to differ)."""
    try:
        parts = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise ValueError(f"'{url}' is not a URL: {exc}") from None
    scheme, host = parts.scheme, parts.host
    if scheme not in ("http", "https") or not host:
        raise ValueError(f"'{url}' is not an http(s) URL with a host")
    # httpx resolves `..` itself; an encoded one, or a backslash, a server may resolve after the check.
    if any(segment in (".", "..") for segment in parts.path.split("/")) or "\\" in parts.path:
        raise ValueError(f"'{url}' has a dot segment or a backslash in its path")
    port = parts.port or (443 if scheme == "https" else 80)
    return scheme, host, port, parts.path.rstrip("/")


def _under(url: tuple[str, str, int, str], instance: tuple[str, str, int, str]) -> bool:
    return url[:3] == instance[:3] and (url[3] + "/").startswith(instance[3] + "/")


def within(url: str, instance: str) -> bool:
    """Whether `url` is under the instance URL `instance`: same origin, and its path below the instance's."""
    try:
        return _under(_origin(url), _origin(instance))
    except ValueError:
        return False


def check_instance(url: str) -> None:
    """ValueError unless `url` can be an instance URL."""
    _origin(url)


@dataclass(frozen=True)
class PlantPolicy:
    """The agent's local allowlist of instance URLs and its address policy."""

    instances: tuple[str, ...]
    networks: tuple[Network, ...] = ()
    resolver: Resolver = system_resolver

    @classmethod
    def of(cls, instances: Iterable[str], networks: Iterable[str] = (), resolver: Resolver = system_resolver):
        urls = tuple(instances)
        for url in urls:
            check_instance(url)  # a typo is refused at start, not at the first call
        return cls(urls, tuple(ipaddress.ip_network(n, strict=False) for n in networks), resolver)

    def refusal_of_url(self, url: str) -> str | None:
        """Why the agent will not call `url` (None: it is under one of its instance URLs)."""
        try:
            scheme, host, port, path = _origin(url)
        except ValueError as exc:
            return str(exc)
        if any(_under((scheme, host, port, path), _origin(allowed)) for allowed in self.instances):
            return None
        return f"{scheme}://{host}:{port} is not one of this agent's instance URLs"

    async def addresses(self, host: str, port: int) -> list[str]:
        """The addresses to dial for `host`; ForbiddenAddress unless every one is allowed in the plant."""
        resolved = await self.resolver(host.lower().strip("[]"), port)
        if not resolved:
            raise OSError(f"no address for {host}")
        for text in resolved:
            reason = self.refusal(ipaddress.ip_address(text.split("%", 1)[0]))
            if reason is not None:
                raise ForbiddenAddress(f"'{host}' resolves to {text}, {reason}")
        return resolved

    def refusal(self, address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
        if isinstance(address, ipaddress.IPv6Address):
            if address.ipv4_mapped:
                return self.refusal(address.ipv4_mapped)
            for inner in embedded_ipv4(address):
                if (reason := self.refusal(inner)) is not None:
                    return f"an IPv6 form of {inner}, {reason}"
        reason = classify(address)
        if reason == "a cloud metadata address":
            return reason
        if any(address in network for network in self.networks):
            return None
        if reason == "a private address":
            return None
        return reason or "a public address (an agent reaches only the plant's own network)"

"""Where webhook requests may go: public addresses only, unless an operator allows more.

A bot config comes from the bridge, so a webhook URL is untrusted input: without this check
it could reach the cloud metadata endpoint, Redis on localhost or the office network (SSRF).
Every address a name resolves to must be allowed, and the request then goes to that resolved
address, so a DNS answer that changes between check and connect (rebinding) cannot slip by.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class BlockedDestinationError(PermissionError):
    """A webhook URL resolves to an address the egress policy does not allow."""


@dataclass(frozen=True)
class EgressPolicy:
    """``allow_private`` opens every non-public address; ``allowed_networks`` opens just some."""

    allow_private: bool = False
    allowed_networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def from_strings(cls, allow_private: bool, networks: list[str]) -> EgressPolicy:
        return cls(allow_private, tuple(ipaddress.ip_network(n, strict=False) for n in networks))

    def permits(self, address: IPAddress) -> bool:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if any(address in network for network in self.allowed_networks):
            return True
        if address.is_multicast or address.is_unspecified:
            return False
        return self.allow_private or address.is_global

    async def resolve(self, host: str, port: int) -> IPAddress:
        """The address to connect to; refused unless every address ``host`` has is allowed."""
        try:
            literal: IPAddress | None = ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            literal = None
        if literal is not None:
            addresses = [literal]
        else:
            loop = asyncio.get_running_loop()
            try:
                infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            except socket.gaierror as error:
                raise BlockedDestinationError(f"{host}: cannot be resolved ({error})") from None
            addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
        refused = [str(address) for address in addresses if not self.permits(address)]
        if refused or not addresses:
            raise BlockedDestinationError(
                f"{host} resolves to a non-public address ({', '.join(refused)}); "
                "allow it with VOXCORE_WEBHOOK_ALLOWED_NETWORKS"
            )
        return addresses[0]

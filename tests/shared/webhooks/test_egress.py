"""Which addresses webhooks may reach: public ones, and only the private ones allowed."""

from __future__ import annotations

import ipaddress

import pytest

from shared.webhooks.egress import BlockedDestinationError, EgressPolicy

PRIVATE = [
    "127.0.0.1",
    "10.1.2.3",
    "172.16.0.9",
    "192.168.1.1",
    "169.254.169.254",  # cloud metadata
    "100.64.0.1",  # carrier-grade NAT
    "::1",
    "fd00::1",
    "fe80::1",
    "::ffff:127.0.0.1",  # IPv4-mapped loopback
]


@pytest.mark.parametrize("address", PRIVATE)
def test_private_addresses_are_refused_by_default(address: str) -> None:
    assert not EgressPolicy().permits(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert EgressPolicy().permits(ipaddress.ip_address(address))


def test_allowed_networks_open_only_themselves() -> None:
    policy = EgressPolicy.from_strings(False, ["10.0.0.0/8"])
    assert policy.permits(ipaddress.ip_address("10.9.9.9"))
    assert not policy.permits(ipaddress.ip_address("192.168.0.1"))


def test_allow_private_never_opens_multicast_or_unspecified() -> None:
    policy = EgressPolicy(allow_private=True)
    assert policy.permits(ipaddress.ip_address("192.168.0.1"))
    assert not policy.permits(ipaddress.ip_address("224.0.0.1"))
    assert not policy.permits(ipaddress.ip_address("0.0.0.0"))


async def test_names_are_resolved_and_every_address_checked() -> None:
    with pytest.raises(BlockedDestinationError, match=r"localhost resolves to a non-public"):
        await EgressPolicy().resolve("localhost", 80)
    allowed = EgressPolicy.from_strings(False, ["127.0.0.0/8", "::1/128"])
    assert (await allowed.resolve("localhost", 80)).is_loopback


async def test_literals_and_unresolvable_names() -> None:
    with pytest.raises(BlockedDestinationError):
        await EgressPolicy().resolve("[::1]", 80)
    with pytest.raises(BlockedDestinationError, match="cannot be resolved"):
        await EgressPolicy().resolve("no-such-host.invalid", 80)
    assert str(await EgressPolicy().resolve("8.8.8.8", 443)) == "8.8.8.8"

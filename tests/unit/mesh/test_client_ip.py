"""The sealed client address: only a holder of the mesh key can state one, and only for one credential."""

from __future__ import annotations

import pytest

from mesh.client_ip import CLIENT_IP_HEADER, ClientIpSeal, peer_address


def _seal(secret: str = "mesh-secret") -> ClientIpSeal:
    return ClientIpSeal(lambda: secret)


def test_a_sealed_address_opens_for_the_same_credential_only() -> None:
    seal = _seal()
    name, value = seal.seal("203.0.113.7", "sk-one")
    assert name == CLIENT_IP_HEADER
    assert seal.open(value, "sk-one") == "203.0.113.7"
    assert seal.open(value, "sk-two") is None
    assert seal.from_metadata([("authorization", "Bearer x"), (name, value)], "sk-one") == "203.0.113.7"


def test_another_key_or_a_forged_value_does_not_open() -> None:
    _, value = _seal("other-mesh").seal("203.0.113.7", "")
    assert _seal().open(value, "") is None
    assert _seal().open("203.0.113.7 AAAAAAAAAAAAAAAAAAAAAA", "") is None
    assert _seal().open("203.0.113.7", "") is None
    assert _seal().from_metadata([(CLIENT_IP_HEADER, "10.0.0.1")], "") is None


def test_a_sealed_value_that_is_not_an_address_is_refused() -> None:
    seal = _seal()
    _, value = seal.seal("not-an-ip", "")
    assert seal.open(value, "") is None


@pytest.mark.parametrize(
    ("peer", "address"),
    [
        ("ipv4:198.51.100.2:41000", "198.51.100.2"),
        ("ipv6:[::1]:41000", "::1"),
        ("ipv6:[fe80::1%eth0]:5", "fe80::1"),
        ("unix:/tmp/sock", ""),
        ("", ""),
        (None, ""),
    ],
)
def test_peer_addresses(peer: str | None, address: str) -> None:
    assert peer_address(peer) == address

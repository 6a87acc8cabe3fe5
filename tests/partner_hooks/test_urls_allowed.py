"""Server-side request forgery: which endpoint URLs we accept and which sockets we send on."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from django.test import override_settings

from partner_hooks import services, transport
from partner_hooks.urls_allowed import UnsafeUrl, check_url, is_public_address
from tests.conftest import World
from tests.partner_hooks.conftest import Receiver

PUBLIC = "93.184.215.14"


def _resolver(*addresses: str) -> Any:
    def resolve(host: str, port: int, **kwargs: Any) -> list[Any]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in addresses]

    return resolve


def _refused(url: str, resolve: Any = None) -> str:
    with pytest.raises(UnsafeUrl) as error:
        check_url(url, allow_private=False, resolve=resolve or socket.getaddrinfo)
    return str(error.value)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.9.10",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # carrier-grade NAT
        "0.0.0.0",
        "224.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "::ffff:127.0.0.1",  # IPv4-mapped loopback
        "::ffff:169.254.169.254",
        "2002:7f00:1::",  # 6to4 around 127.0.0.1
        "64:ff9b::a9fe:a9fe",  # NAT64 around 169.254.169.254
        "fe80::1%eth0",
        "not-an-ip",
    ],
)
def test_it_calls_inward_addresses_not_public(address: str) -> None:
    assert not is_public_address(address)


@pytest.mark.parametrize("address", [PUBLIC, "8.8.8.8", "2606:4700:4700::1111"])
def test_it_calls_public_addresses_public(address: str) -> None:
    assert is_public_address(address)


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://10.0.0.5:8443/hook",
        "https://2130706433/hook",  # 127.0.0.1 written as one number
        "https://0x7f.1/hook",
        "https://localhost/hook",
        "https://db.localhost/hook",
    ],
)
def test_it_refuses_addresses_inside_our_network_in_production(url: str) -> None:
    assert "private network" in _refused(url)


def test_it_refuses_a_name_whose_addresses_are_not_all_public() -> None:
    assert "private network" in _refused("https://hooks.example.com/", _resolver("10.0.0.8"))
    assert "private network" in _refused(
        "https://hooks.example.com/", _resolver(PUBLIC, "127.0.0.1")
    )
    check_url("https://hooks.example.com/x", allow_private=False, resolve=_resolver(PUBLIC))


def test_it_refuses_other_schemes_credentials_and_plain_http_in_production() -> None:
    for url in ["ftp://example.com/", "file:///etc/passwd", "gopher://x/", "javascript:alert(1)"]:
        assert "https://" in _refused(url)
    assert "https://" in _refused("http://hooks.example.com/", _resolver(PUBLIC))
    assert "user name" in _refused("https://me:pw@hooks.example.com/", _resolver(PUBLIC))
    assert "port" in _refused("https://hooks.example.com:99999/", _resolver(PUBLIC))


def test_it_reports_a_name_that_does_not_resolve() -> None:
    def fails(*args: Any, **kwargs: Any) -> list[Any]:
        raise socket.gaierror("no such host")

    assert "could not find" in _refused("https://nowhere.example.com/", fails)


def test_it_allows_loopback_over_http_in_development() -> None:
    check_url("http://127.0.0.1:8000/hook", allow_private=True)
    with pytest.raises(UnsafeUrl):
        check_url("ftp://127.0.0.1/", allow_private=True)


@pytest.mark.django_db
def test_it_keeps_an_unsafe_endpoint_out_of_the_database(world: World) -> None:
    with (
        override_settings(PARTNER_HOOKS_ALLOW_PRIVATE_URLS=False),
        pytest.raises(services.EndpointInvalid, match="private network"),
    ):
        services.endpoint_create(tenant=world.alice_tenant, url="https://127.0.0.1/x")
    assert not world.alice_tenant.webhook_endpoints.exists()


def test_it_checks_the_connected_address_at_send_time(receiver: Receiver) -> None:
    # As if the host's DNS answer changed after the endpoint was saved (DNS rebinding): the
    # socket's peer is loopback, so nothing is sent.
    answer = transport.post(receiver.url, body=b"{}", headers={}, guarded=True)
    assert answer.status is None
    assert "private network" in answer.error
    assert receiver.received == []
    assert transport.post(receiver.url, body=b"{}", headers={}, guarded=False).status == 200


def test_it_checks_the_peer_before_the_tls_handshake(receiver: Receiver) -> None:
    url = receiver.url.replace("http://", "https://")
    answer = transport.post(url, body=b"{}", headers={}, guarded=True)
    assert "private network" in answer.error
    # Unguarded, the same call gets as far as TLS (the receiver speaks plain HTTP) and fails there.
    unguarded = transport.post(url, body=b"{}", headers={}, guarded=False)
    assert unguarded.error.startswith("Could not make a secure (TLS) connection")
    assert receiver.received == []

"""Which endpoint URLs we will call (server-side request forgery guard).

A partner chooses the URL and our worker calls it from inside our network, so in production an
endpoint must be https and every address its host resolves to must be public: no loopback,
private, link-local (cloud metadata at 169.254.169.254), shared (100.64/10), reserved or
multicast ranges, including such addresses hidden inside IPv6 (IPv4-mapped, 6to4, NAT64).
The check runs when the endpoint is saved (a form error) and again on the connected socket at
every delivery (transport.py), so a DNS answer that changes later cannot point us inward.

Development and tests (`PARTNER_HOOKS_ALLOW_PRIVATE_URLS`, on when DEBUG is) allow http and
loopback so that a local receiver works.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

Resolver = Callable[..., list[Any]]

NAT64 = ipaddress.ip_network("64:ff9b::/96")


class UnsafeUrl(ValueError):
    """The URL cannot be used; the message says why, in words for the form."""


def private_allowed() -> bool:
    return bool(getattr(settings, "PARTNER_HOOKS_ALLOW_PRIVATE_URLS", False))


def is_public_address(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip in NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None and not is_public_address(str(embedded)):
            return False
    return ip.is_global and not ip.is_multicast


def check_url(
    url: str, *, allow_private: bool | None = None, resolve: Resolver = socket.getaddrinfo
) -> None:
    """Raise UnsafeUrl unless we may POST to `url`."""
    allow_private = private_allowed() if allow_private is None else allow_private
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https"):
        raise UnsafeUrl("Use an https:// address.")
    if parts.scheme != "https" and not allow_private:
        raise UnsafeUrl("Use an https:// address: events carry your books' figures.")
    if parts.username or parts.password:
        raise UnsafeUrl("Leave the user name and password out of the address.")
    host = parts.hostname
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise UnsafeUrl("The port in this address is not a number we can use.") from None
    if not host:
        raise UnsafeUrl("The address has no host name.")
    if allow_private:
        return
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        raise UnsafeUrl("This address points inside a private network; use a public one.")
    try:
        answers = resolve(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise UnsafeUrl(f"We could not find {host}; check the address.") from None
    addresses = {str(answer[4][0]) for answer in answers}
    if not addresses or not all(is_public_address(a) for a in addresses):
        raise UnsafeUrl("This address points inside a private network; use a public one.")

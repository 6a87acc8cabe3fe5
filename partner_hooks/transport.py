"""One POST to a partner's endpoint, with the answer reduced to what the delivery log keeps.

No redirects are followed (a 3xx is a failed attempt: a redirect could lead inward), proxies
from the environment are ignored, the response body is read only up to a short excerpt, and
unless private addresses are allowed the connected socket's peer address is checked before a
byte is sent — the check that holds even if the host's DNS answer changed since it was saved.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from partner_hooks.urls_allowed import is_public_address, private_allowed

TIMEOUT = (5, 10)  # connect, read (seconds)
EXCERPT_BYTES = 500


class BlockedAddress(OSError):
    """Raised on connect; urllib3 wraps it (it is an OSError), `_blocked` finds it again."""


def _blocked(error: BaseException | None, depth: int = 0) -> bool:
    if error is None or depth > 8:
        return False
    if isinstance(error, BlockedAddress):
        return True
    inner = [error.__cause__, error.__context__, getattr(error, "reason", None), *error.args]
    return any(_blocked(e, depth + 1) for e in inner if isinstance(e, BaseException))


@dataclass(frozen=True)
class Answer:
    status: int | None
    excerpt: str
    error: str
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def _check_peer(sock: Any) -> None:
    address = sock.getpeername()[0]
    if not is_public_address(address):
        sock.close()
        raise BlockedAddress("address not allowed")


class _GuardedHTTPConnection(HTTPConnection):
    def _new_conn(self) -> Any:
        sock = super()._new_conn()
        _check_peer(sock)
        return sock


class _GuardedHTTPSConnection(HTTPSConnection):
    def _new_conn(self) -> Any:
        sock = super()._new_conn()
        _check_peer(sock)
        return sock


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class _GuardedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {  # type: ignore[assignment]
            "http": _GuardedHTTPPool,
            "https": _GuardedHTTPSPool,
        }


def _session(guarded: bool) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # no proxies or .netrc credentials from the environment
    if guarded:
        session.mount("http://", _GuardedAdapter())
        session.mount("https://", _GuardedAdapter())
    return session


def post(url: str, *, body: bytes, headers: dict[str, str], guarded: bool | None = None) -> Answer:
    """POST `body`; never raises for what the endpoint does, only describes it."""
    guarded = not private_allowed() if guarded is None else guarded
    started = time.monotonic()
    status, excerpt, error = None, "", ""
    try:
        with _session(guarded) as session:
            response = session.post(
                url, data=body, headers=headers, timeout=TIMEOUT, allow_redirects=False, stream=True
            )
            with response:
                status = response.status_code
                raw = response.raw.read(EXCERPT_BYTES, decode_content=True) or b""
                excerpt = raw.decode("utf-8", errors="replace")
    except requests.Timeout:
        error = f"No answer within {TIMEOUT[1]} seconds."
    except requests.exceptions.SSLError:
        error = "Could not make a secure (TLS) connection: check the endpoint's certificate."
    except requests.ConnectionError as exc:
        error = (
            "The address points inside a private network; nothing was sent."
            if _blocked(exc)
            else "Could not connect to the endpoint."
        )
    except requests.RequestException as exc:
        error = f"The request failed ({type(exc).__name__})."
    duration = round((time.monotonic() - started) * 1000)
    if status is not None and not 200 <= status < 300:
        error = f"The endpoint answered {status}."
        if 300 <= status < 400:
            error += " Redirects are not followed; use the final address."
    return Answer(status=status, excerpt=excerpt, error=error, duration_ms=duration)

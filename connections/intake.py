"""An ASGI front for Stripe's webhooks: the `intake` process of production.

Stripe delivers in bursts (a backfill, a busy sale day). Under gunicorn's thread worker an
event costs 1.2–1.6 ms of CPU, most of it the worker's thread hand-offs and the GIL passed
between threads that wait on PostgreSQL; under gunicorn's asyncio worker the same event costs
about 40 % less (bench/README.md, docs/decisions.md). This front serves `POST /webhooks/stripe/` and
`POST /webhooks/stripe/<token>/` and hands every other request to Django's ASGI handler, so the
process is a complete Tieout web server, fast only where it needs to be.

On PostgreSQL the platform endpoint — the busy one, where every connected account's events
arrive — never leaves the event loop: the signature check is plain CPU, the route comes from
the in-process cache (a query on a miss), and the INSERT goes through an asyncio connection
pool. Everything else (per-connection endpoints, SQLite, the doorbell's Redis call) runs the
same functions as the WSGI front and the views (connections/webhooks.py), in Django's sync
thread, so the three ways in give the same answers and store the same rows.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection as db
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from connections import inbox, webhooks
from connections.fastpath import (
    SERVER_ERROR,
    encode,
    stripe_token,
    tidy_database_connections,
    would_serve,
)
from connections.models import Provider
from connections.webhooks import Answer

logger = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# Per intake process. Stripe's retries absorb a wait that runs out: the answer is a 503.
POOL_MIN_SIZE = 2
POOL_MAX_SIZE = 10
POOL_WAIT_SECONDS = 10.0
BUSY = Answer(
    503,
    {"title": "Busy", "status": 503, "detail": "No database connection was free; retry."},
    webhooks.PROBLEM_JSON,
)


class StripeWebhookIntake:
    def __init__(self, django_app: ASGIApp) -> None:
        self.django_app = django_app
        # Read once: in the event loop every request has its own context, so `db.vendor` there
        # would build a new Django connection wrapper per request.
        self.on_postgresql = db.vendor == "postgresql"
        self._pool: AsyncConnectionPool[AsyncConnection[Any]] | None = None
        self._pool_opened: asyncio.Task[None] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        token = None
        if scope["type"] == "http":
            token = stripe_token(scope["method"], scope["path"])
        meta = _meta(scope) if token is not None else {}
        server = scope.get("server") or ("", None)
        if token is None or not would_serve(meta.get, server[0], scope.get("scheme", "")):
            await self.django_app(scope, receive, send)
            return
        try:
            answer = await self._answer(token, meta, receive)
        except Exception:
            # Stripe retries any non-2xx; the event is not lost. Django would log the same way.
            logger.exception("Stripe webhook failed")
            answer = SERVER_ERROR
        await _send(answer, send)

    async def _answer(self, token: str, meta: dict[str, str], receive: Receive) -> Answer:
        if webhooks.declared_too_large(meta.get("CONTENT_LENGTH", "0")):
            return webhooks.too_large()
        body = await _read_body(receive)
        if body is None:
            return webhooks.too_large()
        signature = meta.get("HTTP_STRIPE_SIGNATURE", "")
        if token:
            return await _in_django(webhooks.receive_stripe_connection, token, body, signature)
        if not self.on_postgresql:
            return await _in_django(webhooks.receive_stripe_platform, body, signature)
        return await self._platform(body, signature)

    async def _platform(self, body: bytes, signature: str) -> Answer:
        """`webhooks.receive_stripe_platform`, with the inbox INSERT on the event loop."""
        incoming = webhooks.check_stripe_platform(body, signature)
        if isinstance(incoming, Answer):
            return incoming
        route = None
        if incoming.account:
            key = (Provider.STRIPE, incoming.account, incoming.livemode)
            route = inbox.cached_route(*key) or await _in_django(inbox.route_for, *key)
        note = webhooks.platform_note(incoming, route)
        try:
            created = await self._insert(inbox.row_values(incoming, route, note))
        except PoolTimeout:
            logger.warning("Stripe webhook answered 503: no free database connection")
            return BUSY
        if created and route is not None and inbox.claim_doorbell(route.connection_id):
            # The row is committed (autocommit); the bell is a blocking Redis call, so it
            # rings from Django's thread, and at most once a second per connection.
            await _in_django(inbox.publish_doorbell, route.connection_id)
        return webhooks.stored(created, route is not None)

    async def _insert(self, values: dict[str, object]) -> bool:
        pool = await self._open_pool()
        async with pool.connection(timeout=POOL_WAIT_SECONDS) as conn:
            cursor = await conn.execute(
                inbox.postgresql_insert(), inbox.postgresql_params(values), prepare=True
            )
            return await cursor.fetchone() is not None

    async def _open_pool(self) -> AsyncConnectionPool[AsyncConnection[Any]]:
        """The pool of this process's event loop, opened by the first request that needs it."""
        if self._pool is None or self._pool_opened is None:
            params = db.get_connection_params()
            # Django's sync cursor class does not fit an asyncio connection.
            params.pop("cursor_factory", None)
            self._pool = AsyncConnectionPool(
                kwargs={**params, "autocommit": True},
                min_size=POOL_MIN_SIZE,
                max_size=POOL_MAX_SIZE,
                open=False,
                name="stripe-webhook-intake",
            )
            self._pool_opened = asyncio.ensure_future(self._pool.open(wait=True))
        pool, opened = self._pool, self._pool_opened
        if opened.done() and not opened.cancelled() and opened.exception() is None:
            return pool
        try:
            await asyncio.shield(opened)
        except Exception:
            # The database was unreachable: the next request tries a new pool.
            if self._pool is pool:
                self._pool = self._pool_opened = None
                await pool.close()
            raise
        return pool

    async def close(self) -> None:
        """Close the pool (lifespan shutdown); the next request opens a new one."""
        pool, opened = self._pool, self._pool_opened
        self._pool = self._pool_opened = None
        if pool is not None and opened is not None:
            await asyncio.wait([opened])
            await pool.close()

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        # Django's ASGI handler has no lifespan support; the pool opens on first use.
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.close()
                await send({"type": "lifespan.shutdown.complete"})
                return


# The headers the front reads, by their WSGI names (`would_serve` asks for some of them).
_WANTED = {
    b"host": "HTTP_HOST",
    b"x-forwarded-host": "HTTP_X_FORWARDED_HOST",
    b"x-forwarded-proto": "HTTP_X_FORWARDED_PROTO",
    b"content-length": "CONTENT_LENGTH",
    b"stripe-signature": "HTTP_STRIPE_SIGNATURE",
}


def _meta(scope: Scope) -> dict[str, str]:
    """The request headers the front needs, by their WSGI names as Django's ASGIRequest
    builds META (repeated headers joined by commas). A SECURE_PROXY_SSL_HEADER other than
    X-Forwarded-Proto is looked up too."""
    wanted = _WANTED
    ssl_header = settings.SECURE_PROXY_SSL_HEADER
    if ssl_header and ssl_header[0] not in wanted.values():
        name = ssl_header[0].removeprefix("HTTP_").lower().replace("_", "-").encode()
        wanted = {**wanted, name: ssl_header[0]}
    meta: dict[str, str] = {}
    for raw_name, raw_value in scope.get("headers", ()):
        name = wanted.get(raw_name.lower())
        if name is not None:
            value = raw_value.decode("latin1")
            meta[name] = f"{meta[name]},{value}" if name in meta else value
    return meta


async def _read_body(receive: Receive) -> bytes | None:
    """The request body, or None as soon as it grows past the limit (then unread)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > webhooks.MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _in_django[**P, R](function: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """Run Django code (ORM, Celery) from the event loop in Django's sync thread, tidying
    database connections afterwards as a request would."""

    def run() -> R:
        try:
            return function(*args, **kwargs)
        finally:
            tidy_database_connections()

    return await sync_to_async(run, thread_sensitive=True)()


async def _send(answer: Answer, send: Send) -> None:
    payload, headers = encode(answer)
    await send(
        {
            "type": "http.response.start",
            "status": answer.status,
            "headers": [(name.lower().encode(), value.encode()) for name, value in headers],
        }
    )
    await send({"type": "http.response.body", "body": payload})

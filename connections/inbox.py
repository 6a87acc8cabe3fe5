"""Store verified webhook events in the inbox; hand them to registered handlers later.

Nothing slow happens in the request: one `INSERT … ON CONFLICT DO NOTHING RETURNING` in
autocommit (unique per provider, account and event id), at most one doorbell per connection
and second from each web process, and the answer. The rows are the truth: a worker drains
every received row of the connection when the bell rings, and a beat sweep rings for rows
nobody drained. Apps that act on events (syncs) register a handler here instead of being
imported by connections.
"""

from __future__ import annotations

import functools
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import psycopg
from django.db import connection as db
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from connections.models import Connection, InboundEvent

logger = logging.getLogger(__name__)

Handler = Callable[[InboundEvent], None]
INSERT_FIELDS = (
    "provider",
    "event_id",
    "account",
    "livemode",
    "type",
    "payload",
    "connection_id",
    "tenant_id",
    "status",
    "note",
    "attempts",
    "received_at",
)
_HANDLERS: dict[str, list[Handler]] = {}

# Positive lookups only, and briefly: a connection made a moment ago must never have its
# events ignored, and a disconnected one is re-checked by the worker anyway.
ROUTE_TTL_SECONDS = 5.0
_routes: dict[tuple[str, str, bool | None], tuple[float, int, int]] = {}

# A web process rings at most once per connection in this window, and the drain it rings for
# starts DRAIN_DELAY_SECONDS later — after the window has closed, with a second to spare for
# clock differences between machines — so it finds every event the process stored meanwhile.
DOORBELL_SECONDS = 1.0
DRAIN_DELAY_SECONDS = 2.0
_rung_at: dict[int, float] = {}


def register_handler(provider: str, handler: Handler) -> None:
    if handler not in _HANDLERS.setdefault(provider, []):
        _HANDLERS[provider].append(handler)


def handlers_for(provider: str) -> list[Handler]:
    return list(_HANDLERS.get(provider, []))


@dataclass(frozen=True)
class Incoming:
    provider: str
    event_id: str
    account: str
    livemode: bool | None
    type: str
    payload: dict[str, object]
    # The verified body as received, when it is exactly `payload` as JSON text: stored as is,
    # so a busy endpoint does not serialise every event a second time.
    payload_json: str = ""


@dataclass(frozen=True)
class Route:
    connection_id: int
    tenant_id: int


def cached_route(provider: str, account: str, livemode: bool | None) -> Route | None:
    """The route `route_for` found less than ROUTE_TTL_SECONDS ago, without a query."""
    cached = _routes.get((provider, account, livemode))
    if cached and time.monotonic() - cached[0] < ROUTE_TTL_SECONDS:
        return Route(cached[1], cached[2])
    return None


def route_for(provider: str, account: str, livemode: bool | None) -> Route | None:
    """The active connection events of this account and mode belong to."""
    cached = cached_route(provider, account, livemode)
    if cached:
        return cached
    found = Connection.objects.active().filter(provider=provider, external_id=account)
    if livemode is not None:
        found = found.filter(livemode=livemode)
    row = found.values_list("pk", "tenant_id").first()
    if row is None:
        return None
    _routes[(provider, account, livemode)] = (time.monotonic(), row[0], row[1])
    return Route(row[0], row[1])


def inbox_store(*, incoming: Incoming, route: Route | None, note: str = "") -> bool:
    """Insert the event; return False when it was already there (a duplicate delivery)."""
    inserted = _insert_once(row_values(incoming, route, note))
    if inserted and route is not None:
        ring(route.connection_id)
    return inserted


def row_values(incoming: Incoming, route: Route | None, note: str) -> dict[str, object]:
    """The inbox row of an event, as `INSERT_FIELDS` name them."""
    status = InboundEvent.Status.RECEIVED if route else InboundEvent.Status.IGNORED
    return {
        "provider": incoming.provider,
        "event_id": incoming.event_id,
        "account": incoming.account,
        "livemode": incoming.livemode,
        "type": incoming.type,
        "payload": incoming.payload_json or incoming.payload,
        "connection_id": route.connection_id if route else None,
        "tenant_id": route.tenant_id if route else None,
        "status": str(status),
        "note": note[:255],
        "attempts": 0,
        "received_at": timezone.now(),
    }


def _insert_once(values: dict[str, object]) -> bool:
    if db.vendor == "postgresql":
        return _insert_once_postgresql(values)
    if isinstance(values["payload"], str):
        values = {**values, "payload": json.loads(values["payload"])}
    meta = InboundEvent._meta
    fields = [meta.get_field(name) for name in values]
    columns = ", ".join(db.ops.quote_name(f.column) for f in fields)
    params = [
        f.get_db_prep_save(value, db) for f, value in zip(fields, values.values(), strict=True)
    ]
    placeholders = ", ".join(["%s"] * len(fields))
    sql = (
        f"INSERT INTO {db.ops.quote_name(meta.db_table)} ({columns}) VALUES ({placeholders}) "  # noqa: S608
        "ON CONFLICT (provider, account, event_id) DO NOTHING RETURNING id"
    )
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone() is not None


@functools.cache
def postgresql_insert() -> str:
    """The inbox INSERT for PostgreSQL, with the payload sent as JSON text (`params`)."""
    meta = InboundEvent._meta
    columns = [meta.get_field(name).column for name in INSERT_FIELDS]
    placeholders = ["%s::jsonb" if name == "payload" else "%s" for name in INSERT_FIELDS]
    return (
        f"INSERT INTO {db.ops.quote_name(meta.db_table)} "  # noqa: S608
        f"({', '.join(db.ops.quote_name(c) for c in columns)}) "
        f"VALUES ({', '.join(placeholders)}) "
        "ON CONFLICT (provider, account, event_id) DO NOTHING RETURNING id"
    )


def postgresql_params(values: dict[str, object]) -> list[object]:
    payload = values["payload"]
    as_text = payload if isinstance(payload, str) else json.dumps(payload)
    return [as_text if name == "payload" else values[name] for name in INSERT_FIELDS]


def _insert_once_postgresql(values: dict[str, object]) -> bool:
    """The same INSERT with server-side parameters and a prepared statement.

    Django's PostgreSQL cursors bind parameters client-side, which quotes the 2–3 KB event
    into the SQL text on every request; sent as a parameter of a statement prepared once per
    connection, it costs a fraction of that (bench/webhooks).
    """
    db.ensure_connection()
    with db.wrap_database_errors, psycopg.Cursor(db.connection) as cursor:
        cursor.execute(postgresql_insert(), postgresql_params(values), prepare=True)
        return cursor.fetchone() is not None


def ring(connection_id: int) -> None:
    """Ask a worker to drain this connection's inbox once the event's transaction commits."""
    if claim_doorbell(connection_id):
        transaction.on_commit(lambda: publish_doorbell(connection_id))


def claim_doorbell(connection_id: int) -> bool:
    """True at most once a second per connection and process: the caller then publishes.

    The window is kept in this process's memory, not in Redis: a shared key cost a Redis round
    trip on every event. Several web processes may each ring within a second; a drain that
    finds nothing left is cheap.
    """
    now = time.monotonic()
    rung = _rung_at.get(connection_id)
    if rung is not None and now - rung < DOORBELL_SECONDS:
        return False
    _rung_at[connection_id] = now
    return True


def publish_doorbell(connection_id: int) -> None:
    """Best effort: the event is already stored, so a broker outage must not turn Stripe's
    delivery into an error. The inbox sweeper drains what no doorbell announced."""
    from connections import tasks

    try:
        tasks.drain_inbox.apply_async((connection_id,), countdown=DRAIN_DELAY_SECONDS)
    except (OperationalError, OSError) as error:
        logger.warning(
            "doorbell for connection %s not sent (%s); the sweeper will drain it",
            connection_id,
            type(error).__name__,
        )
        # A bell that did not go out closes the window: the next event tries again.
        _rung_at.pop(connection_id, None)

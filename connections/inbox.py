"""Store verified webhook events in the inbox; hand them to registered handlers later.

Nothing slow happens in the request: one INSERT (unique per provider, account and event id),
a doorbell for the worker after commit, and the answer. Apps that act on events (syncs)
register a handler here instead of being imported by connections, so the layering holds.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from connections.models import Connection, InboundEvent

logger = logging.getLogger(__name__)

Handler = Callable[[InboundEvent], None]
_HANDLERS: dict[str, list[Handler]] = {}


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


def inbox_store(*, incoming: Incoming, connection: Connection | None, note: str = "") -> bool:
    """Insert the event; return False when it was already there (a duplicate delivery)."""
    status = InboundEvent.Status.RECEIVED if connection else InboundEvent.Status.IGNORED
    row = InboundEvent(
        provider=incoming.provider,
        event_id=incoming.event_id,
        account=incoming.account,
        livemode=incoming.livemode,
        type=incoming.type,
        payload=incoming.payload,
        connection=connection,
        tenant_id=connection.tenant_id if connection else None,
        status=status,
        note=note[:255],
    )
    try:
        with transaction.atomic():
            row.save(force_insert=True)
    except IntegrityError:
        return False
    if connection is not None:
        from connections import tasks

        transaction.on_commit(lambda: tasks.dispatch_inbound_event.delay(row.pk))
    return True

"""The Celery app, its queues and the one beat schedule.

The queue is only a doorbell: every task takes ids, is safe to run twice, and finds its work in
the database. Queues are split by kind so that a slow QuickBooks company cannot starve webhook
ingestion: `ingest` (Stripe events, backfill pages), `post` (QuickBooks writes), `default`.
"""

from __future__ import annotations

import os
from typing import Any

from celery import Celery
from celery.schedules import crontab
from celery.signals import worker_ready
from kombu import Exchange, Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("tieout")
app.config_from_object("django.conf:settings", namespace="CELERY")

# Each queue has its own routing key on one direct exchange: a message goes to exactly one
# queue (with Queue(name) alone all three would share the key "default" and each get a copy).
_exchange = Exchange("tieout", type="direct")
app.conf.task_queues = tuple(
    Queue(name, _exchange, routing_key=name) for name in ("ingest", "post", "default")
)
app.conf.task_default_exchange = "tieout"
app.conf.task_default_exchange_type = "direct"
app.conf.task_default_routing_key = "default"
app.conf.task_routes = {
    "syncs.tasks.ingest_*": {"queue": "ingest"},
    "syncs.tasks.run_sync": {"queue": "ingest"},
    "connections.tasks.drain_inbox": {"queue": "ingest"},
    "syncs.tasks.post_*": {"queue": "post"},
    "syncs.tasks.sweep_outbox": {"queue": "default"},
}

# What runs when. Beat tasks only fan out (enqueue per-tenant work under a lock); each entry
# says why it exists.
app.conf.beat_schedule = {
    # Proves the worker and beat are alive; /healthz and the operations page read the stamp.
    "heartbeat": {"task": "tenants.tasks.heartbeat", "schedule": 60.0},
    # Access tokens live an hour; refreshing 15 minutes ahead keeps posting from waiting, and a
    # revoked grant is noticed (and the admins told) within 5 minutes instead of at post time.
    "refresh-expiring-tokens": {
        "task": "connections.tasks.refresh_expiring_tokens",
        "schedule": 5 * 60.0,
    },
    # Webhook events whose doorbell was lost are drained within a minute.
    "sweep-inbox": {"task": "connections.tasks.sweep_inbox", "schedule": 60.0},
    # The queue is only a doorbell: this finds every company whose outbox has due, failed or
    # unresolved rows and rings again, so a lost or doubled message changes nothing.
    "sweep-outbox": {"task": "syncs.tasks.sweep_outbox", "schedule": 60.0},
    # Partner webhooks: rings again for every delivery that is due (a retry whose time has
    # come, or one whose doorbell was lost or whose worker died), so none waits for a message.
    "sweep-webhook-deliveries": {
        "task": "partner_hooks.tasks.sweep_webhook_deliveries",
        "schedule": 60.0,
    },
    # Each organisation's own schedule (real time + a safety-net scan every N minutes, or a
    # daily / weekly batch at its time): this checks every 5 minutes which ones are due.
    "scheduled-scans": {
        "task": "syncs.tasks.schedule_safety_net_scans",
        "schedule": 5 * 60.0,
    },
    # QuickBooks company settings (home currency, multicurrency, numbering, books closing
    # date) decide how we post; a user can change them any day.
    "refresh-company-facts": {
        "task": "connections.tasks.refresh_company_facts",
        "schedule": crontab(hour=3, minute=17),
    },
    # Partner API: an Idempotency-Key's answer replays for 24 hours; after that the record is
    # dead weight, and most clients send a fresh key per request, so nothing else removes it.
    "purge-idempotency-records": {
        "task": "api.tasks.purge_idempotency_records",
        "schedule": crontab(hour=3, minute=47),
    },
}

app.autodiscover_tasks()


@worker_ready.connect
def _announce_worker(sender: Any, **kwargs: Any) -> None:
    # Stamp the heartbeat at once, so /healthz shows a fresh worker without waiting for beat.
    sender.app.send_task("tenants.tasks.heartbeat")

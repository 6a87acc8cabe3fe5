"""Signed webhook delivery with retries, plus chaos switches (duplicate, out-of-order, delayed).

Deliveries are queued when an event is created and sent by `deliver_due`, which the server's
background thread calls every few milliseconds, and tests call directly. Due times follow the
emulator clock: a failed attempt is retried after `RETRY_BACKOFF[n]` emulator seconds, so a
test advances the clock to see a retry. The signature timestamp is wall-clock time, as the
receiver's `stripe.Webhook.construct_event` compares it with `time.time()` (300 s tolerance).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from emulators.stripe.store import Store

# Stripe's sandbox retries "three times over a few hours"; the exact intervals are not published.
RETRY_BACKOFF = (600, 3600, 3 * 3600)
SEND_TIMEOUT = 5.0


def public(obj: dict[str, Any]) -> dict[str, Any]:
    """The object without the emulator's private `_` keys."""
    return {k: v for k, v in obj.items() if not k.startswith("_")}


def sign(payload: str, secret: str, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def _platform_of(store: Store, account: str) -> str:
    acct = store.account(account) or {}
    return acct.get("_platform") or account


def _endpoints_for(store: Store, event: dict[str, Any], account: str) -> list[dict[str, Any]]:
    from emulators.stripe.store import ledger_key

    livemode = event["livemode"]
    platform = _platform_of(store, account)
    found = []
    if platform != account:
        # Connect endpoints of the platform receive events of its connected accounts.
        found += [
            e
            for e in store.objects(ledger_key(platform, livemode), "webhook_endpoint")
            if e["connect"]
        ]
    found += [
        e
        for e in store.objects(ledger_key(account, livemode), "webhook_endpoint")
        if not e["connect"]
    ]
    return [e for e in found if e["status"] == "enabled" and _wants(e, event["type"])]


def _wants(endpoint: dict[str, Any], event_type: str) -> bool:
    enabled = endpoint["enabled_events"]
    return "*" in enabled or event_type in enabled


def enqueue(store: Store, event: dict[str, Any], account: str) -> None:
    chaos = store.state["chaos"]
    endpoints = _endpoints_for(store, event, account)
    event["pending_webhooks"] = len(endpoints)
    payload = json.dumps(public(event), indent=2)
    for endpoint in endpoints:
        store.state["deliveries"].append(
            {
                "id": f"whd_{len(store.state['deliveries']) + 1:08d}",
                "endpoint": endpoint["id"],
                "url": endpoint["url"],
                "secret": endpoint["secret"],
                "event": event["id"],
                "type": event["type"],
                "account": event.get("account"),
                "payload": payload,
                "status": "pending",
                "next_at": store.now + int(chaos["delay_seconds"]),
                "attempts": [],
            }
        )


def _claim_due(store: Store) -> list[dict[str, Any]]:
    with store.lock:
        due = [
            d
            for d in store.state["deliveries"]
            if d["status"] == "pending" and d["next_at"] <= store.now
        ]
        for delivery in due:
            delivery["status"] = "sending"
        chaos = dict(store.state["chaos"])
    if chaos["out_of_order"]:
        due.reverse()
    if chaos["duplicate"]:
        due = [d for delivery in due for d in (delivery, delivery)]
    return due


def _post(delivery: dict[str, Any]) -> tuple[int | None, str]:
    data = delivery["payload"].encode()
    request = urllib.request.Request(  # noqa: S310 - the URL is a registered endpoint
        delivery["url"],
        data=data,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "Stripe-Signature": sign(delivery["payload"], delivery["secret"]),
            "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=SEND_TIMEOUT) as response:  # noqa: S310
            return response.status, ""
    except urllib.error.HTTPError as exc:
        return exc.code, ""
    except (OSError, urllib.error.URLError) as exc:
        return None, str(exc)


def _record(store: Store, delivery: dict[str, Any], status: int | None, error: str) -> None:
    with store.lock:
        delivery["attempts"].append(
            {"at": store.now, "wall": int(time.time()), "status": status, "error": error}
        )
        if status is not None and 200 <= status < 300:
            delivery["status"] = "succeeded"
        elif delivery["status"] == "succeeded":
            return  # a chaos duplicate of an already delivered event
        elif len(delivery["attempts"]) > len(RETRY_BACKOFF):
            delivery["status"] = "failed"
        else:
            delivery["status"] = "pending"
            delivery["next_at"] = store.now + RETRY_BACKOFF[len(delivery["attempts"]) - 1]
        _update_pending_count(store, delivery["event"])


def _update_pending_count(store: Store, event_id: str) -> None:
    located = store.locate(event_id)
    if located is not None:
        pending = [
            d
            for d in store.state["deliveries"]
            if d["event"] == event_id and d["status"] in ("pending", "sending")
        ]
        located[1]["pending_webhooks"] = len(pending)


def deliver_due(store: Store) -> int:
    """Send every delivery due now (outside the store lock). Returns the number of POSTs."""
    due = _claim_due(store)
    for delivery in due:
        status, error = _post(delivery)
        _record(store, delivery, status, error)
    return len(due)


def summary(delivery: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in delivery.items() if k not in ("secret", "payload")}

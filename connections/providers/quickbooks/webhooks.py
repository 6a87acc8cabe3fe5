"""Verify Intuit's webhook signature and split a delivery into entity-change notifications.

Reference: https://developer.intuit.com/app/developer/qbo/docs/develop/webhooks —
`intuit-signature: base64(HMAC-SHA256(verifier token, raw body))`. Accepts the legacy
`eventNotifications` format and the CloudEvents array (one POST may cover several realms).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from connections.inbox import Incoming


class BadSignature(Exception):
    pass


class BadPayload(Exception):
    pass


def signature_for(body: bytes, verifier_token: str) -> str:
    digest = hmac.new(verifier_token.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def verify(body: bytes, header: str, verifier_token: str) -> None:
    if not verifier_token or not hmac.compare_digest(
        signature_for(body, verifier_token).encode(), (header or "").encode()
    ):
        raise BadSignature("The intuit-signature header does not match this body.")


def parse(body: bytes) -> list[Incoming]:
    try:
        data = json.loads(body)
    except ValueError:
        raise BadPayload("The body is not JSON.") from None
    if isinstance(data, list):
        return [_cloud_event(item) for item in data]
    if isinstance(data, dict) and isinstance(data.get("eventNotifications"), list):
        return [
            incoming
            for notification in data["eventNotifications"]
            for incoming in _legacy_notification(notification)
        ]
    raise BadPayload("The body is neither CloudEvents nor eventNotifications.")


def _cloud_event(item: Any) -> Incoming:
    if not isinstance(item, dict) or not item.get("id") or not item.get("intuitaccountid"):
        raise BadPayload("A CloudEvent lacks id or intuitaccountid.")
    return Incoming(
        provider="quickbooks",
        event_id=str(item["id"]),
        account=str(item["intuitaccountid"]),
        livemode=None,
        type=str(item.get("type", "")),
        payload=item,
    )


def _legacy_notification(notification: Any) -> list[Incoming]:
    try:
        realm = str(notification["realmId"])
        entities = notification["dataChangeEvent"]["entities"]
    except (KeyError, TypeError):
        raise BadPayload("An eventNotification lacks realmId or entities.") from None
    result = []
    for entity in entities:
        if not isinstance(entity, dict):
            raise BadPayload("An entity change is not an object.")
        # Legacy notifications carry no id: the change itself identifies the event.
        key = "|".join(str(entity.get(f, "")) for f in ("name", "id", "operation", "lastUpdated"))
        result.append(
            Incoming(
                provider="quickbooks",
                event_id=hashlib.sha256(f"{realm}|{key}".encode()).hexdigest()[:40],
                account=realm,
                livemode=None,
                type=f"{entity.get('name', '')}.{entity.get('operation', '')}",
                payload={"realmId": realm, **entity},
            )
        )
    return result

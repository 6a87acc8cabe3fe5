"""Verify Stripe's webhook signature on the raw body and read the routing fields.

Reference: https://docs.stripe.com/webhooks#verify-events — `Stripe-Signature: t=…,v1=…`,
HMAC-SHA256 of "t.body", any v1 may match (secret rolling), 300 s tolerance.
"""

from __future__ import annotations

import json

import stripe

from connections.inbox import Incoming

TOLERANCE_SECONDS = 300


class BadSignature(Exception):
    pass


class BadPayload(Exception):
    pass


def verify_and_parse(body: bytes, signature_header: str, secret: str) -> Incoming:
    try:
        stripe.WebhookSignature.verify_header(
            body.decode("utf-8", errors="replace"), signature_header, secret, TOLERANCE_SECONDS
        )
    except stripe.SignatureVerificationError:
        raise BadSignature("The Stripe-Signature header does not match this body.") from None
    try:
        event = json.loads(body)
    except ValueError:
        raise BadPayload("The body is not JSON.") from None
    if not isinstance(event, dict) or not isinstance(event.get("id"), str):
        raise BadPayload("The body is not a Stripe event.")
    return Incoming(
        provider="stripe",
        event_id=event["id"],
        account=str(event.get("account") or ""),
        livemode=bool(event.get("livemode")),
        type=str(event.get("type", "")),
        payload=event,
        payload_json=body.decode("utf-8"),
    )

"""Webhook endpoints: verify, insert into the inbox, ring the worker on commit, answer 2xx.

Answers: 200 for stored, duplicate and ignored events (Stripe must stop retrying them);
400 for a bad signature or a body that is not an event; 404 for an unknown per-connection
endpoint; 413 for bodies over the size limit; 503 while the endpoint has no secret configured.

The Stripe endpoints are the busiest URLs of the product, so their logic is written against
plain bytes and returns an `Answer`: the Django views below wrap it, and so do the fronts that
serve these two URLs in production without Django's middleware and URL resolver — the WSGI
front of the `web` process (connections/fastpath.py) and the ASGI front of the `intake`
process (connections/intake.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from connections.inbox import Incoming, Route, inbox_store, route_for
from connections.models import Connection, Provider
from connections.providers.quickbooks import webhooks as qbo_webhooks
from connections.providers.stripe import webhooks as stripe_webhooks
from tenants.http import problem, problem_body

MAX_BODY_BYTES = 256 * 1024
PROBLEM_JSON = "application/problem+json"


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any] = field(default_factory=dict)
    content_type: str = "application/json"


def _refused(status: int, title: str, detail: str = "") -> Answer:
    return Answer(status, problem_body(status, title, detail), PROBLEM_JSON)


def declared_too_large(content_length: str) -> bool:
    """Checked before the body is read, so an oversized upload is never buffered."""
    return content_length.isdigit() and int(content_length) > MAX_BODY_BYTES


def too_large() -> Answer:
    return _refused(413, "Body too large", f"Events are at most {MAX_BODY_BYTES} bytes.")


def stored(created: bool, routed: bool) -> Answer:
    status = "received" if routed else "ignored"
    return Answer(200, {"received": True, "duplicate": not created, "status": status})


def _verify(body: bytes, signature: str, secret: str) -> Incoming | Answer:
    try:
        return stripe_webhooks.verify_and_parse(body, signature, secret)
    except (stripe_webhooks.BadSignature, stripe_webhooks.BadPayload) as error:
        return _refused(400, "Event refused", str(error))


def check_stripe_platform(body: bytes, signature: str) -> Incoming | Answer:
    """The verified event, or the refusal to answer with. Touches no database."""
    if len(body) > MAX_BODY_BYTES:
        return too_large()
    if not settings.STRIPE_WEBHOOK_SECRET:
        return _refused(503, "Webhook endpoint not configured", "STRIPE_WEBHOOK_SECRET is unset.")
    return _verify(body, signature, settings.STRIPE_WEBHOOK_SECRET)


def platform_note(incoming: Incoming, route: Route | None) -> str:
    """Why a platform event is kept as ignored ("" when it has an organisation)."""
    if route:
        return ""
    if incoming.account:
        return "no organisation has this account connected"
    return "platform event without an account"


def receive_stripe_platform(body: bytes, signature: str) -> Answer:
    """Connect events for every connected account, routed by `event.account`."""
    incoming = check_stripe_platform(body, signature)
    if isinstance(incoming, Answer):
        return incoming
    route = None
    if incoming.account:
        route = route_for(Provider.STRIPE, incoming.account, incoming.livemode)
    created = inbox_store(incoming=incoming, route=route, note=platform_note(incoming, route))
    return stored(created, route is not None)


def receive_stripe_connection(token: str, body: bytes, signature: str) -> Answer:
    """Events for one connection, signed with that connection's own secret."""
    if len(body) > MAX_BODY_BYTES:
        return too_large()
    connection = (
        Connection.objects.active().filter(provider=Provider.STRIPE, webhook_token=token).first()
    )
    if connection is None:
        return _refused(404, "Unknown webhook endpoint")
    if not connection.webhook_secret:
        return _refused(503, "Webhook endpoint not configured", "No signing secret saved yet.")
    incoming = _verify(body, signature, connection.webhook_secret)
    if isinstance(incoming, Answer):
        return incoming
    route: Route | None = Route(connection.pk, connection.tenant_id)
    note = ""
    if incoming.livemode != connection.livemode:
        # Stripe sends test events to live endpoints too; keep the modes apart.
        route, note = None, "event mode does not match the connection's mode"
    incoming = replace(incoming, account=incoming.account or connection.external_id)
    created = inbox_store(incoming=incoming, route=route, note=note)
    return stored(created, route is not None)


def _respond(answer: Answer) -> JsonResponse:
    return JsonResponse(answer.body, status=answer.status, content_type=answer.content_type)


def _stripe_view(request: HttpRequest, receive: Any, *args: str) -> HttpResponse:
    if declared_too_large(request.headers.get("Content-Length", "0")):
        return _respond(too_large())
    signature = request.headers.get("Stripe-Signature", "")
    return _respond(receive(*args, request.body, signature))


@csrf_exempt
@require_POST
def stripe_platform(request: HttpRequest) -> HttpResponse:
    return _stripe_view(request, receive_stripe_platform)


@csrf_exempt
@require_POST
def stripe_connection(request: HttpRequest, token: str) -> HttpResponse:
    return _stripe_view(request, receive_stripe_connection, token)


@csrf_exempt
@require_POST
def quickbooks(request: HttpRequest) -> HttpResponse:
    """Entity-change notifications from Intuit (legacy or CloudEvents format)."""
    if declared_too_large(request.headers.get("Content-Length", "0")) or (
        len(request.body) > MAX_BODY_BYTES
    ):
        return problem(413, "Body too large", f"Deliveries are at most {MAX_BODY_BYTES} bytes.")
    try:
        qbo_webhooks.verify(
            request.body,
            request.headers.get("intuit-signature", ""),
            settings.INTUIT_WEBHOOK_VERIFIER_TOKEN,
        )
        notifications = qbo_webhooks.parse(request.body)
    except (qbo_webhooks.BadSignature, qbo_webhooks.BadPayload) as error:
        return problem(400, "Notification refused", str(error))
    stored = 0
    for incoming in notifications:
        route = route_for(Provider.QUICKBOOKS, incoming.account, None)
        note = "" if route else "no organisation has this company connected"
        stored += inbox_store(incoming=incoming, route=route, note=note)
    return JsonResponse({"received": len(notifications), "new": stored})

"""Webhook endpoints: verify, insert into the inbox, ring the worker on commit, answer 2xx.

Answers: 200 for stored, duplicate and ignored events (Stripe must stop retrying them);
400 for a bad signature or a body that is not an event; 404 for an unknown per-connection
endpoint; 413 for bodies over the size limit; 503 while the endpoint has no secret configured.
"""

from __future__ import annotations

from dataclasses import replace

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from connections.inbox import Incoming, Route, inbox_store, route_for
from connections.models import Connection, Provider
from connections.providers.quickbooks import webhooks as qbo_webhooks
from connections.providers.stripe import webhooks as stripe_webhooks
from tenants.http import problem

MAX_BODY_BYTES = 256 * 1024


def _too_large(request: HttpRequest) -> bool:
    declared = request.headers.get("Content-Length", "0")
    return (declared.isdigit() and int(declared) > MAX_BODY_BYTES) or len(
        request.body
    ) > MAX_BODY_BYTES


def _stored(created: bool, status: str) -> JsonResponse:
    return JsonResponse({"received": True, "duplicate": not created, "status": status})


def _stripe_route(incoming: Incoming) -> tuple[Route | None, str]:
    if not incoming.account:
        return None, "platform event without an account"
    route = route_for(Provider.STRIPE, incoming.account, incoming.livemode)
    return route, "" if route else "no organisation has this account connected"


@csrf_exempt
@require_POST
def stripe_platform(request: HttpRequest) -> HttpResponse:
    """Connect events for every connected account, routed by `event.account`."""
    if _too_large(request):
        return problem(413, "Body too large", f"Events are at most {MAX_BODY_BYTES} bytes.")
    if not settings.STRIPE_WEBHOOK_SECRET:
        return problem(503, "Webhook endpoint not configured", "STRIPE_WEBHOOK_SECRET is unset.")
    try:
        incoming = stripe_webhooks.verify_and_parse(
            request.body,
            request.headers.get("Stripe-Signature", ""),
            settings.STRIPE_WEBHOOK_SECRET,
        )
    except (stripe_webhooks.BadSignature, stripe_webhooks.BadPayload) as error:
        return problem(400, "Event refused", str(error))
    route, note = _stripe_route(incoming)
    created = inbox_store(incoming=incoming, route=route, note=note)
    return _stored(created, "received" if route else "ignored")


@csrf_exempt
@require_POST
def stripe_connection(request: HttpRequest, token: str) -> HttpResponse:
    """Events for one connection, signed with that connection's own secret."""
    if _too_large(request):
        return problem(413, "Body too large", f"Events are at most {MAX_BODY_BYTES} bytes.")
    connection = (
        Connection.objects.active().filter(provider=Provider.STRIPE, webhook_token=token).first()
    )
    if connection is None:
        return problem(404, "Unknown webhook endpoint")
    if not connection.webhook_secret:
        return problem(503, "Webhook endpoint not configured", "No signing secret saved yet.")
    try:
        incoming = stripe_webhooks.verify_and_parse(
            request.body, request.headers.get("Stripe-Signature", ""), connection.webhook_secret
        )
    except (stripe_webhooks.BadSignature, stripe_webhooks.BadPayload) as error:
        return problem(400, "Event refused", str(error))
    route: Route | None = Route(connection.pk, connection.tenant_id)
    note = ""
    if incoming.livemode != connection.livemode:
        # Stripe sends test events to live endpoints too; keep the modes apart.
        route, note = None, "event mode does not match the connection's mode"
    incoming = replace(incoming, account=incoming.account or connection.external_id)
    created = inbox_store(incoming=incoming, route=route, note=note)
    return _stored(created, "received" if route else "ignored")


@csrf_exempt
@require_POST
def quickbooks(request: HttpRequest) -> HttpResponse:
    """Entity-change notifications from Intuit (legacy or CloudEvents format)."""
    if _too_large(request):
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

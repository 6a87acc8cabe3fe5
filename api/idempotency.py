"""Idempotency-Key on POST: the same key and body → the stored answer, replayed.

The record is claimed with an INSERT on (principal, key) before the work starts, so of two
concurrent requests exactly one does the work; the other gets 409 until the first has
finished. Another body under a used key → 422. A 5xx or an exception frees the key, so the
caller can retry. Records older than IDEMPOTENCY_TTL no longer count, and a daily beat task
purges them (`purge_expired`).
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from api.access import api_key_of
from api.models import IdempotencyRecord

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
IDEMPOTENCY_TTL = timedelta(hours=24)
# Deleted in batches so that a large backlog never holds one long transaction.
PURGE_BATCH = 5_000


class IdempotencyConflict(APIException):
    status_code = 409
    default_detail = "A request with this Idempotency-Key is still being handled; retry shortly."
    default_code = "idempotency_in_progress"


class IdempotencyKeyReused(APIException):
    status_code = 422
    default_detail = "This Idempotency-Key was used with a different request."
    default_code = "idempotency_key_reused"


def _principal(request: Request) -> str:
    key = api_key_of(request)
    return f"key:{key.pk}" if key is not None else f"user:{request.user.pk}"


def _fingerprint(request: Request) -> str:
    try:
        body = json.dumps(request.data, sort_keys=True, default=str)
    except TypeError:
        body = repr(request.data)
    material = f"{request.method} {request.path}\n{body}"
    return hashlib.sha256(material.encode()).hexdigest()


def purge_expired() -> int:
    """Delete the records older than IDEMPOTENCY_TTL (they replay nothing any more); return
    how many. Without this, every key a client ever sent would stay: most send a new UUID
    per request, so reuse never replaces them."""
    cutoff = timezone.now() - IDEMPOTENCY_TTL
    expired = IdempotencyRecord.objects.filter(created__lt=cutoff)
    purged = 0
    while batch := list(expired.values_list("pk", flat=True)[:PURGE_BATCH]):
        purged += IdempotencyRecord.objects.filter(pk__in=batch).delete()[0]
    return purged


def _claim(principal: str, key: str, fingerprint: str) -> IdempotencyRecord | None:
    """Claim the key (None) or return the record that already holds it."""
    IdempotencyRecord.objects.filter(
        principal=principal, key=key, created__lt=timezone.now() - IDEMPOTENCY_TTL
    ).delete()
    try:
        with transaction.atomic():
            IdempotencyRecord.objects.create(principal=principal, key=key, fingerprint=fingerprint)
    except IntegrityError:
        return IdempotencyRecord.objects.filter(principal=principal, key=key).first()
    return None


def idempotent(handler: Callable[..., Response]) -> Callable[..., Response]:
    """Wrap an APIView's `post`: it runs after authentication, permissions and throttling."""

    @functools.wraps(handler)
    def wrapper(view: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = request.headers.get(HEADER)
        if key is None:
            return handler(view, request, *args, **kwargs)
        if not key.strip() or len(key) > 255 or not (key.isascii() and key.isprintable()):
            raise ValidationError({HEADER: ["Use 1 to 255 printable ASCII characters."]})
        principal = _principal(request)
        fingerprint = _fingerprint(request)
        existing = _claim(principal, key, fingerprint)
        if existing is not None:
            return _replay(existing, fingerprint)
        try:
            response = handler(view, request, *args, **kwargs)
        except Exception:
            IdempotencyRecord.objects.filter(principal=principal, key=key).delete()
            raise
        if response.status_code >= 500:
            IdempotencyRecord.objects.filter(principal=principal, key=key).delete()
            return response
        IdempotencyRecord.objects.filter(principal=principal, key=key).update(
            status_code=response.status_code, body=response.data
        )
        return response

    return wrapper


def _replay(record: IdempotencyRecord, fingerprint: str) -> Response:
    if record.fingerprint != fingerprint:
        raise IdempotencyKeyReused
    if record.status_code is None:
        raise IdempotencyConflict
    return Response(record.body, status=record.status_code, headers={REPLAYED_HEADER: "true"})

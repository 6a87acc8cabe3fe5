"""A WSGI front that serves Stripe's webhook POSTs without Django's request machinery.

Stripe delivers bursts of events (a backfill, a busy sale day), and each one costs Django's
request object, eleven middlewares and the URL resolver before our few lines run: about half
of the CPU of an event (bench/webhooks). This front answers exactly `POST /webhooks/stripe/`
and `POST /webhooks/stripe/<token>/` by calling the same functions as the Django views
(connections/webhooks.py), and hands every other request to Django untouched.

What the skipped middleware would have done is kept where it matters for these URLs: a host
outside ALLOWED_HOSTS, or plain HTTP when SECURE_SSL_REDIRECT is on, goes to Django, which
refuses or redirects as usual; answers carry `X-Content-Type-Options: nosniff`; database
connections are tidied after each request as Django does. The ASGI front of the `intake`
process (connections/intake.py) makes the same checks with the functions below.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.db import connections
from django.http.request import split_domain_port, validate_host

from connections import webhooks
from connections.webhooks import Answer

logger = logging.getLogger(__name__)

PREFIX = "/webhooks/stripe/"
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
# A request header by its WSGI name (`HTTP_HOST`), as `request.META` has it.
Meta = Callable[[str], str | None]
SERVER_ERROR = Answer(500, {"title": "Server error", "status": 500}, "application/json")


class StripeWebhookFront:
    def __init__(self, django_app: WSGIApp) -> None:
        self.django_app = django_app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        token = stripe_token(environ.get("REQUEST_METHOD", ""), environ.get("PATH_INFO", ""))
        if token is None or not would_serve(
            environ.get, environ.get("SERVER_NAME", ""), environ.get("wsgi.url_scheme", "")
        ):
            return self.django_app(environ, start_response)
        try:
            answer = self._answer(environ, token)
        except Exception:
            # Stripe retries any non-2xx; the event is not lost. Django would log the same way.
            logger.exception("Stripe webhook failed")
            answer = SERVER_ERROR
        finally:
            tidy_database_connections()
        return _send(answer, start_response)

    @staticmethod
    def _answer(environ: dict[str, Any], token: str) -> Answer:
        if webhooks.declared_too_large(environ.get("CONTENT_LENGTH") or "0"):
            return webhooks.too_large()
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        signature = environ.get("HTTP_STRIPE_SIGNATURE", "")
        if token:
            return webhooks.receive_stripe_connection(token, body, signature)
        return webhooks.receive_stripe_platform(body, signature)


def _send(answer: Answer, start_response: Callable[..., Any]) -> list[bytes]:
    payload, headers = encode(answer)
    start_response(f"{answer.status} {HTTPStatus(answer.status).phrase}", headers)
    return [payload]


def encode(answer: Answer) -> tuple[bytes, list[tuple[str, str]]]:
    payload = json.dumps(answer.body).encode()
    return payload, [
        ("Content-Type", answer.content_type),
        ("Content-Length", str(len(payload))),
        ("X-Content-Type-Options", "nosniff"),
    ]


def stripe_token(method: str, path: str) -> str | None:
    """ "" for the platform endpoint, the token for a per-connection one, else None."""
    if method != "POST" or not path.startswith(PREFIX):
        return None
    rest = path[len(PREFIX) :]
    if rest == "":
        return ""
    token = rest[:-1]
    return token if rest.endswith("/") and token and "/" not in token else None


def would_serve(meta: Meta, server_name: str, scheme: str) -> bool:
    """Whether Django would serve this request rather than refuse its host or redirect it to
    HTTPS; the request goes to Django when not."""
    return _allowed_host(_host(meta, server_name)) and not (
        settings.SECURE_SSL_REDIRECT and not _secure(meta, scheme)
    )


def _host(meta: Meta, server_name: str) -> str:
    """Django's `HttpRequest._get_raw_host`, port aside (ALLOWED_HOSTS ignores it)."""
    forwarded = meta("HTTP_X_FORWARDED_HOST")
    if settings.USE_X_FORWARDED_HOST and forwarded is not None:
        return forwarded
    host = meta("HTTP_HOST")
    return host if host is not None else server_name


def _allowed_host(host: str) -> bool:
    domain, _port = split_domain_port(host)
    allowed = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed:
        allowed = [".localhost", "127.0.0.1", "[::1]"]
    return bool(domain) and validate_host(domain, allowed)


def _secure(meta: Meta, scheme: str) -> bool:
    """Django's `HttpRequest.is_secure`."""
    if settings.SECURE_PROXY_SSL_HEADER:
        header, secure_value = settings.SECURE_PROXY_SSL_HEADER
        value = meta(header)
        if value is not None:
            return value.split(",", 1)[0].strip() == secure_value
    return scheme == "https"


def tidy_database_connections() -> None:
    """What Django's request_finished handler does, but never inside a transaction: a
    connection that broke or outlived CONN_MAX_AGE is closed and reopened on next use."""
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close_if_unusable_or_obsolete()

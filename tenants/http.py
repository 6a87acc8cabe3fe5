"""Typed requests for views (django-htmx adds `request.htmx`)."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import HttpRequest, JsonResponse
from django_htmx.middleware import HtmxDetails


class AuthenticatedHttpRequest(HttpRequest):
    user: User
    htmx: HtmxDetails


def problem_body(status: int, title: str, detail: str = "", **extra: object) -> dict[str, object]:
    body: dict[str, object] = {"type": "about:blank", "title": title, "status": status, **extra}
    if detail:
        body["detail"] = detail
    return body


def problem(status: int, title: str, detail: str = "", **extra: object) -> JsonResponse:
    """An RFC 9457 problem response: machine clients get JSON, never an HTML error page."""
    body = problem_body(status, title, detail, **extra)
    return JsonResponse(body, status=status, content_type="application/problem+json")

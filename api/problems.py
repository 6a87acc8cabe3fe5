"""Every API error as application/problem+json (RFC 9457).

`type` is about:blank and `title` the HTTP status phrase, as RFC 9457 §4.2.1 asks for plain
HTTP problems; `code` says which one in a word, `detail` in a sentence, and validation errors
list each field in `errors` ({"field": "start", "detail": "…"}).
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import set_rollback

logger = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"


def problem_body(
    status: int, detail: str = "", code: str = "", errors: list[dict[str, str]] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"type": "about:blank", "title": HTTPStatus(status).phrase}
    body["status"] = status
    if detail:
        body["detail"] = detail
    if code:
        body["code"] = code
    if errors is not None:
        body["errors"] = errors
    return body


def field_errors(detail: Any, path: str = "") -> list[dict[str, str]]:
    """Flatten DRF's nested error detail into [{"field": "a.0.b", "detail": "…"}]."""
    if isinstance(detail, dict):
        found = []
        for name, inner in detail.items():
            here = "" if name in ("non_field_errors", "detail") else str(name)
            found += field_errors(inner, f"{path}.{here}".strip(".") if here else path)
        return found
    if isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            return [_error(path, str(item)) for item in detail]
        found = []
        for index, inner in enumerate(detail):
            found += field_errors(inner, f"{path}.{index}".strip("."))
        return found
    return [_error(path, str(detail))]


def _error(field: str, detail: str) -> dict[str, str]:
    return {"field": field, "detail": detail} if field else {"detail": detail}


def _translate(exc: Exception) -> exceptions.APIException | None:
    if isinstance(exc, exceptions.APIException):
        return exc
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied()
    return None


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """REST_FRAMEWORK["EXCEPTION_HANDLER"]: never an HTML page, never a bare DRF error."""
    api_exc = _translate(exc)
    if api_exc is None:
        # A bug, not the caller's fault: logged with its traceback, answered as a problem.
        logger.exception("Unhandled error in the API", exc_info=exc)
        set_rollback()
        return Response(
            problem_body(500, "Something went wrong on our side.", "server_error"),
            status=500,
            content_type=PROBLEM_JSON,
        )
    headers: dict[str, str] = {}
    if getattr(api_exc, "auth_header", None):
        headers["WWW-Authenticate"] = api_exc.auth_header  # type: ignore[attr-defined]
    if getattr(api_exc, "wait", None):
        headers["Retry-After"] = str(max(1, int(api_exc.wait)))  # type: ignore[attr-defined]
    if isinstance(api_exc, exceptions.ValidationError):
        body = problem_body(
            api_exc.status_code,
            "The request has invalid fields; see errors.",
            "invalid",
            field_errors(api_exc.detail),
        )
    else:
        detail = api_exc.detail
        code = api_exc.get_codes() if not isinstance(detail, dict | list) else "error"
        body = problem_body(api_exc.status_code, str(detail), str(code))
    set_rollback()
    return Response(body, status=api_exc.status_code, headers=headers, content_type=PROBLEM_JSON)


@csrf_exempt  # no session state is read or changed; a cookie must not turn this into an HTML 403
def not_found(request: HttpRequest, path: str = "") -> JsonResponse:
    """Any /api/v1/ path that matches nothing: a problem, not the HTML 404 page."""
    return JsonResponse(
        problem_body(404, "There is no API endpoint at this address.", "not_found"),
        status=404,
        content_type=PROBLEM_JSON,
    )

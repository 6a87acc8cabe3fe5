"""OpenAPI helpers: every operation documents its problems and carries examples."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema

from api.problems import PROBLEM_JSON, problem_body
from api.serializers import ProblemSerializer

_WHEN = {
    400: "The request is malformed or has invalid fields (see `errors`).",
    401: "No API key, or the key is unknown or revoked.",
    403: "The key is read-only, or cannot do this.",
    404: "No such object in an organisation this key can reach.",
    409: "The object's state does not allow it now, or a request with this Idempotency-Key "
    "is still being handled.",
    415: "Send the body as application/json.",
    422: "This Idempotency-Key was used with a different request.",
    429: "Too many requests for this key; wait `Retry-After` seconds.",
}
_EXAMPLE_DETAIL = {
    400: ("invalid", [{"field": "end", "detail": "Choose a day after the start."}]),
    401: ("authentication_failed", None),
    403: ("permission_denied", None),
    404: ("not_found", None),
    409: ("conflict", None),
    415: ("unsupported_media_type", None),
    422: ("idempotency_key_reused", None),
    429: ("throttled", None),
}


def _problem(status: int) -> OpenApiResponse:
    code, errors = _EXAMPLE_DETAIL[status]
    example = problem_body(status, _WHEN[status], code, errors)
    return OpenApiResponse(
        response=ProblemSerializer,
        description=_WHEN[status],
        examples=[OpenApiExample(f"problem {status}", value=example, status_codes=[str(status)])],
    )


def problems(statuses: Iterable[int]) -> dict[Any, OpenApiResponse]:
    return {(status, PROBLEM_JSON): _problem(status) for status in sorted(set(statuses))}


def operation(
    *,
    summary: str,
    responses: dict[Any, Any],
    examples: list[OpenApiExample] | None = None,
    request: Any = None,
    parameters: list[Any] | None = None,
    write: bool = False,
    errors: Iterable[int] = (),
    description: str = "",
    tags: list[str] | None = None,
    operation_id: str | None = None,
) -> Callable[[Any], Any]:
    """extend_schema with the problems every operation can answer."""
    statuses = {401, 404, 429, *errors}
    if write:
        statuses |= {400, 403, 415}
    return extend_schema(
        summary=summary,
        description=description or None,
        request=request,
        parameters=parameters,
        responses={**responses, **problems(statuses)},
        examples=examples or [],
        tags=tags,
        operation_id=operation_id,
    )


def example(name: str, value: Any, status: int = 200) -> OpenApiExample:
    return OpenApiExample(name, value=value, response_only=True, status_codes=[str(status)])


def request_example(name: str, value: Any) -> OpenApiExample:
    return OpenApiExample(name, value=value, request_only=True)


IDEMPOTENT_POST = (
    "Send an `Idempotency-Key` header to make the POST safe to repeat: the same key and body "
    "replay the first answer (with `Idempotent-Replayed: true`)."
)


class ApiKeyScheme(OpenApiAuthenticationExtension):  # type: ignore[misc]
    """Tells drf-spectacular how api.authentication.ApiKeyAuthentication works."""

    target_class = "api.authentication.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An organisation key (tk_org_…) or a partner key (tk_ptr_…).",
        }

"""Stripe's error bodies, raised by handlers and turned into responses by the server.

Shapes follow stripe-python's parser (`_api_requestor.specific_v1_api_error`): a JSON object
`{"error": {"type", "message", "code", "param"}}`; the HTTP status picks the exception class
(400/404 InvalidRequestError, 401 AuthenticationError, 402 CardError, 403 PermissionError,
429 RateLimitError). OAuth endpoints use `{"error": "<code>", "error_description": "…"}`.
"""

from __future__ import annotations

from typing import Any


class StripeError(Exception):
    """An API error with Stripe's JSON body."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.param = param
        self.extra = extra or {}

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.code:
            error["code"] = self.code
        if self.param:
            error["param"] = self.param
        error.update(self.extra)
        return {"error": error}


class OAuthError(Exception):
    """An OAuth endpoint error: `error` is a string, which stripe-python maps to oauth_error.*."""

    def __init__(self, code: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.status = status

    def body(self) -> dict[str, Any]:
        return {"error": self.code, "error_description": self.description}


def invalid(message: str, param: str | None = None, code: str | None = None) -> StripeError:
    return StripeError(400, message, param=param, code=code or "parameter_invalid")


def missing_param(param: str) -> StripeError:
    return StripeError(
        400, f"Missing required param: {param}.", param=param, code="parameter_missing"
    )


def no_such(kind: str, object_id: str, param: str = "id") -> StripeError:
    return StripeError(404, f"No such {kind}: '{object_id}'", param=param, code="resource_missing")


def unknown_url(method: str, path: str) -> StripeError:
    return StripeError(
        404,
        f"Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs "
        "or we can help at https://support.stripe.com/.",
    )


def mask_key(key: str) -> str:
    return key[:8] + "*" * 12 + key[-4:] if len(key) > 12 else "*" * len(key)


def no_key() -> StripeError:
    return StripeError(
        401,
        "You did not provide an API key. You need to provide your API key in the "
        "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
    )


def bad_key(key: str) -> StripeError:
    return StripeError(401, f"Invalid API Key provided: {mask_key(key)}", code="api_key_invalid")


def expired_key(key: str) -> StripeError:
    return StripeError(401, f"Expired API Key provided: {mask_key(key)}", code="api_key_expired")


def no_permission(key: str, account: str, permission: str) -> StripeError:
    # Stripe answers 403 with type invalid_request_error for restricted keys; stripe-python
    # raises PermissionError on any 403.
    return StripeError(
        403,
        f"The provided key '{mask_key(key)}' does not have the required permissions for this "
        f"endpoint on account '{account}'. Having the '{permission}' permission would allow "
        "this request to continue.",
        type="invalid_request_error",
        code="secret_key_required" if permission == "secret" else None,
    )


def no_account_access(key: str, account: str) -> StripeError:
    return StripeError(
        403,
        f"The provided key '{mask_key(key)}' does not have access to account '{account}' (or "
        "that account does not exist). Application access may have been revoked.",
        code="account_invalid",
    )


def rate_limited() -> StripeError:
    return StripeError(
        429,
        "Request rate limit exceeded. Learn more about rate limits here "
        "https://stripe.com/docs/rate-limits.",
        code="rate_limit",
    )


def idempotency_mismatch(key: str) -> StripeError:
    return StripeError(
        400,
        "Keys for idempotent requests can only be used with the same parameters they were "
        f"first used with. Try using a key other than '{key}' if you meant to execute a "
        "different request.",
        type="idempotency_error",
    )


def card_declined(
    charge_id: str, payment_intent: dict[str, Any] | None, decline_code: str = "generic_decline"
) -> StripeError:
    extra: dict[str, Any] = {"charge": charge_id, "decline_code": decline_code}
    if payment_intent is not None:
        extra["payment_intent"] = payment_intent
    return StripeError(
        402, "Your card was declined.", type="card_error", code="card_declined", extra=extra
    )

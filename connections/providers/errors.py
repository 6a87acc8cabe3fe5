"""The outbound error taxonomy. Every provider call raises one of these at the boundary.

Messages are written for a person and never contain a token, key or response body.
"""

from __future__ import annotations


class ProviderError(Exception):
    """A call failed. `permanent` errors need a person; transient ones are retried."""

    def __init__(self, message: str, *, permanent: bool, code: str = "") -> None:
        super().__init__(message)
        self.permanent = permanent
        self.code = code


class AuthRevoked(ProviderError):
    """The credential was revoked or expired for good: the connection needs a reconnect."""

    def __init__(self, message: str, *, code: str = "") -> None:
        super().__init__(message, permanent=True, code=code)


class AccessTokenExpired(ProviderError):
    """The access token was refused; one refresh and one retry may fix it."""

    def __init__(self, message: str = "The access token was refused.", *, code: str = "") -> None:
        super().__init__(message, permanent=False, code=code)


class MissingPermissions(ProviderError):
    def __init__(self, message: str, *, missing: list[str]) -> None:
        super().__init__(message, permanent=True, code="permissions")
        self.missing = missing


class RateLimited(ProviderError):
    def __init__(self, message: str, *, retry_after: float = 60.0) -> None:
        super().__init__(message, permanent=False, code="rate_limited")
        self.retry_after = retry_after


class StaleObject(ProviderError):
    def __init__(self, message: str) -> None:
        super().__init__(message, permanent=False, code="stale")


class Duplicate(ProviderError):
    def __init__(self, message: str, *, existing_id: str = "") -> None:
        super().__init__(message, permanent=True, code="duplicate")
        self.existing_id = existing_id

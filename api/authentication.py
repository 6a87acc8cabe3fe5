"""`Authorization: Bearer tk_…` for the partner API. The dashboard's own calls keep the session."""

from __future__ import annotations

from typing import Any

from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from api import services
from api.models import ApiKey


class KeyPrincipal:
    """`request.user` for a key: authenticated, but no dashboard user. Nothing may treat a key
    as its creator (that would hand it the creator's memberships)."""

    is_authenticated = True
    is_anonymous = False
    pk = None

    def __init__(self, key: ApiKey) -> None:
        self.key = key

    def __str__(self) -> str:
        return f"API key {self.key.prefix}…"


class ApiKeyAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[Any, ApiKey] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != b"bearer":
            return None  # no key: the session (or nothing) decides
        if len(parts) != 2:
            raise AuthenticationFailed("Send the key as 'Authorization: Bearer <key>'.")
        try:
            token = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise AuthenticationFailed("This API key is not valid or has been revoked.") from None
        key = services.api_key_find(token=token)
        if key is None:
            raise AuthenticationFailed("This API key is not valid or has been revoked.")
        services.api_key_touch(key=key)
        return KeyPrincipal(key), key

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="tieout"'

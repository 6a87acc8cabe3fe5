"""Per-key rate limits (API_RATE_LIMIT, e.g. "600/minute"), counted in the shared cache.

DRF answers 429 with Retry-After; our exception handler keeps the header on the problem.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from api.access import api_key_of

if TYPE_CHECKING:  # rest_framework.views imports this module through its settings
    from rest_framework.views import APIView


class ApiKeyRateThrottle(SimpleRateThrottle):
    scope = "api"

    def get_rate(self) -> str:
        # Read per request (not at import) so that the setting can change in tests.
        return str(settings.API_RATE_LIMIT)

    def get_cache_key(self, request: Request, view: APIView) -> str:
        key = api_key_of(request)
        if key is not None:
            ident = f"key:{key.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"ip:{self.get_ident(request)}"
        return f"throttle:api:{ident}"

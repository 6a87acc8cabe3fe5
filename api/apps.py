from __future__ import annotations

from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "Partner API"

    def ready(self) -> None:
        # Registers the OpenAPI description of the key authentication.
        from api import schema  # noqa: F401

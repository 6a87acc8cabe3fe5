from __future__ import annotations

from django.apps import AppConfig


class ConnectionsConfig(AppConfig):
    name = "connections"

    def ready(self) -> None:
        from connections.inbox import register_handler
        from connections.redaction import install_record_factory
        from connections.services import handle_stripe_account_events

        install_record_factory()
        register_handler("stripe", handle_stripe_account_events)

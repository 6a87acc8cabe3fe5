from __future__ import annotations

from django.apps import AppConfig


class SyncsConfig(AppConfig):
    name = "syncs"

    def ready(self) -> None:
        # syncs subscribes to the connections inbox; connections never imports syncs.
        from connections.inbox import register_handler
        from syncs.services import handle_stripe_event

        register_handler("stripe", handle_stripe_event)

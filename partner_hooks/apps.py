from __future__ import annotations

from django.apps import AppConfig


class PartnerHooksConfig(AppConfig):
    name = "partner_hooks"
    verbose_name = "Partner webhooks"

    def ready(self) -> None:
        # The sync engine only announces what happened (syncs/signals.py); this app turns the
        # announcements into signed deliveries. syncs never imports partner_hooks.
        from partner_hooks import receivers

        receivers.connect()

"""Signal receivers: the sync engine's announcements become webhook events."""

from __future__ import annotations


def connect() -> None:
    """Filled in with the services; connected from PartnerHooksConfig.ready."""

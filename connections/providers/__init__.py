"""Provider registry: one package per external system, imported lazily by key.

Adding a provider: create connections/providers/<key>/ with provider.py (a stateless
descriptor), client.py (one function per endpoint) and webhooks.py, then add one line here.
"""

from __future__ import annotations

import importlib
from typing import Any

PROVIDERS: dict[str, str] = {
    "stripe": "connections.providers.stripe.provider.StripeProvider",
    "quickbooks": "connections.providers.quickbooks.provider.QuickBooksProvider",
}


def get_provider(key: str) -> Any:
    module_path, _, class_name = PROVIDERS[key].rpartition(".")
    return getattr(importlib.import_module(module_path), class_name)()

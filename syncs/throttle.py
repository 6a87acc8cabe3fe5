"""A per-company request budget shared by every worker, kept in the cache (Redis in production).

QuickBooks allows 500 requests and 40 batch requests a minute per company (quickbooks-api.md
§2.1). Counting per minute window in the shared cache keeps all workers on all machines inside
both limits; the clock and the sleep are injectable so tests need no real waiting.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.cache import cache

LIMITS = {"request": 500, "batch": 40}


@dataclass
class Throttle:
    limits: dict[str, int] = field(default_factory=lambda: dict(LIMITS))
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep

    def acquire(self, company: str, kind: str) -> None:
        """Wait until one more `kind` call (and one more request) fits this minute's budget."""
        for name in {kind, "request"}:
            while not self._take(company, name):
                self.sleep(60 - self.clock() % 60 + 0.01)

    def _take(self, company: str, kind: str) -> bool:
        window = int(self.clock() // 60)
        key = f"qbo-throttle:{company}:{kind}:{window}"
        cache.add(key, 0, timeout=120)
        return cache.incr(key) <= self.limits[kind]

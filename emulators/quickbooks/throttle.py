"""Per-company throttling as in production: 500 requests/min, 40 batch requests/min, 10 in flight.

Sliding one-minute windows read the injectable clock, so a test can send request 501, see a 429,
advance the clock past the window and be accepted again without sleeping.
Limits: docs/quickbooks-api.md §2.1.
"""

from __future__ import annotations

import threading
from collections import defaultdict, deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from emulators.quickbooks.clock import Clock

WINDOW_SECONDS = 60.0


@dataclass
class Limits:
    per_minute: int = 500
    batch_per_minute: int = 40
    concurrent: int = 10
    enabled: bool = True


class Throttled(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Throttle:
    def __init__(self, clock: Clock, limits: Limits | None = None) -> None:
        self.clock = clock
        self.limits = limits or Limits()
        self._lock = threading.Lock()
        self._requests: dict[str, deque[float]] = defaultdict(deque)
        self._batches: dict[str, deque[float]] = defaultdict(deque)
        self._in_flight: dict[str, int] = defaultdict(int)

    @contextmanager
    def admit(self, realm_id: str, batch: bool = False) -> Iterator[None]:
        """Count one request for realm_id, or raise Throttled; release the slot on exit."""
        self._enter(realm_id, batch)
        try:
            yield
        finally:
            with self._lock:
                self._in_flight[realm_id] -= 1

    def _enter(self, realm_id: str, batch: bool) -> None:
        now = self.clock.timestamp()
        limits = self.limits
        with self._lock:
            requests = _trim(self._requests[realm_id], now)
            batches = _trim(self._batches[realm_id], now)
            if limits.enabled:
                if self._in_flight[realm_id] >= limits.concurrent:
                    raise Throttled("concurrent")
                if len(requests) >= limits.per_minute:
                    raise Throttled("per_minute")
                if batch and len(batches) >= limits.batch_per_minute:
                    raise Throttled("batch_per_minute")
            requests.append(now)
            if batch:
                batches.append(now)
            self._in_flight[realm_id] += 1

    def reset(self) -> None:
        with self._lock:
            self._requests.clear()
            self._batches.clear()


def _trim(window: deque[float], now: float) -> deque[float]:
    while window and window[0] <= now - WINDOW_SECONDS:
        window.popleft()
    return window

"""The emulator's notion of "now", injectable so tests can move time without sleeping."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


class Clock:
    """Wall-clock time plus an adjustable offset; `advance()` lets a demo skip ahead."""

    def __init__(self) -> None:
        self._offset = timedelta(0)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return datetime.now(UTC) + self._offset

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._offset += timedelta(seconds=seconds)

    def timestamp(self) -> float:
        return self.now().timestamp()


class ManualClock(Clock):
    """A frozen clock that only moves when told to: deterministic throttles and token expiry."""

    def __init__(self, start: datetime | None = None) -> None:
        super().__init__()
        self._now = start or datetime.now(UTC).replace(microsecond=0)

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += timedelta(seconds=seconds)

    def set(self, when: datetime) -> None:
        with self._lock:
            self._now = when

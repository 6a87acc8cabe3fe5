"""Fault injection switches (admin only, not part of Intuit's API): 5xx, latency, timeouts and
the lost response — the write commits, then the connection drops before the answer is sent.

Rates are random (seeded); the `*_next` counters are deterministic, which is what tests use.
"""

from __future__ import annotations

import contextlib
import random
import socket
import threading
from dataclasses import asdict, dataclass, field, fields
from typing import Any


class LostResponse(ConnectionAbortedError):
    """Raised after a committed write so the client sees a dropped connection, not an answer."""


@dataclass
class Switches:
    error_rate: float = 0.0
    error_status: int = 503
    fail_next: int = 0
    latency_ms: int = 0
    timeout_rate: float = 0.0
    timeout_next: int = 0
    timeout_seconds: float = 130.0  # QBO itself gives up after 120 s
    lost_response_rate: float = 0.0
    lose_next: int = 0
    throttle_format: str = "xml"  # QBO has been seen answering 429 in XML even to JSON clients
    seed: int = 0


@dataclass
class Chaos:
    switches: Switches = field(default_factory=Switches)
    release: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._random = random.Random(self.switches.seed)

    def configure(self, values: dict[str, Any]) -> Switches:
        known = {f.name: f.type for f in fields(Switches)}
        with self._lock:
            for key, value in values.items():
                if key not in known:
                    raise KeyError(key)
                current = getattr(self.switches, key)
                setattr(self.switches, key, type(current)(value))
            if "seed" in values:
                self._random = random.Random(self.switches.seed)
        return self.switches

    def reset(self) -> None:
        with self._lock:
            self.switches = Switches()
            self._random = random.Random(0)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self.switches)

    def _draw(self, counter: str, rate: float) -> bool:
        with self._lock:
            remaining = getattr(self.switches, counter)
            if remaining > 0:
                setattr(self.switches, counter, remaining - 1)
                return True
            return rate > 0 and self._random.random() < rate

    def should_fail(self) -> bool:
        return self._draw("fail_next", self.switches.error_rate)

    def should_time_out(self) -> bool:
        return self._draw("timeout_next", self.switches.timeout_rate)

    def should_lose(self) -> bool:
        return self._draw("lose_next", self.switches.lost_response_rate)

    def delay(self) -> None:
        if self.switches.latency_ms > 0:
            self.release.wait(self.switches.latency_ms / 1000)

    def hang(self, environ: dict[str, Any]) -> None:
        """Hold the request like an overloaded QBO, then drop it (or sooner, on shutdown)."""
        self.release.wait(self.switches.timeout_seconds)
        drop_connection(environ)


def drop_connection(environ: dict[str, Any]) -> None:
    sock = environ.get("werkzeug.socket")
    if isinstance(sock, socket.socket):
        with contextlib.suppress(OSError):  # the client may have gone already
            sock.shutdown(socket.SHUT_RDWR)
    raise LostResponse("connection dropped by fault injection")

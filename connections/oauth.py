"""The two halves of every OAuth connect: `begin()` and `complete()`, with the state check.

`state` is random (secrets.token_urlsafe), kept server-side in the session together with the
organisation it was started for (and the connect link, for a client without an account), and
used once. A callback whose state is missing, reused or from another session is refused.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import asdict, dataclass

from django.http import HttpRequest

SESSION_KEY = "connections.oauth_states"
STATE_TTL_SECONDS = 30 * 60
MAX_PENDING = 10


class StateMismatch(Exception):
    """The callback's state is unknown, expired or already used."""


@dataclass(frozen=True)
class PendingConnect:
    tenant_id: int
    provider: str
    flow: str
    link_id: int | None = None
    # The raw connect-link token, to send the client back to their page (session only).
    link_token: str = ""
    started: float = 0.0


def begin(request: HttpRequest, pending: PendingConnect) -> str:
    state = secrets.token_urlsafe(32)
    states: dict[str, dict[str, object]] = request.session.get(SESSION_KEY, {})
    # Keep only the newest few, so abandoned attempts cannot grow the session for ever.
    recent = sorted(states.items(), key=lambda item: float(item[1]["started"]))[-MAX_PENDING + 1 :]
    states = dict(recent)
    states[state] = asdict(PendingConnect(**{**asdict(pending), "started": time.time()}))
    request.session[SESSION_KEY] = states
    return state


def complete(request: HttpRequest, state: str, provider: str) -> PendingConnect:
    states: dict[str, dict[str, object]] = request.session.get(SESSION_KEY, {})
    raw = states.pop(state, None) if state else None
    request.session[SESSION_KEY] = states
    if raw is None:
        raise StateMismatch("This sign-in link was already used or did not start here.")
    pending = PendingConnect(**raw)  # type: ignore[arg-type]
    if pending.provider != provider or time.time() - pending.started > STATE_TTL_SECONDS:
        raise StateMismatch("This sign-in attempt expired. Start again.")
    return pending

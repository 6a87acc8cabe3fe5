"""Signatures on outgoing webhooks, in the shape partners know from Stripe.

    Tieout-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" under the secret>

The receiver recomputes the HMAC over the raw body bytes (before any JSON parsing), compares
in constant time, and refuses a timestamp more than five minutes away from its clock. During a
secret roll we may send several `v1=` values; any one matching is enough. `verify` is the
reference recipe the README shows.
"""

from __future__ import annotations

import hashlib
import hmac
import time

HEADER = "Tieout-Signature"
TOLERANCE_SECONDS = 300


def sign(*, secret: str, body: bytes, timestamp: int) -> str:
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def header_value(*, secret: str, body: bytes, timestamp: int) -> str:
    return f"t={timestamp},v1={sign(secret=secret, body=body, timestamp=timestamp)}"


def verify(
    *,
    secret: str,
    body: bytes,
    header: str,
    now: float | None = None,
    tolerance: int = TOLERANCE_SECONDS,
) -> bool:
    """True when `header` signs `body` with `secret` within `tolerance` seconds of `now`."""
    parts = [part.split("=", 1) for part in header.split(",") if "=" in part]
    stamps = [value for key, value in parts if key == "t"]
    signatures = [value for key, value in parts if key == "v1"]
    if len(stamps) != 1 or not stamps[0].isdigit() or not signatures:
        return False
    timestamp = int(stamps[0])
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = sign(secret=secret, body=body, timestamp=timestamp)
    return any(hmac.compare_digest(expected, candidate) for candidate in signatures)

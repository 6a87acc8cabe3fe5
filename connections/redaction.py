"""Keep secrets out of logs.

Installed as the log record factory (see ConnectionsConfig.ready), so every record from every
logger is redacted once, at creation, before any handler — ours, gunicorn's, Celery's or a
test's — can see it.
"""

from __future__ import annotations

import logging
import re
from typing import Any

REDACTED = "[redacted]"

_PATTERNS = [
    # Stripe keys, OAuth tokens and webhook secrets.
    re.compile(r"\b(?:sk|rk|pk)_(?:live|test)_[0-9A-Za-z]{6,}"),
    re.compile(r"\bwhsec_[0-9A-Za-z]{6,}"),
    re.compile(r"\b(?:ac|rt|at|sess)_[0-9A-Za-z]{16,}"),
    # Authorization headers (Bearer and Basic) in any quoting.
    re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?(?:bearer|basic)\s+)[^\s'\",}]+"),
    re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]{16,}"),
    # token=…, "access_token": "…", refresh_token=…, client_secret, password in any form.
    re.compile(
        r"(?i)((?:access_token|refresh_token|id_token|client_secret|api_key|secret|password|"
        r"token)['\"]?\s*[:=]\s*['\"]?)[^&\s'\",}]+"
    ),
    # OAuth authorization codes in callback URLs (not "code=6140" in a QuickBooks fault).
    re.compile(r"([?&]code=)[^&\s'\"]+"),
    # JWTs (Intuit's id_token, some access tokens).
    re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
]


def redact(text: str) -> str:
    for pattern in _PATTERNS:
        if pattern.groups:
            text = pattern.sub(lambda m: m.group(1) + REDACTED, text)
        else:
            text = pattern.sub(REDACTED, text)
    return text


class RedactingFilter(logging.Filter):
    """Also usable as a handler filter where the record factory is not installed."""

    def filter(self, record: logging.LogRecord) -> bool:
        _redact_record(record)
        return True


def _redact_record(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except (TypeError, ValueError):
        message = str(record.msg)
    record.msg = redact(message)
    record.args = None
    if record.exc_info and record.exc_info[1] is not None:
        # Formatted lazily by handlers; format now so the traceback text is redacted too.
        record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        record.exc_info = None


_installed = False


def install_record_factory() -> None:
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        _redact_record(record)
        return record

    logging.setLogRecordFactory(factory)
    _installed = True

"""JSON in and out with exact decimals: QBO amounts must never pass through float."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any


def loads(text: str | bytes) -> Any:
    return json.loads(text, parse_float=Decimal)


def dumps(value: Any) -> str:
    """Serialise like json.dumps, but write Decimals as plain JSON numbers (120.00, not 1.2E+2)."""
    if isinstance(value, dict):
        items = (f"{json.dumps(str(k))}:{dumps(v)}" for k, v in value.items())
        return "{" + ",".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(dumps(v) for v in value) + "]"
    if isinstance(value, Decimal):
        return format(value, "f")
    return json.dumps(value)

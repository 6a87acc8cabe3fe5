"""Decode Stripe's form encoding (`metadata[k]=v`, `expand[0]=…`, `expand[]=…`,
`items[0][price]=…`, `created[gte]=…`) into nested dicts and lists, and read typed values.

stripe-python always indexes arrays (`_encode.py`: "Always use indexed format for arrays");
other clients send `key[]`, so both are accepted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from emulators.stripe.errors import invalid, missing_param

_PART = re.compile(r"\[([^\[\]]*)\]")


def _split(key: str) -> list[str]:
    head, _, rest = key.partition("[")
    parts = [head]
    if rest:
        parts.extend(_PART.findall("[" + rest))
    return parts


def _listify(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    converted = {k: _listify(v) for k, v in node.items()}
    if converted and all(k.isdigit() for k in converted):
        return [converted[k] for k in sorted(converted, key=int)]
    return converted


def decode(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Nested params from (key, value) pairs in request order."""
    root: dict[str, Any] = {}
    appended: dict[int, int] = {}
    for key, value in pairs:
        parts = _split(key)
        node = root
        for index, part in enumerate(parts):
            if part == "":
                # `key[]`: the next free index of this node
                part = str(appended.get(id(node), 0))
                appended[id(node)] = int(part) + 1
            if index == len(parts) - 1:
                node[part] = value
            else:
                child = node.setdefault(part, {})
                if not isinstance(child, dict):
                    raise invalid(f"Invalid parameter: {key}", param=key)
                node = child
    return _listify(root)


def as_int(params: dict[str, Any], name: str, *, required: bool = False) -> int | None:
    value = params.get(name)
    if value in (None, ""):
        if required:
            raise missing_param(name)
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise invalid(f"Invalid integer: {value}", param=name) from None


def as_bool(params: dict[str, Any], name: str, default: bool = False) -> bool:
    value = params.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise invalid(f"Invalid boolean: {value}", param=name)


def as_str(params: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    value = params.get(name)
    if value in (None, ""):
        if required:
            raise missing_param(name)
        return None
    if not isinstance(value, str):
        raise invalid(f"Invalid string: {name}", param=name)
    return value


def as_list(params: dict[str, Any], name: str) -> list[Any]:
    value = params.get(name)
    if value in (None, ""):
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        return list(value.values())
    return [value]


def metadata(params: dict[str, Any]) -> dict[str, str]:
    value = params.get("metadata")
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise invalid("Invalid hash", param="metadata")
    return {k: str(v) for k, v in value.items() if v != ""}

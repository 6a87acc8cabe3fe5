"""Validate QBO JSON entities against Intuit's XSD (Finance.xsd and friends).

The schema is read from QBO_XSD_DIR (default: <repo>/../shared/reference/quickbooks-xsd), never
copied into the repository. Compiling it takes a second or two, so it is loaded once per process,
lazily, behind a lock. Without the folder the emulator runs unvalidated and says so once.
The JSON → xmlschema adapter follows docs/quickbooks-api.md §11.2.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from decimal import Decimal
from pathlib import Path
from typing import Any

import xmlschema

logger = logging.getLogger(__name__)

QBO_NS = {"": "http://schema.intuit.com/finance/v3"}
ENTITY_ATTRS = {"sparse", "domain", "status"}
# Internal placeholders the XSD makes mandatory but QBO never sends (docs §11.2).
PLACEHOLDERS = {"Transfer": "TransferEx"}
DEFAULT_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "quickbooks-xsd"

_lock = threading.Lock()
_schema: xmlschema.XMLSchema | None = None
_warned = False


class XSDError(ValueError):
    def __init__(self, message: str, element: str, unknown_field: bool) -> None:
        super().__init__(message)
        self.element = element
        self.unknown_field = unknown_field


def schema_dir() -> Path:
    return Path(os.environ.get("QBO_XSD_DIR", DEFAULT_DIR))


def load_schema() -> xmlschema.XMLSchema | None:
    """The compiled schema, or None (with one warning) when the XSD folder is missing."""
    global _schema, _warned
    with _lock:
        if _schema is None:
            root = schema_dir() / "IntuitRestServiceDef.xsd"
            if not root.exists():
                if not _warned:
                    logger.warning("QBO XSD not found at %s: entities are not XSD-validated", root)
                    _warned = True
                return None
            _schema = xmlschema.XMLSchema(str(root))
        return _schema


def warm_up_in_background() -> threading.Thread:
    thread = threading.Thread(target=load_schema, name="qbo-xsd-load", daemon=True)
    thread.start()
    return thread


def to_xsd_form(obj: Any, top: bool = False) -> Any:
    """QBO JSON → the dict form xmlschema encodes: references become text plus attributes."""
    if isinstance(obj, dict):
        if "value" in obj and set(obj) <= {"value", "name", "type"}:
            out: dict[str, Any] = {"$": _scalar(obj["value"])}
            out.update({"@" + k: _scalar(obj[k]) for k in ("name", "type") if k in obj})
            return out
        return {
            ("@" + k if top and k in ENTITY_ATTRS else k): to_xsd_form(v)
            for k, v in obj.items()
            if not _absent(v)
        }
    if isinstance(obj, list):
        return [to_xsd_form(x) for x in obj]
    return _scalar(obj)


def _absent(value: Any) -> bool:
    # QBO's JSON reader treats "" and null as "not supplied" (python-quickbooks sends TxnDate "").
    return value is None or value == "" or value == []


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def validate(entity: str, payload: dict[str, Any]) -> None:
    """Raise XSDError if payload breaks the XSD; do nothing if the schema is unavailable."""
    schema = load_schema()
    if schema is None:
        return
    form = to_xsd_form(payload, top=True)
    if entity in PLACEHOLDERS:
        form[PLACEHOLDERS[entity]] = {}
    try:
        schema.elements[entity].encode(form, unordered=True, namespaces=QBO_NS)
    except xmlschema.XMLSchemaValidationError as exc:
        raise _describe(exc) from None


def _describe(exc: xmlschema.XMLSchemaValidationError) -> XSDError:
    reason = exc.reason or str(exc)
    named = re.search(r"\{[^}]*\}(\w+)", reason)
    element = named.group(1) if named else _element_name(exc)
    unknown = "does not match any declared element" in reason or "unexpected child" in reason
    return XSDError(reason.replace("{http://schema.intuit.com/finance/v3}", ""), element, unknown)


def _element_name(exc: xmlschema.XMLSchemaValidationError) -> str:
    validator = getattr(exc, "validator", None)
    name = getattr(validator, "local_name", None) or getattr(validator, "name", None)
    return str(name or "")

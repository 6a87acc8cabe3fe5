"""Validate the QBO payloads we emit against Intuit's XSD (docs/quickbooks-api.md §11.2).

The schema lives in ../shared/reference/quickbooks-xsd (never copied into the repo). Without it
the calling test skips, or fails under CI=true (tests/shared.py), instead of passing unchecked.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import pytest

from emulators.quickbooks import xsd
from tests.shared import shared_path


def _require_schema() -> None:
    # QBO_XSD_DIR overrides the location for the emulator; honour it here too.
    if "QBO_XSD_DIR" not in os.environ:
        shared_path("reference", "quickbooks-xsd", "IntuitRestServiceDef.xsd")
    if xsd.load_schema() is None:
        reason = f"QBO XSD missing at {xsd.schema_dir()}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason + "; CI must have it", pytrace=False)
        pytest.skip(reason)


def assert_valid_qbo(entity: str, payload: Mapping[str, Any]) -> None:
    """Fail the test with the XSD's reason if `payload` is not a valid QBO `entity`."""
    _require_schema()
    try:
        xsd.validate(entity, dict(payload))
    except xsd.XSDError as exc:
        pytest.fail(f"{entity} payload breaks the QBO XSD at {exc.element}: {exc}", pytrace=False)

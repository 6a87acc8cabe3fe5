"""Locate ../shared (Intuit's XSDs, Stripe's sample objects) beside the checkout.

When it is missing, tests that need it skip with a clear reason, except under CI=true, where a
missing reference is an error: a check must never silently vanish.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DIR = Path(os.environ.get("TIEOUT_SHARED_DIR", REPO_ROOT.parent / "shared"))


def shared_path(*parts: str) -> Path:
    """Return the path of a file or folder under ../shared, or skip (fail on CI) without it."""
    path = SHARED_DIR.joinpath(*parts)
    if path.exists():
        return path
    reason = f"reference material missing: {path} (the shared/ folder beside the checkout)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason + "; CI must have it", pytrace=False)
    pytest.skip(reason)

"""A real headless Chromium signs up and lands on the dashboard.

Debian's chromium is driven by Playwright's Python package (Playwright's own browser download
does not work offline). Without /usr/bin/chromium the test skips locally and fails under CI.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _chromium() -> str:
    if shutil.which(CHROMIUM):
        return CHROMIUM
    reason = f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def artifacts() -> Path:
    folder = Path(settings.TEST_ARTIFACTS_DIR) / "browser"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_it_signs_up_and_lands_on_the_dashboard(live_server, artifacts: Path) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect, sync_playwright

    executable = _chromium()
    screenshot = artifacts / "signup-dashboard.png"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(f"{live_server.url}/accounts/signup/")
        page.get_by_label("Email").fill("grace@example.com")
        page.get_by_label("Password", exact=True).fill("a long and unusual passphrase 42")
        page.get_by_label("Password (again)").fill("a long and unusual passphrase 42")
        page.get_by_label("Organisation name").fill("Hopper Analytics")
        page.get_by_role("button", name="Create account").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Hopper Analytics")
        expect(page.get_by_role("heading", name="Tie-out")).to_be_visible()
        page.screenshot(path=str(screenshot), full_page=True)
        browser.close()
    assert screenshot.stat().st_size > 10_000

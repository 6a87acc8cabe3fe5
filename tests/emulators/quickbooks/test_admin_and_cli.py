"""The /_emulator/ admin endpoints, --state persistence and `python -m emulators.quickbooks`."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from emulators.quickbooks import jsonio
from emulators.quickbooks.testing import RunningEmulator, serve
from tests.emulators.quickbooks.conftest import Conn, sales_line
from tests.shared import REPO_ROOT


def _admin(qbo: RunningEmulator, path: str, body: object = None) -> object:
    url = f"{qbo.url}/_emulator/{path}"
    if body is None:
        response = requests.get(url, timeout=5)
    else:
        response = requests.post(url, data=jsonio.dumps(body), timeout=5)
    assert response.status_code == 200, response.text
    return jsonio.loads(response.text)


def test_it_lists_companies_and_all_their_entities(conn: Conn) -> None:
    conn.customer("Listed")

    companies = _admin(conn.qbo, "companies")["companies"]  # type: ignore[index]
    company = _admin(conn.qbo, f"companies/{conn.realm}")

    assert [c["realm_id"] for c in companies] == [conn.realm]
    assert companies[0]["counts"]["Customer"] == 1
    assert [c["DisplayName"] for c in company["entities"]["Customer"]] == ["Listed"]  # type: ignore[index]
    assert "_Ledger" not in company["entities"]  # type: ignore[operator]


def test_it_creates_a_company_with_preferences(qbo: RunningEmulator) -> None:
    created = _admin(
        qbo, "companies", {"name": "Euro Ltd", "home_currency": "EUR", "multicurrency": True}
    )

    company = qbo.company(created["realm_id"])  # type: ignore[index]
    assert company.home_currency == "EUR"
    assert company.multicurrency


def test_it_shows_account_balances(conn: Conn) -> None:
    conn.create("SalesReceipt", {"Line": [sales_line(conn.item("Services")["Id"], "12.34")]})

    body = _admin(conn.qbo, f"companies/{conn.realm}/balances")

    by_name = {a["Name"]: a for a in body["accounts"]}  # type: ignore[index]
    assert by_name["Undeposited Funds"]["CurrentBalance"] == jsonio.loads("12.34")
    assert by_name["Services"]["CurrentBalance"] == jsonio.loads("12.34")
    assert body["trial_balance"]["debit"] == body["trial_balance"]["credit"]  # type: ignore[index]


def test_it_sets_preferences_such_as_the_closing_date(conn: Conn) -> None:
    _admin(
        conn.qbo,
        f"companies/{conn.realm}/preferences",
        {"AccountingInfoPrefs": {"BookCloseDate": "2026-06-30"}},
    )

    prefs = conn.query("select * from Preferences")["Preferences"][0]

    assert prefs["AccountingInfoPrefs"]["BookCloseDate"] == "2026-06-30"


def test_it_logs_requests_with_counts_per_endpoint_and_company(conn: Conn) -> None:
    conn.customer("Logged")
    conn.query("select * from Customer")
    conn.query("select * from Customer")

    log = _admin(conn.qbo, "requests")

    counts = log["counts"]  # type: ignore[index]
    assert counts["by_endpoint"]["query"] == 2
    assert counts["by_endpoint"]["write:Customer"] == 1
    assert counts["by_company"][conn.realm] == 3
    last = log["requests"][-1]  # type: ignore[index]
    assert last["minorversion"] == "75"
    assert last["intuit_tid"]


def test_it_logs_oauth_token_calls_by_grant_type(conn: Conn) -> None:
    conn.auth.refresh()
    conn.auth.refresh()

    counts = _admin(conn.qbo, "requests")["counts"]["by_endpoint"]  # type: ignore[index]

    assert counts["oauth:token:authorization_code"] == 1
    assert counts["oauth:token:refresh_token"] == 2


def test_it_switches_faults_and_rejects_unknown_switches(conn: Conn) -> None:
    switches = _admin(conn.qbo, "faults", {"fail_next": 1, "error_status": 500})

    assert switches["fail_next"] == 1  # type: ignore[index]
    assert conn.get("preferences").status_code == 500
    response = requests.post(f"{conn.qbo.url}/_emulator/faults", data='{"nope": 1}', timeout=5)
    assert response.status_code == 400


def test_it_sends_intuit_tid_on_api_responses(conn: Conn) -> None:
    assert conn.get("preferences").headers["intuit_tid"]


def test_it_moves_the_clock(conn: Conn) -> None:
    before = conn.qbo.clock.now()

    _admin(conn.qbo, "clock", {"advance": 3601})

    assert (conn.qbo.clock.now() - before).total_seconds() == 3601
    assert conn.get("preferences").status_code == 401


def test_it_resets_everything(conn: Conn) -> None:
    _admin(conn.qbo, "reset", {})

    assert _admin(conn.qbo, "companies") == {"companies": []}
    assert conn.get("preferences").status_code == 401
    conn.qbo.connect()  # the default client still works after a reset


def test_it_persists_state_to_a_file(tmp_path: Path) -> None:
    state = tmp_path / "qbo.json"
    with serve(state_file=state) as qbo:
        auth, realm = qbo.connect()
        conn = Conn(qbo, auth, realm)
        conn.customer("Persisted")
        conn.create(
            "SalesReceipt",
            {"Line": [sales_line(conn.item("Services")["Id"], "9.99")]},
            requestid="persisted-1",
        )

    with serve(state_file=state) as qbo:
        conn = Conn(qbo, auth, realm)  # the same tokens work after a restart
        assert [c["DisplayName"] for c in conn.query("select * from Customer")["Customer"]] == [
            "Persisted"
        ]
        assert conn.account("Undeposited Funds")["CurrentBalance"] == jsonio.loads("9.99")
        replay = conn.post("SalesReceipt", {"Line": []}, requestid="persisted-1")
        assert jsonio.loads(replay.text)["SalesReceipt"]["TotalAmt"] == jsonio.loads("9.99")


@pytest.fixture
def cli() -> Iterator[tuple[subprocess.Popen[str], str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "emulators.quickbooks", "--port", "0"],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        yield process, first.split(" on ")[1].strip()
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.slow
def test_it_runs_standalone_and_prints_credentials(
    cli: tuple[subprocess.Popen[str], str],
) -> None:
    process, url = cli
    assert process.stdout is not None
    banner = "".join(process.stdout.readline() for _ in range(4))

    assert url.startswith("http://127.0.0.1:")
    assert "client_id" in banner and "client_secret" in banner
    discovery = requests.get(f"{url}/.well-known/openid_sandbox_configuration/", timeout=5)
    assert discovery.json()["token_endpoint"] == f"{url}/oauth2/v1/tokens/bearer"


def test_it_refuses_a_non_loopback_host_by_default() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "emulators.quickbooks", "--host", "0.0.0.0", "--port", "0"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )

    assert result.returncode == 2
    assert "loopback only" in result.stderr

"""The command line's seed subcommand, --state persistence, and the server's last-resort 500."""

from __future__ import annotations

import json
from pathlib import Path
from unittest import mock

import pytest
import stripe

from emulators.stripe import ledger
from emulators.stripe.__main__ import main
from emulators.stripe.store import Store
from emulators.stripe.testing import serve


def test_it_seeds_a_history_into_a_state_file(tmp_path: Path) -> None:
    state = tmp_path / "stripe.json"
    code = main(["seed", "--seed", "5", "--days", "4", "--customers", "3",
                 "--currencies", "usd,eur", "--state", str(state)])  # fmt: skip
    assert code == 0
    with serve(store=Store(state_file=state)) as emu:
        client = emu.client()
        assert len(client.v1.customers.list({"limit": 100}).data) == 3
        assert client.v1.balance_transactions.list().data


def test_it_keeps_state_across_restarts(tmp_path: Path) -> None:
    state = tmp_path / "stripe.json"
    with serve(store=Store(state_file=state)) as emu:
        customer = emu.client().v1.customers.create({"email": "kept@example.com"})
        emu.advance(days=2)
    with serve(store=Store(state_file=state)) as emu:
        assert emu.client().v1.customers.retrieve(customer.id).email == "kept@example.com"
        assert emu.admin("GET", "clock")["now"] == customer.created + 2 * 86400


def test_it_rejects_an_unknown_subcommand() -> None:
    with pytest.raises(SystemExit):
        main(["serve-forever"])


def test_it_loads_a_state_file_written_by_an_older_version(tmp_path: Path) -> None:
    state = tmp_path / "stripe.json"
    Store(state_file=state).save()
    old = json.loads(state.read_text())
    del old["request_counts"]
    state.write_text(json.dumps(old))
    with serve(store=Store(state_file=state)) as emu:
        emu.client().v1.balance.retrieve()
        assert emu.admin("GET", "requests")["counts"] == {"GET /v1/balance": 1}


def test_it_answers_an_emulator_bug_with_a_stripe_500(tmp_path: Path) -> None:
    with (
        serve() as emu,
        mock.patch.object(ledger, "balance", autospec=True, side_effect=RuntimeError("bug")),
        pytest.raises(stripe.APIError) as raised,
    ):
        emu.client().v1.balance.retrieve()
    assert raised.value.http_status == 500

"""Properties of the planner over generated balance transactions of every category.

The central one is the tie-out invariant by construction (docs/accounting.md §3): the planned
documents move the clearing account by exactly the transaction's `net`, except for the part
the plan explicitly leaves unposted (waiting, needs action, or a payout that never left).
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import tzinfo
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from mappings.defaults import TaxMode
from syncs.ledger import LedgerTxn, PayoutInfo
from syncs.money import Money, to_decimal
from syncs.planner import (
    DOC_NUMBER_MAX,
    REQUEST_ID_MAX,
    Plan,
    PlanStatus,
    expected_clearing_balance,
    plan_many,
    plan_txn,
)
from tests.qbo_schema import assert_valid_qbo
from tests.syncs.ledger_data import (
    CONNECTION,
    clearing_effect,
    journal_sides,
    lines_total,
    mappings,
)
from tests.syncs.strategies import PAYOUT_CATEGORIES, ZONES, histories, txn_with_payout

MAPPINGS = mappings()
Case = tuple[LedgerTxn, PayoutInfo | None]
zones = st.sampled_from(ZONES)
envs = st.tuples(zones, st.sampled_from(list(TaxMode)))
Env = tuple[tzinfo, TaxMode]


def run(txn: LedgerTxn, payout: PayoutInfo | None, env: Env) -> Plan:
    tz, tax_mode = env
    m = replace(MAPPINGS, tax_mode=tax_mode)
    return plan_txn(txn, connection_id=CONNECTION, mappings=m, tz=tz, payout=payout)


@settings(deadline=None)
@given(txn_with_payout(), envs)
def test_it_moves_clearing_by_exactly_net(case: Case, env: Env) -> None:
    txn, payout = case
    plan = run(txn, payout, env)

    moved = sum((d.clearing_delta for d in plan.documents), Money.zero(txn.currency))
    assert moved + plan.unposted == txn.net_money
    # Read back from the payloads alone, independently of the planner's bookkeeping.
    assert sum((clearing_effect(d) for d in plan.documents), Decimal(0)) == to_decimal(moved)
    for doc in plan.documents:
        assert clearing_effect(doc) == to_decimal(doc.clearing_delta)
    if plan.status == PlanStatus.READY and txn.reporting_category not in PAYOUT_CATEGORIES:
        assert plan.unposted.is_zero()
    if plan.status != PlanStatus.READY:
        assert plan.documents == () and plan.reason


@settings(deadline=None)
@given(txn_with_payout(), envs)
def test_it_keeps_every_document_internally_consistent(case: Case, env: Env) -> None:
    txn, payout = case
    plan = run(txn, payout, env)

    roles = [d.key.role for d in plan.documents]
    assert len(roles) == len(set(roles))
    for doc in plan.documents:
        assert lines_total(doc) == doc.total
        if "TotalAmt" in doc.payload:
            assert doc.payload["TotalAmt"] == doc.total
        assert doc.total >= 0
        if doc.entity == "JournalEntry":
            debits, credits = journal_sides(doc)
            assert debits == credits > 0
            assert all(line["Amount"] > 0 for line in doc.payload["Line"])
        if doc.entity == "Transfer":
            assert doc.payload["Amount"] > 0
            assert doc.payload["FromAccountRef"] != doc.payload["ToAccountRef"]
        for amount in _amounts(doc.payload):
            places = -amount.as_tuple().exponent
            assert places == {"jpy": 0, "kwd": 3}.get(txn.currency, 2)


def _amounts(payload: Mapping[str, Any]) -> list[Decimal]:
    found = []
    for key, value in payload.items():
        if isinstance(value, Decimal):
            found.append(value)
        elif isinstance(value, dict):
            found += _amounts(value)
        elif isinstance(value, list):
            for item in value:
                found += _amounts(item)
        assert not isinstance(value, float), key
    return found


@settings(deadline=None)
@given(txn_with_payout(), envs)
def test_it_plans_the_same_input_identically(case: Case, env: Env) -> None:
    txn, payout = case
    first, second = run(txn, payout, env), run(txn, payout, env)

    assert first == second
    assert [d.json() for d in first.documents] == [d.json() for d in second.documents]


@settings(deadline=None)
@given(histories(), zones, st.randoms(use_true_random=False))
def test_it_gives_unique_identities_across_a_history(
    history: list[LedgerTxn], tz: tzinfo, rnd: random.Random
) -> None:
    batch = plan_many(history, connection_id=CONNECTION, mappings=MAPPINGS, tz=tz)
    shuffled = list(history)
    rnd.shuffle(shuffled)
    again = plan_many(shuffled, connection_id=CONNECTION, mappings=MAPPINGS, tz=tz)
    other = plan_many(history, connection_id="conn_other", mappings=MAPPINGS, tz=tz)
    docs = batch.documents + other.documents

    assert [d.json() for d in again.documents] == [d.json() for d in batch.documents]
    assert len({d.key for d in docs}) == len(docs)
    assert len({d.doc_number for d in docs}) == len(docs)
    assert len({d.request_id for d in docs}) == len(docs)
    for doc in docs:
        assert len(doc.doc_number) <= DOC_NUMBER_MAX
        assert re.fullmatch(r"[A-Z]{1,2}-[A-Z2-7]{16}", doc.doc_number)
        assert len(doc.request_id) <= REQUEST_ID_MAX
        assert len(doc.payload["PrivateNote"]) <= 4000


@settings(deadline=None)
@given(histories(), zones)
def test_it_expects_the_clearing_balance_the_ready_plans_add_up_to(
    history: list[LedgerTxn], tz: tzinfo
) -> None:
    batch = plan_many(history, connection_id=CONNECTION, mappings=MAPPINGS, tz=tz)
    expected: dict[str, Money] = {}
    for plan in batch.plans:
        if plan.documents:
            net = next(t.net_money for t in history if t.id == plan.txn_id)
            expected[plan.currency] = (
                expected.get(plan.currency, Money.zero(plan.currency)) + net - plan.unposted
            )
    assert batch.clearing_balances() == dict(sorted(expected.items()))
    assert expected_clearing_balance(batch.documents) == batch.clearing_balances()


@settings(max_examples=40, deadline=None)
@given(txn_with_payout(), envs)
def test_it_emits_only_payloads_the_qbo_schema_accepts(case: Case, env: Env) -> None:
    txn, payout = case
    for doc in run(txn, payout, env).documents:
        assert_valid_qbo(doc.entity, doc.payload)

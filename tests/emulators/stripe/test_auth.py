"""Keys, restricted-key permissions, Stripe-Account isolation, modes, idempotency, rate limits."""

from __future__ import annotations

import pytest
import stripe

from emulators.stripe import store as keys
from emulators.stripe.testing import RunningEmulator
from tests.emulators.stripe.conftest import pay


def test_it_rejects_an_unknown_key_with_401(emu: RunningEmulator) -> None:
    with pytest.raises(stripe.AuthenticationError) as raised:
        emu.client("sk_test_not_a_key_000000").v1.balance.retrieve()
    assert raised.value.http_status == 401
    assert "Invalid API Key provided: sk_test_" in str(raised.value)


def test_it_refuses_writes_with_a_read_only_restricted_key(emu: RunningEmulator) -> None:
    readonly = emu.client(keys.PLATFORM_READONLY_TEST)
    assert readonly.v1.customers.list().data == []
    with pytest.raises(stripe.PermissionError) as raised:
        readonly.v1.customers.create({"email": "nope@example.com"})
    assert raised.value.http_status == 403
    assert "rak_customer_write" in str(raised.value)
    assert emu.client().v1.customers.list().data == []


def test_it_enforces_each_restricted_key_permission(emu: RunningEmulator) -> None:
    key = emu.restricted_key({"customer": "write", "balance": "read"})
    restricted = emu.client(key)
    restricted.v1.customers.create({"email": "ok@example.com"})
    restricted.v1.balance_transactions.list()
    with pytest.raises(stripe.PermissionError):
        restricted.v1.payouts.list()


def test_it_keeps_connected_accounts_apart(emu: RunningEmulator) -> None:
    platform = emu.client()
    a = platform.v1.accounts.create({"type": "standard", "country": "US"})
    b = platform.v1.accounts.create({"type": "standard", "country": "US"})
    as_a, as_b = {"stripe_account": a.id}, {"stripe_account": b.id}
    customer = platform.v1.customers.create({"email": "a@example.com"}, as_a)
    charge = pay(platform, 1000, options=as_a)
    assert [c.id for c in platform.v1.customers.list(None, as_a).data] == [customer.id]
    assert platform.v1.customers.list(None, as_b).data == []
    assert platform.v1.customers.list().data == []  # the platform's own ledger
    assert platform.v1.balance_transactions.list(None, as_b).data == []
    for retrieve in (
        lambda: platform.v1.customers.retrieve(customer.id, None, as_b),
        lambda: platform.v1.charges.retrieve(charge.id, None, as_b),
        lambda: platform.v1.charges.retrieve(charge.id),
    ):
        with pytest.raises(stripe.InvalidRequestError) as raised:
            retrieve()
        assert raised.value.http_status == 404
    events = platform.v1.events.list({"type": "charge.succeeded"}, as_a).data
    assert events[0].account == a.id


def test_it_refuses_an_account_the_key_does_not_control(emu: RunningEmulator) -> None:
    other = emu.connected_account()
    own_key_client = emu.client(other["secret_keys"]["test"])
    stranger = own_key_client.v1.accounts.retrieve(other["account"])
    assert stranger.id == other["account"]
    with pytest.raises(stripe.PermissionError):
        own_key_client.v1.customers.list(None, {"stripe_account": keys.PLATFORM_ACCOUNT})
    with pytest.raises(stripe.PermissionError):
        emu.client().v1.customers.list(None, {"stripe_account": "acct_1DoesNotExist"})


def test_it_keeps_test_and_live_mode_apart(emu: RunningEmulator) -> None:
    test_client, live_client = emu.client(), emu.client(keys.PLATFORM_SECRET_LIVE)
    test_customer = test_client.v1.customers.create({"email": "t@example.com"})
    live_customer = live_client.v1.customers.create({"email": "l@example.com"})
    assert test_customer.livemode is False and live_customer.livemode is True
    assert [c.id for c in test_client.v1.customers.list().data] == [test_customer.id]
    assert [c.id for c in live_client.v1.customers.list().data] == [live_customer.id]
    with pytest.raises(stripe.InvalidRequestError):
        live_client.v1.customers.retrieve(test_customer.id)


def test_it_replays_a_post_with_the_same_idempotency_key(client: stripe.StripeClient) -> None:
    options: stripe.RequestOptions = {"idempotency_key": "order-1"}
    first = client.v1.customers.create({"email": "idem@example.com"}, options)
    again = client.v1.customers.create({"email": "idem@example.com"}, options)
    assert again.id == first.id
    assert len(client.v1.customers.list().data) == 1
    assert again.last_response.headers["Idempotent-Replayed"] == "true"


def test_it_rejects_a_reused_idempotency_key_with_other_params(
    client: stripe.StripeClient,
) -> None:
    options: stripe.RequestOptions = {"idempotency_key": "order-2"}
    client.v1.customers.create({"email": "one@example.com"}, options)
    with pytest.raises(stripe.IdempotencyError) as raised:
        client.v1.customers.create({"email": "two@example.com"}, options)
    assert raised.value.http_status == 400


def test_it_replays_a_card_error_for_the_same_idempotency_key(
    client: stripe.StripeClient,
) -> None:
    params = {
        "amount": 500,
        "currency": "usd",
        "payment_method": "pm_card_chargeDeclined",
        "confirm": True,
    }
    for _ in range(2):
        with pytest.raises(stripe.CardError):
            client.v1.payment_intents.create(params, {"idempotency_key": "decline-1"})
    assert len(client.v1.charges.list().data) == 1


def test_it_answers_429_when_rate_limited(emu: RunningEmulator) -> None:
    client = emu.client()
    emu.admin("POST", "rate_limit", fail_next=1)
    with pytest.raises(stripe.RateLimitError) as raised:
        client.v1.balance.retrieve()
    assert raised.value.http_status == 429
    client.v1.balance.retrieve()
    emu.admin("POST", "rate_limit", per_second=2, fail_next=0)
    client.v1.balance.retrieve()
    client.v1.balance.retrieve()
    with pytest.raises(stripe.RateLimitError):
        client.v1.balance.retrieve()


def test_it_answers_unknown_urls_with_stripes_404(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.raw_request("get", "/v1/nonexistent_things")
    assert raised.value.http_status == 404
    assert "Unrecognized request URL" in str(raised.value)


def test_it_logs_requests_with_counts_per_endpoint(
    emu: RunningEmulator, client: stripe.StripeClient
) -> None:
    client.v1.balance.retrieve()
    client.v1.balance.retrieve()
    client.v1.customers.create({"email": "log@example.com"})
    counts = emu.admin("GET", "requests")["counts"]
    assert counts["GET /v1/balance"] == 2
    assert counts["POST /v1/customers"] == 1


def test_it_hides_another_accounts_payout_from_the_payout_filter(emu: RunningEmulator) -> None:
    platform = emu.client()
    a = platform.v1.accounts.create({"type": "standard"}).id
    b = platform.v1.accounts.create({"type": "standard"}).id
    pay(platform, 5000, options={"stripe_account": a})
    emu.advance(days=2)
    payout = platform.v1.payouts.list(None, {"stripe_account": a}).data[0]
    with pytest.raises(stripe.InvalidRequestError) as raised:
        platform.v1.balance_transactions.list({"payout": payout.id}, {"stripe_account": b})
    assert raised.value.http_status == 404

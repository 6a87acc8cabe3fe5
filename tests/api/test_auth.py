"""API keys: bearer authentication, hashing, prefixes, last use, revocation, partner scope."""

from __future__ import annotations

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client, override_settings

from api import services
from api.models import ApiKey
from tenants.management.commands.seed_demo import DEMO_API_KEY
from tenants.models import Membership, Tenant, hash_token
from tenants.roles import Role
from tests.api.conftest import ApiWorld, call, url
from tests.conftest import World


def test_it_accepts_an_organisation_key_as_bearer(api: ApiWorld) -> None:
    response = call("get", url("organisations"), api.a_rw)
    assert response.status_code == 200
    assert [o["slug"] for o in response.json()["results"]] == [api.a.slug]


def test_it_answers_401_with_www_authenticate_without_a_key(api: ApiWorld) -> None:
    response = call("get", url("syncs", slug=api.a.slug))
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"] == 'Bearer realm="tieout"'
    assert response.json()["code"] == "not_authenticated"


def test_it_answers_401_to_unknown_malformed_and_stripe_looking_keys(api: ApiWorld) -> None:
    for token in ["tk_org_" + "x" * 40, "sk_test_123", api.a_rw + "x", "a b"]:
        response = call("get", url("organisations"), token)
        assert response.status_code == 401, token
        assert response.json()["code"] == "authentication_failed"


def test_it_answers_401_once_a_key_is_revoked(api: ApiWorld) -> None:
    key = ApiKey.objects.get(token_hash=hash_token(api.a_rw))
    assert call("get", url("organisations"), api.a_rw).status_code == 200
    services.api_key_revoke(key=key)
    assert call("get", url("organisations"), api.a_rw).status_code == 401


def test_it_stores_only_a_hash_and_a_visible_prefix(api: ApiWorld) -> None:
    issued = services.api_key_create(
        tenant=api.a.tenant, name=" Billing ", access=ApiKey.Access.READ, created_by=None
    )
    stored = ApiKey.objects.get(pk=issued.key.pk)
    assert issued.token.startswith("tk_org_") and len(issued.token) == 47
    assert stored.token_hash == hash_token(issued.token)
    assert stored.prefix == issued.token[:15]
    assert stored.name == "Billing"
    row = ApiKey.objects.filter(pk=stored.pk).values_list().get()
    assert issued.token not in [str(value) for value in row]
    partner = services.partner_key_create(
        partner=api.partner, name="p", access=ApiKey.Access.READ, created_by=None
    )
    assert partner.token.startswith("tk_ptr_")


def test_it_stamps_last_use_at_most_once_a_minute(api: ApiWorld) -> None:
    key = ApiKey.objects.get(token_hash=hash_token(api.a_read))
    assert key.last_used_at is None
    call("get", url("organisations"), api.a_read)
    first = ApiKey.objects.get(pk=key.pk).last_used_at
    assert first is not None
    call("get", url("organisations"), api.a_read)
    assert ApiKey.objects.get(pk=key.pk).last_used_at == first
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=first - timedelta(minutes=2))
    call("get", url("organisations"), api.a_read)
    assert ApiKey.objects.get(pk=key.pk).last_used_at > first


def test_it_lists_the_organisations_a_partner_manages(api: ApiWorld) -> None:
    api.partner.tenants.add(api.a.tenant)
    response = call("get", url("organisations"), api.partner_read)
    slugs = {o["slug"] for o in response.json()["results"]}
    assert slugs == {api.a.slug, api.world.bob_tenant.slug}
    assert call("get", url("documents", slug=api.a.slug), api.partner_read).status_code == 200
    assert call("get", url("documents", slug=api.b.slug), api.partner_read).status_code == 404


def test_it_lets_a_partner_key_create_an_organisation_it_then_manages(api: ApiWorld) -> None:
    body = {"name": "Client Co", "time_zone": "Europe/London", "locale": "en-GB"}
    response = call("post", url("organisations"), api.partner_rw, body)
    assert response.status_code == 201, response.content
    created = response.json()
    tenant = Tenant.objects.get(slug=created["slug"])
    assert (tenant.name, tenant.time_zone, tenant.locale) == ("Client Co", "Europe/London", "en-GB")
    assert api.partner.tenants.filter(pk=tenant.pk).exists()
    owner = Membership.objects.get(tenant=tenant)
    assert (owner.user, owner.role) == (api.partner.owner, Role.OWNER)
    listed = call("get", url("organisations"), api.partner_rw).json()["results"]
    assert created["slug"] in {o["slug"] for o in listed}
    assert call("get", url("syncs", slug=tenant.slug), api.partner_rw).status_code == 200


def test_it_refuses_organisation_creation_to_other_keys(api: ApiWorld) -> None:
    before = Tenant.objects.count()
    for token, detail in [
        (api.a_rw, "Only partner keys can create organisations."),
        (api.partner_read, "This API key is read-only."),
    ]:
        response = call("post", url("organisations"), token, {"name": "Nope"})
        assert response.status_code == 403
        assert response.json()["detail"] == detail
    assert Tenant.objects.count() == before


def test_it_keeps_the_session_for_the_dashboards_own_calls(api: ApiWorld) -> None:
    client = Client()
    client.force_login(api.world.bob)
    response = client.get(url("organisations"))
    slugs = {o["slug"] for o in response.json()["results"]}
    assert slugs == {api.a.slug, api.world.bob_tenant.slug}
    assert client.get(url("documents", slug=api.b.slug)).status_code == 404
    # Bob is an accountant in A: he may sync but not change settings, as in the dashboard.
    response = client.patch(
        url("organisation", slug=api.a.slug), {"name": "X"}, content_type="application/json"
    )
    assert response.status_code == 403


def test_it_never_lets_a_key_manage_owners(api: ApiWorld) -> None:
    bob = Membership.objects.get(tenant=api.a.tenant, user=api.world.bob)
    response = call("patch", url("member", slug=api.a.slug, pk=bob.pk), api.a_rw, {"role": "owner"})
    assert response.status_code == 403
    assert Membership.objects.get(pk=bob.pk).role == Role.ACCOUNTANT


def test_it_creates_a_partner_key_from_the_command(world: World) -> None:
    out = StringIO()
    call_command(
        "partner_key", "Acme", owner="bob@example.com", manage=[world.bob_tenant.slug], stdout=out
    )
    token = re.search(r"tk_ptr_[A-Za-z0-9]{40}", out.getvalue()).group(0)  # type: ignore[union-attr]
    listed = call("get", url("organisations"), token).json()["results"]
    assert [o["slug"] for o in listed] == [world.bob_tenant.slug]
    with pytest.raises(CommandError, match="No organisation"):
        call_command("partner_key", "Acme", owner="bob@example.com", manage=["nope"])


def test_it_seeds_a_demo_key_that_the_readme_can_use(world: World) -> None:
    out = StringIO()
    call_command("seed_demo", stdout=out)  # tests run with DEBUG off: a public key is refused
    assert not ApiKey.objects.filter(name="Demo key (make run)").exists()
    assert "TIEOUT_KEY" not in out.getvalue()
    with override_settings(DEBUG=True):  # as under `make run`
        call_command("seed_demo", stdout=out)
        call_command("seed_demo", stdout=out)  # idempotent: still one key
    assert ApiKey.objects.filter(name="Demo key (make run)").count() == 1
    listed = call("get", url("organisations"), DEMO_API_KEY).json()["results"]
    assert [o["name"] for o in listed] == ["Northwind Coffee Roasters"]
    assert f"export TIEOUT_KEY={DEMO_API_KEY}" in out.getvalue()
    assert f"export TIEOUT_ORG={listed[0]['slug']}" in out.getvalue()

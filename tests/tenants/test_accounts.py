from __future__ import annotations

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from tenants.management.commands.seed_demo import DEMO_EMAIL, DEMO_PASSWORD
from tenants.models import Tenant
from tests.conftest import World
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_it_logs_in_with_email_and_out_again(world: World) -> None:
    client = Client()
    response = client.post(
        reverse("account_login"), {"login": "alice@example.com", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.get(reverse("tenants:clients")).status_code == 200
    client.post(reverse("account_logout"))
    assert client.get(reverse("tenants:clients")).status_code == 302


def test_it_rejects_a_wrong_password_with_a_form_error(world: World) -> None:
    response = Client().post(
        reverse("account_login"), {"login": "alice@example.com", "password": "wrong"}
    )
    assert response.status_code == 200
    assert "not correct" in response.content.decode()


def test_it_sends_a_password_reset_link(world: World) -> None:
    response = Client().post(reverse("account_reset_password"), {"email": "alice@example.com"})
    assert response.status_code == 302
    assert mail.outbox[-1].to == ["alice@example.com"]
    assert "/accounts/password/reset/key/" in mail.outbox[-1].body


def test_it_seeds_a_demo_login_that_works(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("seed_demo")
    call_command("seed_demo")  # idempotent
    assert DEMO_EMAIL in capsys.readouterr().out
    client = Client()
    response = client.post(
        reverse("account_login"), {"login": DEMO_EMAIL, "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302
    assert Tenant.objects.filter(memberships__user__email=DEMO_EMAIL).count() == 2
    assert client.get("/", follow=True).request["PATH_INFO"] == reverse("tenants:clients")

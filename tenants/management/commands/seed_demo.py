"""Create the demo login for `make run` (idempotent) and print it."""

from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from tenants import services
from tenants.models import Membership, Tenant
from tenants.roles import Role

DEMO_EMAIL = "demo@tieout.test"
DEMO_PASSWORD = "tieout-demo-2026"  # noqa: S105 - a public demo login on a local machine
# The Stripe emulator's read-only key of its platform account, where `make demo` seeds history.
DEMO_STRIPE_KEY = "rk_test_51TieoutPlatformReadOnlyKey00000000000"
DEMO_TENANTS = [("Northwind Coffee Roasters", Role.OWNER), ("Hopper & Lovelace LLP", Role.ADMIN)]


class Command(BaseCommand):
    help = "Create (or reset) the demo user and organisations, then print the login."

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            user = self._demo_user()
            for name, role in DEMO_TENANTS:
                tenant = Tenant.objects.filter(name=name, memberships__user=user).first()
                if tenant is None:
                    tenant = services.tenant_create(name=name, owner=user)
                Membership.objects.filter(tenant=tenant, user=user).update(role=role)
        self.stdout.write(
            self.style.SUCCESS(
                "\n  Tieout demo login — open http://127.0.0.1:8000/\n"
                f"    email:    {DEMO_EMAIL}\n"
                f"    password: {DEMO_PASSWORD}\n"
                "  Connect the emulated Stripe (30 days of seeded history) on the Connections\n"
                f"  page with the restricted key {DEMO_STRIPE_KEY}, or with\n"
                "  'Connect with Stripe' (a new, empty account); 'Connect to QuickBooks'\n"
                "  creates a sandbox company in the QuickBooks emulator.\n"
            )
        )

    def _demo_user(self) -> Any:
        user_model = get_user_model()
        user, _ = user_model.objects.get_or_create(
            username="demo", defaults={"email": DEMO_EMAIL, "first_name": "Demo"}
        )
        user.email = DEMO_EMAIL
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["email", "password"])
        EmailAddress.objects.update_or_create(
            user=user, email=DEMO_EMAIL, defaults={"verified": True, "primary": True}
        )
        return user

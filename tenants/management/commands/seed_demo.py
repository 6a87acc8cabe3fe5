"""Create the demo login for `make run` (idempotent) and print it."""

from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from tenants import services
from tenants.models import Membership, Tenant, hash_token
from tenants.roles import Role

DEMO_EMAIL = "demo@tieout.test"
DEMO_PASSWORD = "tieout-demo-2026"  # noqa: S105 - a public demo login on a local machine
# The Stripe emulator's read-only key of its platform account, where `make demo` seeds history.
DEMO_STRIPE_KEY = "rk_test_51TieoutPlatformReadOnlyKey00000000000"
# A known read-and-write API key of the first organisation, for the README's curl examples
# against `make run` (public, like the demo password; any real key is random and shown once).
DEMO_API_KEY = "tk_org_" + "DemoKeyForMakeRunOnly".ljust(40, "0")
DEMO_TENANTS = [("Northwind Coffee Roasters", Role.OWNER), ("Hopper & Lovelace LLP", Role.ADMIN)]


class Command(BaseCommand):
    help = "Create (or reset) the demo user and organisations, then print the login."

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            user = self._demo_user()
            tenants = []
            for name, role in DEMO_TENANTS:
                tenant = Tenant.objects.filter(name=name, memberships__user=user).first()
                if tenant is None:
                    tenant = services.tenant_create(name=name, owner=user)
                Membership.objects.filter(tenant=tenant, user=user).update(role=role)
                tenants.append(tenant)
            has_key = self._demo_api_key(tenants[0], user)
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
        if has_key:
            self.stdout.write(
                "  Partner API (README → Partner API):\n"
                "    export TIEOUT_URL=http://127.0.0.1:8000\n"
                f"    export TIEOUT_KEY={DEMO_API_KEY}\n"
                f"    export TIEOUT_ORG={tenants[0].slug}\n"
            )

    def _demo_api_key(self, tenant: Tenant, user: Any) -> bool:
        from api.models import ApiKey
        from api.services import api_key_create

        if not settings.DEBUG:
            return False  # a public key: development only
        if not ApiKey.objects.filter(token_hash=hash_token(DEMO_API_KEY)).exists():
            api_key_create(
                tenant=tenant,
                name="Demo key (make run)",
                access=ApiKey.Access.READ_WRITE,
                created_by=user,
                token=DEMO_API_KEY,
            )
        return True

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

"""Create a partner (if new) and a partner API key, printed once.

python manage.py partner_key "Acme Platform" --owner ops@acme.test [--manage <slug> …]
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from api import services
from api.models import ApiKey, Partner
from tenants.models import Tenant


class Command(BaseCommand):
    help = "Create a partner API key (tk_ptr_…); prints it once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("partner", help="The partner's name (created when new).")
        parser.add_argument("--owner", required=True, help="Email of the partner's owner user.")
        parser.add_argument(
            "--access", choices=ApiKey.Access.values, default=ApiKey.Access.READ_WRITE
        )
        parser.add_argument(
            "--manage", nargs="*", default=[], metavar="SLUG", help="Organisations it manages."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        owner = get_user_model().objects.filter(email__iexact=options["owner"]).first()
        if owner is None:
            raise CommandError(f"No user with the email {options['owner']}.")
        tenants = list(Tenant.objects.filter(slug__in=options["manage"]))
        missing = set(options["manage"]) - {t.slug for t in tenants}
        if missing:
            raise CommandError(f"No organisation with the slug {', '.join(sorted(missing))}.")
        with transaction.atomic():
            partner, _ = Partner.objects.get_or_create(
                name=options["partner"], defaults={"owner": owner}
            )
            partner.tenants.add(*tenants)
            access = ApiKey.Access(options["access"])
            issued = services.partner_key_create(
                partner=partner, name="CLI", access=access, created_by=owner
            )
        self.stdout.write(f"Partner key for {partner.name} (shown once): {issued.token}")

"""Rewrite every encrypted value under the newest key in FIELD_ENCRYPTION_KEYS.

Rotation: put a new key first in FIELD_ENCRYPTION_KEYS (keep the old ones after it), deploy,
run this command, then remove the old keys.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from connections.fields import EncryptedTextField


class Command(BaseCommand):
    help = "Re-encrypt all stored secrets with the newest FIELD_ENCRYPTION_KEYS key."

    def handle(self, *args: Any, **options: Any) -> None:
        total = 0
        for model in apps.get_models():
            fields = [f.name for f in model._meta.fields if isinstance(f, EncryptedTextField)]
            if fields:
                total += self._rewrite(model, fields)
        self.stdout.write(self.style.SUCCESS(f"Re-encrypted {total} rows."))

    def _rewrite(self, model: Any, fields: list[str]) -> int:
        count = 0
        for row in model._base_manager.only("pk", *fields).iterator(chunk_size=500):
            # Reading decrypts with any key; update() encrypts with the newest one.
            with transaction.atomic():
                model._base_manager.filter(pk=row.pk).update(
                    **{name: getattr(row, name) for name in fields}
                )
            count += 1
        return count

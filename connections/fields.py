from __future__ import annotations

from typing import Any

from django.db import models

from connections import crypto


class EncryptedTextField(models.TextField):
    """A text column whose value is Fernet-encrypted in the database.

    The empty string stays empty (nothing to protect, and "is it set?" needs no key). Values are
    never queryable: filter on other columns.
    """

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if not value:
            return value
        return crypto.decrypt(value)

    def get_prep_value(self, value: Any) -> str | None:
        value = super().get_prep_value(value)
        if not value:
            return value
        return crypto.encrypt(value)

"""Encryption of secrets at rest with MultiFernet.

Keys come from FIELD_ENCRYPTION_KEYS, newest first: encryption uses the first key, decryption
tries them all, so a key can be rotated in without downtime and retired after
`manage.py reencrypt_secrets` has rewritten every value under the newest key.
"""

from __future__ import annotations

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class UndecryptableSecret(Exception):
    """A stored secret cannot be decrypted with any configured key (the message holds no data)."""


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty: secrets cannot be stored")
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS must hold url-safe base64 Fernet keys of 32 bytes"
        ) from None


def _current() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt(plaintext: str) -> str:
    return _current().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _current().decrypt(token.encode()).decode()
    except InvalidToken:
        raise UndecryptableSecret(
            "A stored secret could not be decrypted: is its key still in FIELD_ENCRYPTION_KEYS?"
        ) from None

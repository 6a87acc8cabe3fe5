"""Secrets are encrypted at rest, survive key rotation, and never reach a log."""

from __future__ import annotations

import logging

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection as db
from django.test import override_settings

from connections import crypto
from connections.models import Connection
from connections.redaction import redact
from tests.conftest import World
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.django_db

SECRET = "sk_test_51SecretValueThatMustNeverLeak000"


def _raw(connection: Connection, column: str) -> str:
    with db.cursor() as cursor:
        cursor.execute(
            f"SELECT {column} FROM connections_connection WHERE id = %s", [connection.pk]
        )  # noqa: S608
        return cursor.fetchone()[0]


def test_it_stores_ciphertext_only(world: World) -> None:
    connection = ConnectionFactory(tenant=world.alice_tenant, api_key=SECRET)
    raw = _raw(connection, "api_key")
    assert SECRET not in raw
    assert raw.startswith("gAAAAA")
    connection.refresh_from_db()
    assert connection.api_key == SECRET


def test_it_survives_key_rotation_and_retirement(world: World) -> None:
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with override_settings(FIELD_ENCRYPTION_KEYS=[old_key]):
        connection = ConnectionFactory(
            tenant=world.alice_tenant, access_token="at_secret_one", refresh_token="rt_secret_two"
        )
        before = _raw(connection, "access_token")
    with override_settings(FIELD_ENCRYPTION_KEYS=[new_key, old_key]):
        connection.refresh_from_db()
        assert connection.access_token == "at_secret_one"  # old key still decrypts
        call_command("reencrypt_secrets", stdout=open("/dev/null", "w"))  # noqa: SIM115
        assert _raw(connection, "access_token") != before
    with override_settings(FIELD_ENCRYPTION_KEYS=[new_key]):
        connection.refresh_from_db()
        assert (connection.access_token, connection.refresh_token) == (
            "at_secret_one",
            "rt_secret_two",
        )
    with override_settings(FIELD_ENCRYPTION_KEYS=[old_key]):
        with pytest.raises(crypto.UndecryptableSecret) as error:
            connection.refresh_from_db()
        assert "at_secret_one" not in str(error.value)


@pytest.mark.parametrize(
    ("line", "secret"),
    [
        (f"using key {SECRET}", SECRET),
        ("rk_test_abcdefghijklmnop0123 refused", "abcdefghijklmnop0123"),
        ("secret whsec_abcdefghij012345", "abcdefghij012345"),
        ("Authorization: Bearer eyJhbGciOi.eyJzdWIiOiIx.c2lnbmF0dXJl", "eyJzdWIiOiIx"),
        ("headers={'Authorization': 'Basic Y2xpZW50OnNlY3JldA=='}", "Y2xpZW50OnNlY3JldA"),
        ('{"access_token": "AB11xyzSECRETTOKEN", "x": 1}', "AB11xyzSECRETTOKEN"),
        ('{"refresh_token": "RT1-secret-value"}', "RT1-secret-value"),
        ("GET /connections/quickbooks/callback/?code=AB11SECRETCODE&state=s", "AB11SECRETCODE"),
        ("client_secret=super-secret-value&grant_type=refresh_token", "super-secret-value"),
    ],
)
def test_it_redacts_secrets_from_log_lines(line: str, secret: str) -> None:
    assert secret in line
    assert secret not in redact(line)
    assert "[redacted]" in redact(line)


def test_it_keeps_quickbooks_fault_codes_readable() -> None:
    assert redact("Fault code=6140 duplicate DocNumber") == "Fault code=6140 duplicate DocNumber"


def test_it_redacts_records_from_every_logger(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("urllib3.connectionpool").debug("token=%s", "AB11LEAKYTOKEN")
        try:
            raise ValueError(f"bad key {SECRET}")
        except ValueError:
            logging.getLogger("celery.app.trace").exception("task failed")
    assert "AB11LEAKYTOKEN" not in caplog.text
    assert SECRET not in caplog.text
    assert "task failed" in caplog.text

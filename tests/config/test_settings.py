"""Production mode (DEBUG off) refuses each insecure configuration and hardens the rest."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest
from cryptography.fernet import Fernet

from config.settings import DEV_FIELD_ENCRYPTION_KEY, DEV_SECRET_KEY, production_problems
from tests.shared import REPO_ROOT

GOOD: dict[str, Any] = {
    "SECRET_KEY": "x" * 64,
    "ALLOWED_HOSTS": ["books.example.com"],
    "FIELD_ENCRYPTION_KEYS": ["a-key-of-our-own"],
    "ACCOUNT_EMAIL_VERIFICATION": "mandatory",
    "MAILERS": {"default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend"}},
}


def test_it_accepts_a_secure_configuration() -> None:
    assert production_problems(GOOD) == []


@pytest.mark.parametrize(
    ("override", "problem"),
    [
        ({"SECRET_KEY": ""}, "SECRET_KEY"),
        ({"SECRET_KEY": DEV_SECRET_KEY}, "SECRET_KEY"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"ALLOWED_HOSTS": []}, "ALLOWED_HOSTS"),
        ({"ALLOWED_HOSTS": ["*"]}, "ALLOWED_HOSTS"),
        ({"FIELD_ENCRYPTION_KEYS": []}, "FIELD_ENCRYPTION_KEYS"),
        ({"FIELD_ENCRYPTION_KEYS": [DEV_FIELD_ENCRYPTION_KEY]}, "FIELD_ENCRYPTION_KEYS"),
        ({"ACCOUNT_EMAIL_VERIFICATION": "optional"}, "ACCOUNT_EMAIL_VERIFICATION"),
        (
            {"MAILERS": {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}},
            "EMAIL_HOST",
        ),
    ],
)
def test_it_names_each_insecure_setting(override: dict[str, Any], problem: str) -> None:
    problems = production_problems({**GOOD, **override})
    assert len(problems) == 1
    assert problems[0].startswith(problem)


def _load_settings(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    script = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({k: getattr(s, k) for k in ['SESSION_COOKIE_SECURE', "
        "'CSRF_COOKIE_SECURE', 'SECURE_SSL_REDIRECT', 'SECURE_HSTS_SECONDS', "
        "'ACCOUNT_EMAIL_VERIFICATION']}))"
    )
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("DATABASE", "REDIS", "DEBUG"))
    }
    return subprocess.run(
        [sys.executable, "-c", script],
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.slow
def test_it_refuses_to_start_in_production_with_defaults() -> None:
    result = _load_settings({"DEBUG": "false"})
    assert result.returncode != 0
    assert "Refusing to start in production mode" in result.stderr
    for name in ("SECRET_KEY", "ALLOWED_HOSTS", "FIELD_ENCRYPTION_KEYS", "EMAIL_HOST"):
        assert name in result.stderr


@pytest.mark.slow
def test_it_hardens_a_valid_production_configuration() -> None:
    result = _load_settings(
        {
            "DEBUG": "false",
            "SECRET_KEY": "s" * 60,
            "ALLOWED_HOSTS": "books.example.com",
            "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "EMAIL_HOST": "smtp.example.com",
        }
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    assert loaded["SESSION_COOKIE_SECURE"] and loaded["CSRF_COOKIE_SECURE"]
    assert loaded["SECURE_SSL_REDIRECT"]
    assert loaded["SECURE_HSTS_SECONDS"] >= 31536000
    assert loaded["ACCOUNT_EMAIL_VERIFICATION"] == "mandatory"


def test_it_rejects_malformed_booleans(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.core.exceptions import ImproperlyConfigured

    from config.env import envbool, envint

    monkeypatch.setenv("SOME_FLAG", "maybe")
    monkeypatch.setenv("SOME_NUMBER", "ten")
    with pytest.raises(ImproperlyConfigured, match="SOME_FLAG"):
        envbool("SOME_FLAG", False)
    with pytest.raises(ImproperlyConfigured, match="SOME_NUMBER"):
        envint("SOME_NUMBER", 1)

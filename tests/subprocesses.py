"""Helpers for tests that start real processes (Celery workers, the intake server)."""

from __future__ import annotations

from django.db import connection as db


def database_url() -> str:
    """The DATABASE_URL under which a child process sees this test's database (the test must
    commit, `transaction=True`, for the child to see its rows)."""
    name = db.settings_dict["NAME"]
    if db.vendor == "sqlite":
        return f"sqlite:///{name}"
    d = db.settings_dict
    return f"postgres://{d['USER']}:{d.get('PASSWORD') or ''}@{d['HOST']}:{d['PORT']}/{name}"

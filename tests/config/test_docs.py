"""Every environment variable the settings read is documented in .env.example and the README."""

from __future__ import annotations

import re

from tests.shared import REPO_ROOT

ENV_READ = re.compile(r"env(?:str|bool|int|list|secret)\(\s*\"([A-Z0-9_]+)\"")


def _variables_read() -> set[str]:
    source = (REPO_ROOT / "config" / "settings.py").read_text()
    return set(ENV_READ.findall(source))


def test_it_finds_the_variables() -> None:
    assert {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "FIELD_ENCRYPTION_KEYS"} <= _variables_read()


def test_it_documents_every_variable_in_env_example() -> None:
    example = (REPO_ROOT / ".env.example").read_text()
    documented = set(re.findall(r"^([A-Z0-9_]+)=", example, flags=re.MULTILINE))
    assert _variables_read() - documented == set()


def test_it_documents_every_variable_in_the_readme() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    missing = {name for name in _variables_read() if f"`{name}`" not in readme}
    assert missing == set()

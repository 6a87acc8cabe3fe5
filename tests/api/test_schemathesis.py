"""Schema fuzzing: schemathesis generates requests for every operation of /api/v1/schema/,
sends them to the WSGI app in-process with a read-write key of a seeded organisation, and
checks that nothing answers 5xx and that every answer conforms to the schema."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application
from tests.api.conftest import ApiWorld

# Examples per operation: about 40 operations × 10 stay well under a minute on 2 cores.
EXAMPLES = 10
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]


@pytest.fixture
def _keep_the_test_connection() -> Iterator[None]:
    """Django's WSGI handler closes the database connection after each request; the test's
    transaction lives on it (Django's test client disconnects the same signals)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.slow
@pytest.mark.usefixtures("_keep_the_test_connection")
@override_settings(API_RATE_LIMIT="100000/minute")
def test_it_conforms_to_its_schema_and_never_answers_5xx(api: ApiWorld) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", application)
    headers = {"Authorization": f"Bearer {api.a_rw}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 40
    called: dict[str, int] = {}
    for operation in operations:
        # The organisation is the seeded one; ids and bodies are generated.
        fixed = {"slug": api.a.slug} if "{slug}" in operation.path else None
        positive = operation.as_strategy(path_parameters=fixed, headers=headers)
        # Invalid input too (wrong types, missing fields, bad query values): a 4xx, never a 5xx.
        negative = operation.as_strategy(
            GenerationMode.NEGATIVE, path_parameters=fixed, headers=headers
        )
        strategy = positive | negative

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate(checks=CHECKS)
            called[case.operation.label] = called.get(case.operation.label, 0) + 1

        check()
    # Every operation was really exercised, most of them with many different requests.
    assert set(called) == {operation.label for operation in operations}
    assert sum(called.values()) >= 5 * len(operations)

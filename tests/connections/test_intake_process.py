"""The `intake` process as compose.yaml runs it: gunicorn's asyncio worker serving
`config.asgi`, answering over a real socket against this test's database.

The other intake tests call the ASGI app directly; this one checks the deployed command itself:
the worker class imports and starts, the lifespan runs, the platform endpoint stores and refuses
as it should, and other paths reach Django.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import stripe
from django.conf import settings

from connections.models import InboundEvent
from tests.shared import REPO_ROOT
from tests.subprocesses import database_url

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SECRET = "whsec_test_intake_process_secret"
# An account no organisation has connected: the event is kept as "ignored", so no doorbell
# is queued for a drain that another test's worker could pick up.
ACCOUNT = "acct_nobody_connected_this"


def intake_command() -> list[str]:
    """The `intake` service's command from compose.yaml (a JSON-style list on one line)."""
    compose = (REPO_ROOT / "compose.yaml").read_text()
    found = re.search(r"^  intake:\n(?:    .*\n)*?    command: (\[.*\])$", compose, re.MULTILINE)
    assert found, "compose.yaml has no intake service with a command"
    return json.loads(found.group(1))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def intake_port(tmp_path: Path) -> Iterator[int]:
    command = intake_command()
    assert command[:2] == ["gunicorn", "config.asgi"]
    port = _free_port()
    bind = command.index("--bind")
    command[bind + 1] = f"127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="true",
        DATABASE_URL=database_url(),
        TIEOUT_VAR_DIR=str(tmp_path / "var"),
        STRIPE_WEBHOOK_SECRET=SECRET,
        FIELD_ENCRYPTION_KEYS=",".join(settings.FIELD_ENCRYPTION_KEYS),
        LOG_LEVEL="WARNING",
    )
    if settings.REDIS_URL:
        env["REDIS_URL"] = settings.REDIS_URL
    log = (tmp_path / "intake.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", *command],
        cwd=REPO_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_until_answering(port, server, tmp_path / "intake.log")
        yield port
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def _wait_until_answering(port: int, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"the intake exited with {server.returncode}:\n{log.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"the intake did not listen within 60 s:\n{log.read_text()}")


def _request(
    port: int, method: str, path: str, body: bytes = b"", **headers: str
) -> tuple[int, bytes]:
    client = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        client.request(method, path, body=body, headers={"Host": "127.0.0.1", **headers})
        response = client.getresponse()
        return response.status, response.read()
    finally:
        client.close()


def _event(event_id: str) -> bytes:
    event = {
        "id": event_id,
        "object": "event",
        "account": ACCOUNT,
        "livemode": False,
        "type": "charge.succeeded",
        "created": int(time.time()),
        "data": {"object": {"id": "ch_1", "object": "charge"}},
    }
    return json.dumps(event, indent=2).encode()


def test_the_deployed_intake_stores_refuses_and_hands_the_rest_to_django(intake_port: int) -> None:
    body = _event("evt_intake_process_1")
    signature = stripe.WebhookSignature.generate_signature_header(body.decode(), SECRET)
    headers = {"Content-Type": "application/json", "Stripe-Signature": signature}

    first = _request(intake_port, "POST", "/webhooks/stripe/", body, **headers)
    again = _request(intake_port, "POST", "/webhooks/stripe/", body, **headers)
    forged = _request(
        intake_port, "POST", "/webhooks/stripe/", _event("evt_intake_process_2"), **headers
    )
    health_status, _ = _request(intake_port, "GET", "/healthz")

    assert first[0] == 200
    assert json.loads(first[1]) == {"received": True, "duplicate": False, "status": "ignored"}
    assert again[0] == 200 and json.loads(again[1])["duplicate"] is True
    assert forged[0] == 400 and json.loads(forged[1])["title"] == "Event refused"
    # Django answered: the health check reports on the database and the broker.
    assert health_status == 200
    rows = list(InboundEvent.objects.values_list("event_id", "account", "status"))
    assert rows == [("evt_intake_process_1", ACCOUNT, "ignored")]

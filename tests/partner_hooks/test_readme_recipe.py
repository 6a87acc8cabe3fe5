"""The README's signature check, run as written against a real delivery."""

from __future__ import annotations

import re
from typing import Any

import pytest
import time_machine

from partner_hooks import services
from tests.conftest import World
from tests.partner_hooks.conftest import Receiver
from tests.shared import REPO_ROOT

pytestmark = pytest.mark.django_db


def _readme_recipe() -> Any:
    readme = (REPO_ROOT / "README.md").read_text()
    section = readme.split("\n### Outgoing webhooks\n", 1)[1].split("\n## ", 1)[0]
    [code] = re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)
    namespace: dict[str, Any] = {}
    exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102 (our own README)
    return namespace["tieout_signature_ok"]


def test_the_readme_recipe_verifies_a_real_delivery(world: World, receiver: Receiver) -> None:
    check = _readme_recipe()
    endpoint = services.endpoint_create(tenant=world.alice_tenant, url=receiver.url)
    services.event_emit(tenant_id=world.alice_tenant.pk, type="tie_out.broken", data={"x": 1})
    services.delivery_attempt(delivery_id=endpoint.deliveries.get().pk)
    [request] = receiver.received
    header = request.headers["Tieout-Signature"]
    assert check(endpoint.secret, request.body, header)
    assert not check(endpoint.secret, request.body.replace(b"1", b"2"), header)
    assert not check("whsec_" + "0" * 48, request.body, header)
    sent_at = int(header.split(",")[0].removeprefix("t="))
    with time_machine.travel(sent_at + 301):  # a replay more than five minutes later
        assert not check(endpoint.secret, request.body, header)
    with time_machine.travel(sent_at + 299):
        assert check(endpoint.secret, request.body, header)

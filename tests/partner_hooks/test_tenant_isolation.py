"""One organisation's events never reach another's endpoints; tasks touch only their ids."""

from __future__ import annotations

import pytest

from partner_hooks import services, tasks
from partner_hooks.models import Delivery
from tests.conftest import World
from tests.partner_hooks.conftest import Receiver

pytestmark = pytest.mark.django_db


def test_an_event_goes_only_to_its_own_organisations_endpoints(
    world: World, receiver: Receiver
) -> None:
    alice = services.endpoint_create(tenant=world.alice_tenant, url=receiver.url + "/alice")
    charlie = services.endpoint_create(tenant=world.charlie_tenant, url=receiver.url + "/charlie")
    event = services.event_emit(tenant_id=world.alice_tenant.pk, type="sync.finished", data={})
    assert event is not None and event.tenant_id == world.alice_tenant.pk
    assert list(Delivery.objects.values_list("endpoint_id", "tenant_id")) == [
        (alice.pk, world.alice_tenant.pk)
    ]
    tasks.sweep_webhook_deliveries()
    assert [r.path for r in receiver.received] == ["/hooks/tieout/alice"]
    assert not charlie.deliveries.exists()


def test_delivering_one_id_leaves_other_organisations_deliveries_alone(
    world: World, receiver: Receiver
) -> None:
    services.endpoint_create(tenant=world.alice_tenant, url=receiver.url + "/alice")
    services.endpoint_create(tenant=world.charlie_tenant, url=receiver.url + "/charlie")
    services.event_emit(tenant_id=world.alice_tenant.pk, type="sync.finished", data={})
    services.event_emit(tenant_id=world.charlie_tenant.pk, type="sync.finished", data={})
    alice_delivery = Delivery.objects.get(tenant=world.alice_tenant)
    tasks.deliver_webhook(alice_delivery.pk)
    charlie_delivery = Delivery.objects.get(tenant=world.charlie_tenant)
    assert (charlie_delivery.state, charlie_delivery.attempts) == ("pending", 0)
    assert [r.path for r in receiver.received] == ["/hooks/tieout/alice"]
    assert services.deliveries_for(tenant=world.alice_tenant).get() == alice_delivery


def test_the_log_lists_only_the_organisations_own_deliveries(
    world: World, receiver: Receiver
) -> None:
    services.endpoint_create(tenant=world.charlie_tenant, url=receiver.url)
    services.event_emit(tenant_id=world.charlie_tenant.pk, type="sync.finished", data={})
    assert not services.deliveries_for(tenant=world.alice_tenant).exists()
    page = world.client_for(world.alice).get(f"/o/{world.alice_tenant.slug}/settings/webhooks/")
    assert receiver.url not in page.content.decode()

"""The three actors every test starts with.

alice owns "Alice & Co"; bob is an accountant there and owns his own "Bob's Books"; charlie
owns "Charlie Ltd" and belongs nowhere else, so he is the outsider in isolation tests.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.contrib.auth.models import User
from django.test import Client

from connections.models import Connection, ConnectLink
from mappings.models import SyncProfile
from syncs.models import OutboxDocument, SyncRun
from tenants.models import Invitation, Membership, Tenant
from tenants.roles import Role
from tests.factories import (
    ConnectionFactory,
    ConnectLinkFactory,
    InvitationFactory,
    MembershipFactory,
    TenantFactory,
    UserFactory,
)

# The emulator fixtures (qbo, stripe_emu) are available to every test.
pytest_plugins = ["tests.emulator_fixtures"]

ALICE_INVITATION_TOKEN = "alice-invitation-token"


@dataclass
class World:
    alice: User
    bob: User
    charlie: User
    alice_tenant: Tenant
    bob_tenant: Tenant
    charlie_tenant: Tenant
    bob_membership: Membership
    alice_invitation: Invitation
    charlie_invitation: Invitation
    alice_connection: Connection
    alice_link: ConnectLink
    alice_run: SyncRun
    # Filled in by fixtures that need them (tests/test_isolation.py): most tests assume alice
    # has no QuickBooks company and no outbox.
    alice_profile: SyncProfile | None = None
    alice_document: OutboxDocument | None = None

    def client_for(self, user: User | None) -> Client:
        client = Client()
        if user is not None:
            client.force_login(user)
        return client

    def make_bob(self, role: Role) -> None:
        Membership.objects.filter(pk=self.bob_membership.pk).update(role=role)


@pytest.fixture(autouse=True)
def _fresh_caches() -> None:
    """Caches outlive a test's database rollback: start each test without them."""
    from django.core.cache import cache

    from connections import inbox

    cache.clear()
    inbox._routes.clear()
    inbox._rung_at.clear()


@pytest.fixture
def world(db: None) -> World:
    alice = UserFactory(username="alice", email="alice@example.com")
    bob = UserFactory(username="bob", email="bob@example.com")
    charlie = UserFactory(username="charlie", email="charlie@example.com")
    alice_tenant = TenantFactory(name="Alice & Co")
    bob_tenant = TenantFactory(name="Bob's Books")
    charlie_tenant = TenantFactory(name="Charlie Ltd")
    MembershipFactory(tenant=alice_tenant, user=alice, role=Role.OWNER)
    bob_membership = MembershipFactory(tenant=alice_tenant, user=bob, role=Role.ACCOUNTANT)
    MembershipFactory(tenant=bob_tenant, user=bob, role=Role.OWNER)
    MembershipFactory(tenant=charlie_tenant, user=charlie, role=Role.OWNER)
    alice_connection = ConnectionFactory(
        tenant=alice_tenant, external_id="acct_alice_world", display_name="Alice Shop"
    )
    return World(
        alice=alice,
        bob=bob,
        charlie=charlie,
        alice_tenant=alice_tenant,
        bob_tenant=bob_tenant,
        charlie_tenant=charlie_tenant,
        bob_membership=bob_membership,
        alice_invitation=InvitationFactory(
            tenant=alice_tenant, invited_by=alice, token=ALICE_INVITATION_TOKEN
        ),
        charlie_invitation=InvitationFactory(tenant=charlie_tenant, invited_by=charlie),
        alice_connection=alice_connection,
        alice_link=ConnectLinkFactory(tenant=alice_tenant, created_by=alice),
        alice_run=SyncRun.objects.create(
            tenant=alice_tenant, connection=alice_connection, kind="backfill", trigger="user"
        ),
    )

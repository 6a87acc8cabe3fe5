from __future__ import annotations

from datetime import timedelta

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from tenants.models import Invitation, Membership, Tenant, hash_token
from tenants.roles import Role

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password(PASSWORD)


class TenantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tenant

    name = factory.Sequence(lambda n: f"Organisation {n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    tenant = factory.SubFactory(TenantFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.OWNER


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invitation

    class Params:
        token = factory.Sequence(lambda n: f"invitation-token-{n}")

    tenant = factory.SubFactory(TenantFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.com")
    role = Role.ACCOUNTANT
    token_hash = factory.LazyAttribute(lambda inv: hash_token(inv.token))
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))


class ConnectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "connections.Connection"

    tenant = factory.SubFactory(TenantFactory)
    provider = "stripe"
    method = "stripe_connect"
    external_id = factory.Sequence(lambda n: f"acct_{n:016d}")
    display_name = factory.Sequence(lambda n: f"Shop {n}")
    livemode = False
    status = "connected"


class ConnectLinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "connections.ConnectLink"

    class Params:
        token = factory.Sequence(lambda n: f"connect-link-token-{n}")

    tenant = factory.SubFactory(TenantFactory)
    token_hash = factory.LazyAttribute(lambda link: hash_token(link.token))
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=14))

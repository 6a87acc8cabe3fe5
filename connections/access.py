"""Connection-level access, built on tenants.access (which decides who is a member)."""

from __future__ import annotations

from django.http import Http404

from connections.models import Connection, ConnectLink
from tenants.models import Tenant


def get_connection_for_tenant(tenant: Tenant, connection_id: int) -> Connection:
    connection = Connection.objects.for_tenant(tenant).filter(pk=connection_id).first()
    if connection is None:
        raise Http404
    return connection


def get_connect_link_for_tenant(tenant: Tenant, link_id: int) -> ConnectLink:
    link = ConnectLink.objects.for_tenant(tenant).filter(pk=link_id).first()
    if link is None:
        raise Http404
    return link

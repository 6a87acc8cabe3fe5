"""Connections: status, disconnect, and connect links a partner hands to its user."""

from __future__ import annotations

from typing import Any, cast

from django.db.models import QuerySet
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api import examples as ex
from api.access import ApiAccess, get_tenant_for_api
from api.idempotency import idempotent
from api.schema import IDEMPOTENT_POST, example, operation
from api.serializers import (
    ConnectionSerializer,
    ConnectLinkSerializer,
    DisconnectSerializer,
    IssuedConnectLinkSerializer,
)
from api.views.base import ScopedList, actor_name, query
from connections import links
from connections import services as connection_services
from connections.access import get_connect_link_for_tenant, get_connection_for_tenant
from connections.models import Connection, ConnectLink, Provider
from tenants.roles import Perm

TAG = ["connections"]


class ConnectionFilter(serializers.Serializer):
    provider = serializers.ChoiceField(choices=Provider.choices, required=False)
    status = serializers.ChoiceField(choices=Connection.Status.choices, required=False)


class ConnectionList(ScopedList):
    serializer_class = ConnectionSerializer
    queryset = Connection.objects.none()

    def scoped(self, access: ApiAccess) -> QuerySet[Connection]:
        rows = Connection.objects.for_tenant(access.tenant)
        return rows.filter(**query(ConnectionFilter, self.request))

    @operation(
        summary="List connections (Stripe accounts and QuickBooks companies)",
        parameters=[ConnectionFilter],
        responses={200: ConnectionSerializer(many=True)},
        examples=[example("connections", ex.CONNECTION)],
        errors=[400],
        tags=TAG,
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class ConnectionDetail(APIView):
    @operation(
        summary="Get a connection and its status",
        responses={200: ConnectionSerializer},
        examples=[example("connection", ex.CONNECTION)],
        tags=TAG,
    )
    def get(self, request: Request, slug: str, pk: int) -> Response:
        access = get_tenant_for_api(request, slug)
        return Response(ConnectionSerializer(get_connection_for_tenant(access.tenant, pk)).data)


class _Actor:
    """What connection_disconnect records as "Disconnected by …"."""

    def __init__(self, email: str) -> None:
        self.email = email


class ConnectionDisconnect(APIView):
    @operation(
        summary="Disconnect",
        description="Revokes our access at the provider (best effort) and forgets the "
        "credentials; syncing from it stops. " + IDEMPOTENT_POST,
        request=None,
        responses={200: DisconnectSerializer},
        examples=[
            example(
                "disconnected",
                {
                    "connection": {**ex.CONNECTION, "status": "disconnected"},
                    "note": "",
                },
            )
        ],
        write=True,
        errors=[409, 422],
        tags=TAG,
    )
    @idempotent
    def post(self, request: Request, slug: str, pk: int) -> Response:
        access = get_tenant_for_api(request, slug, Perm.MANAGE_CONNECTIONS)
        connection = get_connection_for_tenant(access.tenant, pk)
        by = access.user or _Actor(actor_name(request))
        note = connection_services.connection_disconnect(connection=connection, by=cast(Any, by))
        connection.refresh_from_db()
        data = {"connection": ConnectionSerializer(connection).data, "note": note.strip()}
        return Response(data)


class ConnectLinkList(ScopedList):
    serializer_class = ConnectLinkSerializer
    queryset = ConnectLink.objects.none()

    def scoped(self, access: ApiAccess) -> QuerySet[ConnectLink]:
        return ConnectLink.objects.for_tenant(access.tenant)

    @operation(
        summary="List connect links",
        responses={200: ConnectLinkSerializer(many=True)},
        examples=[example("links", ex.CONNECT_LINK)],
        tags=TAG,
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @operation(
        summary="Create a connect link",
        description="A link your user opens to connect Stripe and QuickBooks without a Tieout "
        "login. The URL is in this answer only (only a hash is kept); it works for 14 days. "
        + IDEMPOTENT_POST,
        request=None,
        responses={201: IssuedConnectLinkSerializer},
        examples=[example("link", ex.ISSUED_CONNECT_LINK, 201)],
        write=True,
        errors=[409, 422],
        tags=TAG,
    )
    @idempotent
    def post(self, request: Request, slug: str) -> Response:
        access = get_tenant_for_api(request, slug, Perm.MANAGE_CONNECTIONS)
        issued = links.connect_link_create(tenant=access.tenant, created_by=access.user)  # type: ignore[arg-type]
        data = {**ConnectLinkSerializer(issued.link).data, "url": issued.url}
        return Response(data, status=201)


class ConnectLinkDetail(APIView):
    @operation(
        summary="Get a connect link",
        responses={200: ConnectLinkSerializer},
        examples=[example("link", ex.CONNECT_LINK)],
        tags=TAG,
    )
    def get(self, request: Request, slug: str, pk: int) -> Response:
        access = get_tenant_for_api(request, slug)
        return Response(ConnectLinkSerializer(get_connect_link_for_tenant(access.tenant, pk)).data)

    @operation(
        summary="Revoke a connect link",
        responses={204: None},
        write=True,
        tags=TAG,
    )
    def delete(self, request: Request, slug: str, pk: int) -> Response:
        access = get_tenant_for_api(request, slug, Perm.MANAGE_CONNECTIONS)
        links.connect_link_revoke(link=get_connect_link_for_tenant(access.tenant, pk))
        return Response(status=204)

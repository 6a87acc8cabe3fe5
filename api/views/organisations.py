"""Organisations, members and invitations: the same services as the Team and Settings pages."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api import examples as ex
from api import services
from api.access import ApiAccess, api_key_of, get_tenant_for_api, tenants_for
from api.errors import Conflict
from api.idempotency import idempotent
from api.models import ApiKey
from api.schema import IDEMPOTENT_POST, example, operation, request_example
from api.serializers import (
    InvitationCreateSerializer,
    InvitationSerializer,
    MemberSerializer,
    OrganisationCreateSerializer,
    OrganisationSerializer,
    OrganisationUpdateSerializer,
    RoleSerializer,
)
from api.views.base import ScopedList, bad, object_or_404, valid
from tenants import services as tenant_services
from tenants.access import get_invitation_for_tenant, get_membership_for_tenant
from tenants.models import Invitation, Membership, Tenant
from tenants.roles import Perm, Role

TAG = ["organisations"]


class OrganisationList(ScopedList):
    serializer_class = OrganisationSerializer
    queryset = Tenant.objects.none()

    def get_queryset(self) -> QuerySet[Tenant]:
        return tenants_for(self.request)

    @operation(
        summary="List the organisations this key can reach",
        description="An organisation key sees its own organisation; a partner key sees every "
        "organisation its partner manages.",
        responses={200: OrganisationSerializer(many=True)},
        examples=[example("organisations", ex.ORGANISATION)],
        tags=TAG,
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @operation(
        summary="Create an organisation (partner keys)",
        description="The partner manages the new organisation from then on; its owner is the "
        "partner's owner. " + IDEMPOTENT_POST,
        request=OrganisationCreateSerializer,
        responses={201: OrganisationSerializer},
        examples=[
            request_example("new organisation", {"name": "Northwind Coffee Roasters"}),
            example("created", ex.ORGANISATION, 201),
        ],
        write=True,
        errors=[409, 422],
        tags=TAG,
    )
    @idempotent
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = api_key_of(request)
        data = valid(OrganisationCreateSerializer, request.data)
        if key is None:
            tenant = tenant_services.tenant_create(name=data["name"], owner=request.user)
        elif key.kind != ApiKey.Kind.PARTNER:
            raise PermissionDenied("Only partner keys can create organisations.")
        elif not key.can_write:
            raise PermissionDenied("This API key is read-only.")
        else:
            assert key.partner is not None
            tenant = services.partner_tenant_create(partner=key.partner, name=data["name"])
        tenant_services.tenant_update_settings(tenant=tenant, **data)
        return Response(OrganisationSerializer(tenant).data, status=201)


class OrganisationDetail(APIView):
    @operation(
        summary="Get an organisation",
        responses={200: OrganisationSerializer},
        examples=[example("organisation", ex.ORGANISATION)],
        tags=TAG,
    )
    def get(self, request: Request, slug: str) -> Response:
        access = get_tenant_for_api(request, slug)
        return Response(OrganisationSerializer(access.tenant).data)

    @operation(
        summary="Change an organisation's name, time zone or locale",
        request=OrganisationUpdateSerializer,
        responses={200: OrganisationSerializer},
        examples=[
            request_example("rename", {"name": "Northwind Coffee"}),
            example("changed", ex.ORGANISATION),
        ],
        write=True,
        tags=TAG,
    )
    def patch(self, request: Request, slug: str) -> Response:
        access = get_tenant_for_api(request, slug, Perm.CHANGE_SETTINGS)
        tenant = access.tenant
        data = valid(OrganisationUpdateSerializer, request.data)
        current = {"name": tenant.name, "time_zone": tenant.time_zone, "locale": tenant.locale}
        tenant_services.tenant_update_settings(tenant=tenant, **{**current, **data})
        return Response(OrganisationSerializer(tenant).data)


class MemberList(ScopedList):
    serializer_class = MemberSerializer
    queryset = Membership.objects.none()

    def scoped(self, access: ApiAccess) -> QuerySet[Membership]:
        return Membership.objects.for_tenant(access.tenant).select_related("user")

    @operation(
        summary="List members",
        responses={200: MemberSerializer(many=True)},
        examples=[example("members", ex.MEMBER)],
        tags=TAG,
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


def _check_owner_change(access: ApiAccess, *roles: str) -> None:
    # The same rule as the Team page: only owners touch owners (keys never do).
    if Role.OWNER in roles and not access.can(Perm.MANAGE_OWNERS):
        raise PermissionDenied("Only an owner can make, change or remove an owner.")


class MemberDetail(APIView):
    @operation(
        summary="Get a member",
        responses={200: MemberSerializer},
        examples=[example("member", ex.MEMBER)],
        tags=TAG,
    )
    def get(self, request: Request, slug: str, pk: int) -> Response:
        access = get_tenant_for_api(request, slug)
        return Response(MemberSerializer(get_membership_for_tenant(access.tenant, pk)).data)

    @operation(
        summary="Change a member's role",
        request=RoleSerializer,
        responses={200: MemberSerializer},
        examples=[request_example("role", {"role": "viewer"}), example("member", ex.MEMBER)],
        write=True,
        errors=[409],
        tags=TAG,
    )
    def patch(self, request: Request, slug: str, pk: int) -> Response:
        access = get_tenant_for_api(request, slug, Perm.MANAGE_MEMBERS)
        membership = get_membership_for_tenant(access.tenant, pk)
        role = Role(valid(RoleSerializer, request.data)["role"])
        _check_owner_change(access, role, membership.role)
        try:
            tenant_services.membership_set_role(membership=membership, role=role)
        except tenant_services.MembershipError as error:
            raise Conflict(str(error)) from None
        membership.refresh_from_db()
        return Response(MemberSerializer(membership).data)

    @operation(
        summary="Remove a member",
        responses={204: None},
        write=True,
        errors=[409],
        tags=TAG,
    )
    def delete(self, request: Request, slug: str, pk: int) -> Response:
        access = get_tenant_for_api(request, slug, Perm.MANAGE_MEMBERS)
        membership = get_membership_for_tenant(access.tenant, pk)
        _check_owner_change(access, membership.role)
        try:
            tenant_services.membership_remove(membership=membership)
        except tenant_services.MembershipError as error:
            raise Conflict(str(error)) from None
        return Response(status=204)


class InvitationList(ScopedList):
    serializer_class = InvitationSerializer
    queryset = Invitation.objects.none()

    def scoped(self, access: ApiAccess) -> QuerySet[Invitation]:
        return Invitation.objects.for_tenant(access.tenant)

    @operation(
        summary="List invitations",
        responses={200: InvitationSerializer(many=True)},
        examples=[example("invitations", ex.INVITATION)],
        tags=TAG,
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @operation(
        summary="Invite someone by email",
        description="Sends the invitation email; a pending invitation to the same address is "
        "replaced. " + IDEMPOTENT_POST,
        request=InvitationCreateSerializer,
        responses={201: InvitationSerializer},
        examples=[
            request_example("invite", {"email": "grace@northwind.test", "role": "viewer"}),
            example("invited", ex.INVITATION, 201),
        ],
        write=True,
        errors=[409, 422],
        tags=TAG,
    )
    @idempotent
    def post(self, request: Request, slug: str) -> Response:
        access = get_tenant_for_api(request, slug, Perm.MANAGE_MEMBERS)
        data = valid(InvitationCreateSerializer, request.data)
        _check_owner_change(access, data["role"])
        try:
            sent = tenant_services.invitation_create(
                tenant=access.tenant,
                email=data["email"],
                role=Role(data["role"]),
                invited_by=access.user,  # type: ignore[arg-type]
            )
        except tenant_services.InvitationError as error:
            raise bad("email", str(error)) from None
        return Response(InvitationSerializer(sent.invitation).data, status=201)


class InvitationDetail(APIView):
    @operation(
        summary="Get an invitation",
        responses={200: InvitationSerializer},
        examples=[example("invitation", ex.INVITATION)],
        tags=TAG,
    )
    def get(self, request: Request, slug: str, pk: int) -> Response:
        access = get_tenant_for_api(request, slug)
        return Response(InvitationSerializer(get_invitation_for_tenant(access.tenant, pk)).data)

    @operation(
        summary="Withdraw an invitation",
        description="The link stops working. Withdrawing twice is harmless.",
        responses={204: None},
        write=True,
        tags=TAG,
    )
    def delete(self, request: Request, slug: str, pk: int) -> Response:
        access = get_tenant_for_api(request, slug, Perm.MANAGE_MEMBERS)
        tenant_services.invitation_revoke(invitation=get_invitation_for_tenant(access.tenant, pk))
        return Response(status=204)


class InvitationResend(APIView):
    @operation(
        summary="Send an invitation again",
        description="A fresh link with a fresh expiry; the old link stops working. "
        + IDEMPOTENT_POST,
        request=None,
        responses={200: InvitationSerializer},
        examples=[example("sent again", ex.INVITATION)],
        write=True,
        errors=[409, 422],
        tags=TAG,
    )
    @idempotent
    def post(self, request: Request, slug: str, pk: int) -> Response:
        access = get_tenant_for_api(request, slug, Perm.MANAGE_MEMBERS)
        invitation = object_or_404(Invitation.objects.for_tenant(access.tenant), pk)
        try:
            sent = tenant_services.invitation_resend(invitation=invitation)  # type: ignore[arg-type]
        except tenant_services.InvitationError as error:
            raise Conflict(str(error)) from None
        return Response(InvitationSerializer(sent.invitation).data)

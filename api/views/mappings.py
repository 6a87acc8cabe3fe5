"""Mappings: which QuickBooks company a Stripe account posts into, its schedule, its refs,
and auto-setup (the Accounts page's "Create them for me")."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api import examples as ex
from api import services
from api.access import ApiAccess, get_tenant_for_api
from api.errors import Conflict
from api.idempotency import idempotent
from api.schema import IDEMPOTENT_POST, example, operation, request_example
from api.serializers import (
    AutosetupSerializer,
    MappingCreateSerializer,
    MappingSerializer,
    MappingUpdateSerializer,
    ProductChoiceSerializer,
    RefChoiceSerializer,
)
from api.views.base import ScopedList, bad, valid
from connections.models import Connection, Provider
from connections.providers.errors import ProviderError
from mappings import services as mapping_services
from mappings.models import SyncProfile
from mappings.selectors import GUEST_CUSTOMER
from syncs import setup
from tenants.models import Tenant
from tenants.roles import Perm

TAG = ["mappings"]


def _mappings(tenant: Tenant) -> QuerySet[SyncProfile]:
    return SyncProfile.objects.for_tenant(tenant).prefetch_related("refs", "product_items")


def _mapping(access: ApiAccess, pk: int) -> SyncProfile:
    profile = _mappings(access.tenant).select_related("stripe", "quickbooks").filter(pk=pk).first()
    if profile is None:
        raise NotFound
    return profile


def _connection(tenant: Tenant, field: str, pk: int, provider: str) -> Connection:
    connection = (
        Connection.objects.for_tenant(tenant).filter(pk=pk, provider=provider).active().first()
    )
    if connection is None:
        raise bad(field, f"No active {Provider(provider).label} connection with this id.")
    return connection


class MappingList(ScopedList):
    serializer_class = MappingSerializer
    queryset = SyncProfile.objects.none()

    def scoped(self, access: ApiAccess) -> QuerySet[SyncProfile]:
        return _mappings(access.tenant)

    @operation(
        summary="List mappings (one per Stripe account)",
        responses={200: MappingSerializer(many=True)},
        examples=[example("mappings", ex.MAPPING)],
        tags=TAG,
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @operation(
        summary="Link a Stripe account to a QuickBooks company",
        description=IDEMPOTENT_POST,
        request=MappingCreateSerializer,
        responses={201: MappingSerializer},
        examples=[
            request_example("link", {"stripe_connection": 3, "quickbooks_connection": 4}),
            example("linked", {**ex.MAPPING, "refs": []}, 201),
        ],
        write=True,
        errors=[409, 422],
        tags=TAG,
    )
    @idempotent
    def post(self, request: Request, slug: str) -> Response:
        access = get_tenant_for_api(request, slug, Perm.CHANGE_MAPPINGS)
        data = valid(MappingCreateSerializer, request.data)
        tenant = access.tenant
        stripe = _connection(tenant, "stripe_connection", data["stripe_connection"], "stripe")
        quickbooks = _connection(
            access.tenant, "quickbooks_connection", data["quickbooks_connection"], "quickbooks"
        )
        try:
            profile = services.profile_create(
                tenant=access.tenant, stripe=stripe, quickbooks=quickbooks
            )
        except services.ProfileError as error:
            raise Conflict(str(error)) from None
        return Response(MappingSerializer(_mapping(access, profile.pk)).data, status=201)


class MappingDetail(APIView):
    @operation(
        summary="Get a mapping",
        responses={200: MappingSerializer},
        examples=[example("mapping", ex.MAPPING)],
        tags=TAG,
    )
    def get(self, request: Request, slug: str, pk: int) -> Response:
        access = get_tenant_for_api(request, slug)
        return Response(MappingSerializer(_mapping(access, pk)).data)

    @operation(
        summary="Change a mapping's schedule and policies",
        request=MappingUpdateSerializer,
        responses={200: MappingSerializer},
        examples=[
            request_example("daily", {"schedule": "daily", "batch_time": "06:30"}),
            example("changed", ex.MAPPING),
        ],
        write=True,
        tags=TAG,
    )
    def patch(self, request: Request, slug: str, pk: int) -> Response:
        access = get_tenant_for_api(request, slug, Perm.CHANGE_MAPPINGS)
        profile = _mapping(access, pk)
        changes = valid(MappingUpdateSerializer, request.data)
        with transaction.atomic():
            services.profile_update(profile=profile, changes=changes)
            if "customer_policy" in changes:
                mapping_services.set_customer_policy(
                    profile=profile, policy=changes["customer_policy"]
                )
        return Response(MappingSerializer(_mapping(access, pk)).data)


class MappingAutosetup(APIView):
    @operation(
        summary="Create the recommended accounts in QuickBooks",
        description="Reuses what QuickBooks already has under the recommended names and "
        "creates the rest (clearing, fees, refunds, chargebacks, reserve, suspense, the Stripe "
        "vendor and item) through the outbox. Safe to run again. 409 when QuickBooks or Stripe "
        "cannot be reached or refuses. " + IDEMPOTENT_POST,
        request=None,
        responses={200: AutosetupSerializer},
        examples=[example("set up", ex.AUTOSETUP)],
        write=True,
        errors=[409, 422],
        tags=TAG,
    )
    @idempotent
    def post(self, request: Request, slug: str, pk: int) -> Response:
        access = get_tenant_for_api(request, slug, Perm.CHANGE_MAPPINGS)
        profile = _mapping(access, pk)
        if profile.quickbooks.syncs_paused or profile.stripe.syncs_paused:
            raise Conflict("Both connections must be connected to set up QuickBooks.")
        try:
            report = setup.profile_autosetup(profile=profile)
        except ProviderError as error:
            raise Conflict(f"QuickBooks could not be set up: {error}") from None
        data = {
            "created": report.created,
            "reused": report.reused,
            "problems": report.problems,
            "mapping": MappingSerializer(_mapping(access, pk)).data,
        }
        return Response(data)


def _refused(error: mapping_services.MappingError) -> Exception:
    return bad(error.field, error.message)


class MappingRefs(APIView):
    @operation(
        summary="Choose a QuickBooks account, vendor, item or guest customer",
        description="Maps one purpose (per currency where it varies) to an existing QuickBooks "
        "object, checked against the company's own lists first (type, currency, active), "
        "exactly like the Mapping page; a refused choice is a 400 naming the field and changes "
        "nothing. 409 when QuickBooks cannot be reached. " + IDEMPOTENT_POST,
        request=RefChoiceSerializer,
        responses={200: MappingSerializer},
        examples=[
            request_example("fees account", {"purpose": "fees", "qbo_id": "57"}),
            request_example(
                "clearing in EUR", {"purpose": "clearing", "currency": "eur", "qbo_id": "93"}
            ),
            request_example("guest customer", {"purpose": "guest_customer", "name": "Web sales"}),
            example("mapping", ex.MAPPING),
        ],
        write=True,
        errors=[409, 422],
        tags=TAG,
    )
    @idempotent
    def post(self, request: Request, slug: str, pk: int) -> Response:
        access = get_tenant_for_api(request, slug, Perm.CHANGE_MAPPINGS)
        profile = _mapping(access, pk)
        data = valid(RefChoiceSerializer, request.data)
        try:
            if data["purpose"] == GUEST_CUSTOMER:
                mapping_services.choose_guest_customer(
                    profile=profile, currency=data["currency"], name=data["name"]
                )
            else:
                mapping_services.choose(
                    profile=profile,
                    purpose=data["purpose"],
                    currency=data["currency"],
                    qbo_id=data["qbo_id"],
                )
        except mapping_services.MappingError as error:
            raise _refused(error) from None
        except ProviderError as error:
            raise Conflict(f"QuickBooks could not be read: {error}") from None
        return Response(MappingSerializer(_mapping(access, pk)).data)


class MappingProducts(APIView):
    @operation(
        summary="Post a Stripe product's sales to its own QuickBooks item",
        description="Replaces an earlier item for the same product; the item is checked "
        "against the company's items first. " + IDEMPOTENT_POST,
        request=ProductChoiceSerializer,
        responses={200: MappingSerializer},
        examples=[
            request_example("product", {"product_id": "prod_NffrFeUfNV2Hib", "qbo_id": "31"}),
            example("mapping", ex.MAPPING),
        ],
        write=True,
        errors=[409, 422],
        tags=TAG,
    )
    @idempotent
    def post(self, request: Request, slug: str, pk: int) -> Response:
        access = get_tenant_for_api(request, slug, Perm.CHANGE_MAPPINGS)
        profile = _mapping(access, pk)
        data = valid(ProductChoiceSerializer, request.data)
        try:
            mapping_services.map_product(profile=profile, **data)
        except mapping_services.MappingError as error:
            raise _refused(error) from None
        except ProviderError as error:
            raise Conflict(f"QuickBooks could not be read: {error}") from None
        return Response(MappingSerializer(_mapping(access, pk)).data)


class MappingProduct(APIView):
    @operation(
        summary="Send a product's sales back to the default item",
        responses={204: None},
        write=True,
        tags=TAG,
    )
    def delete(self, request: Request, slug: str, pk: int, product_id: str) -> Response:
        access = get_tenant_for_api(request, slug, Perm.CHANGE_MAPPINGS)
        profile = _mapping(access, pk)
        if not mapping_services.PRODUCT_ID.match(product_id):
            raise NotFound  # never a product id, so never mapped
        if not mapping_services.unmap_product(profile=profile, product_id=product_id):
            raise NotFound
        return Response(status=204)

"""Outgoing webhook endpoints and their delivery log, through partner_hooks' services.

Managing endpoints needs `change_settings` (owners and admins, read-and-write keys), like the
dashboard's Webhooks page: read keys cannot see them either.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api import examples as ex
from api.access import ApiAccess, get_tenant_for_api
from api.idempotency import idempotent
from api.schema import IDEMPOTENT_POST, example, operation, request_example
from api.serializers import (
    DeliverySerializer,
    IssuedWebhookEndpointSerializer,
    RetrySerializer,
    WebhookEndpointCreateSerializer,
    WebhookEndpointSerializer,
    WebhookEndpointUpdateSerializer,
)
from api.views.base import ScopedList, bad, valid
from partner_hooks import services as hook_services
from partner_hooks.models import Delivery, WebhookEndpoint
from tenants.roles import Perm

TAG = ["webhooks"]
MANAGE = Perm.CHANGE_SETTINGS


def _endpoint(access: ApiAccess, pk: int) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.for_tenant(access.tenant).filter(pk=pk).first()
    if endpoint is None:
        raise NotFound
    return endpoint


class WebhookEndpointList(ScopedList):
    serializer_class = WebhookEndpointSerializer
    queryset = WebhookEndpoint.objects.none()

    def access(self) -> ApiAccess:
        return get_tenant_for_api(self.request, self.kwargs["slug"], MANAGE)

    def scoped(self, access: ApiAccess) -> QuerySet[WebhookEndpoint]:
        return WebhookEndpoint.objects.for_tenant(access.tenant)

    @operation(
        summary="List webhook endpoints",
        description="Where Tieout sends sync.finished, error.raised and tie_out.broken events, "
        "signed with each endpoint's secret (never shown again after creation).",
        responses={200: WebhookEndpointSerializer(many=True)},
        examples=[example("endpoints", ex.WEBHOOK_ENDPOINT)],
        errors=[403],
        tags=TAG,
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @operation(
        summary="Add a webhook endpoint",
        description="The signing secret is in this answer only. " + IDEMPOTENT_POST,
        request=WebhookEndpointCreateSerializer,
        responses={201: IssuedWebhookEndpointSerializer},
        examples=[
            request_example(
                "endpoint",
                {"url": "https://hooks.platform.test/tieout", "event_types": ["sync.finished"]},
            ),
            example("created", ex.ISSUED_WEBHOOK_ENDPOINT, 201),
        ],
        write=True,
        errors=[409, 422],
        tags=TAG,
    )
    @idempotent
    def post(self, request: Request, slug: str) -> Response:
        access = get_tenant_for_api(request, slug, MANAGE)
        data = valid(WebhookEndpointCreateSerializer, request.data)
        try:
            endpoint = hook_services.endpoint_create(tenant=access.tenant, **data)
        except hook_services.EndpointInvalid as error:
            raise bad(getattr(error, "field", "url"), str(error)) from None
        body = {**WebhookEndpointSerializer(endpoint).data, "secret": endpoint.secret}
        return Response(body, status=201)


class WebhookEndpointDetail(APIView):
    @operation(
        summary="Get a webhook endpoint",
        responses={200: WebhookEndpointSerializer},
        examples=[example("endpoint", ex.WEBHOOK_ENDPOINT)],
        errors=[403],
        tags=TAG,
    )
    def get(self, request: Request, slug: str, pk: int) -> Response:
        access = get_tenant_for_api(request, slug, MANAGE)
        return Response(WebhookEndpointSerializer(_endpoint(access, pk)).data)

    @operation(
        summary="Turn a webhook endpoint off or on, or change its events or description",
        description="Fields left out stay as they are. The URL cannot change: add a new "
        "endpoint instead.",
        request=WebhookEndpointUpdateSerializer,
        responses={200: WebhookEndpointSerializer},
        examples=[
            request_example("off", {"active": False}),
            example("changed", {**ex.WEBHOOK_ENDPOINT, "active": False}),
        ],
        write=True,
        tags=TAG,
    )
    def patch(self, request: Request, slug: str, pk: int) -> Response:
        access = get_tenant_for_api(request, slug, MANAGE)
        endpoint = _endpoint(access, pk)
        changes = valid(WebhookEndpointUpdateSerializer, request.data)
        hook_services.endpoint_update(endpoint=endpoint, **changes)
        return Response(WebhookEndpointSerializer(endpoint).data)

    @operation(
        summary="Delete a webhook endpoint",
        description="Nothing more is sent to it; its delivery log goes with it.",
        responses={204: None},
        write=True,
        tags=TAG,
    )
    def delete(self, request: Request, slug: str, pk: int) -> Response:
        access = get_tenant_for_api(request, slug, MANAGE)
        hook_services.endpoint_delete(endpoint=_endpoint(access, pk))
        return Response(status=204)


class DeliveryList(ScopedList):
    serializer_class = DeliverySerializer
    queryset = Delivery.objects.none()

    def access(self) -> ApiAccess:
        return get_tenant_for_api(self.request, self.kwargs["slug"], MANAGE)

    def scoped(self, access: ApiAccess) -> QuerySet[Delivery]:
        endpoint = _endpoint(access, self.kwargs["pk"])
        return hook_services.deliveries_for(tenant=access.tenant, endpoint=endpoint)

    @operation(
        summary="List an endpoint's deliveries",
        description="The delivery log: each event sent to this endpoint, its state, attempts "
        "and your endpoint's last answer.",
        responses={200: DeliverySerializer(many=True)},
        examples=[example("deliveries", ex.DELIVERY)],
        errors=[403],
        tags=TAG,
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class WebhookEndpointTest(APIView):
    @operation(
        summary="Send a test event to an endpoint",
        description="A `ping` event to this endpoint only, sent at once and retried like any "
        "other; follow it in the delivery log. " + IDEMPOTENT_POST,
        request=None,
        responses={201: DeliverySerializer},
        examples=[example("ping", {**ex.DELIVERY, "state": "pending"}, 201)],
        write=True,
        errors=[409, 422],
        tags=TAG,
    )
    @idempotent
    def post(self, request: Request, slug: str, pk: int) -> Response:
        access = get_tenant_for_api(request, slug, MANAGE)
        delivery = hook_services.endpoint_send_test(endpoint=_endpoint(access, pk))
        return Response(DeliverySerializer(delivery).data, status=201)


class DeliveryRetry(APIView):
    @operation(
        summary="Send a failed delivery again now",
        description="For a delivery that failed or was given up (which gets one more attempt). "
        "`retried` is 0 when it was not failing. " + IDEMPOTENT_POST,
        request=None,
        responses={200: RetrySerializer},
        examples=[example("retried", {"retried": 1})],
        write=True,
        errors=[409, 422],
        tags=TAG,
    )
    @idempotent
    def post(self, request: Request, slug: str, pk: int, delivery: int) -> Response:
        access = get_tenant_for_api(request, slug, MANAGE)
        endpoint = _endpoint(access, pk)
        row = Delivery.objects.for_tenant(access.tenant).filter(pk=delivery, endpoint=endpoint)
        found = row.first()
        if found is None:
            raise NotFound
        return Response({"retried": int(hook_services.delivery_retry_now(delivery=found))})

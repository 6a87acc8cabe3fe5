"""The error inbox: what needs a person, grouped by cause, with one retry or ignore per group."""

from __future__ import annotations

from dataclasses import asdict

from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api import examples as ex
from api.access import get_tenant_for_api
from api.idempotency import idempotent
from api.schema import IDEMPOTENT_POST, example, operation, request_example
from api.selectors import ErrorGroup, error_group, error_groups
from api.serializers import (
    ErrorGroupSerializer,
    IgnoredSerializer,
    IgnoreSerializer,
    RetrySerializer,
)
from api.views.base import actor_name, valid
from syncs import services as sync_services
from syncs.models import OutboxDocument
from tenants.models import Tenant
from tenants.roles import Perm

TAG = ["errors"]


class ErrorGroupPage(serializers.Serializer):
    next = serializers.URLField(allow_null=True, help_text="Always null: one page holds all.")
    previous = serializers.URLField(allow_null=True)
    results = ErrorGroupSerializer(many=True)


def _data(group: ErrorGroup) -> dict[str, object]:
    return {**asdict(group), "count": group.count}


def _group(tenant: Tenant, key: str) -> ErrorGroup:
    group = error_group(tenant, key)
    if group is None:
        raise NotFound
    return group


class ErrorGroupList(APIView):
    @operation(
        summary="List open errors, grouped by cause",
        description="Documents QuickBooks refused or that keep failing, grouped so that one "
        "fix and one retry cover them all. Causes are few, so one page holds every group "
        "(`next` is always null).",
        responses={200: ErrorGroupPage},
        examples=[example("errors", ex.page(ex.ERROR_GROUP))],
        tags=TAG,
        operation_id="organisations_errors_list",
    )
    def get(self, request: Request, slug: str) -> Response:
        access = get_tenant_for_api(request, slug)
        groups = [_data(g) for g in error_groups(access.tenant)]
        return Response({"next": None, "previous": None, "results": groups})


class ErrorGroupDetail(APIView):
    @operation(
        summary="Get an error group",
        responses={200: ErrorGroupSerializer},
        examples=[example("group", ex.ERROR_GROUP)],
        tags=TAG,
    )
    def get(self, request: Request, slug: str, key: str) -> Response:
        access = get_tenant_for_api(request, slug)
        return Response(_data(_group(access.tenant, key)))


class ErrorGroupRetry(APIView):
    @operation(
        summary="Retry every document of a group",
        description="Each is planned again under its own number and request id. " + IDEMPOTENT_POST,
        request=None,
        responses={200: RetrySerializer},
        examples=[example("retried", {"retried": 3})],
        write=True,
        errors=[409, 422],
        tags=TAG,
    )
    @idempotent
    def post(self, request: Request, slug: str, key: str) -> Response:
        access = get_tenant_for_api(request, slug, Perm.RESOLVE_ERRORS)
        group = _group(access.tenant, key)
        retried = sync_services.outbox_retry(
            documents=OutboxDocument.objects.for_tenant(access.tenant).filter(
                pk__in=group.documents
            )
        )
        return Response({"retried": retried})


class ErrorGroupIgnore(APIView):
    @operation(
        summary="Ignore every document of a group",
        description="They will not be posted; the reason is kept on each. " + IDEMPOTENT_POST,
        request=IgnoreSerializer,
        responses={200: IgnoredSerializer},
        examples=[
            request_example("ignore", {"reason": "Entered by hand in QuickBooks."}),
            example("ignored", {"ignored": 3}),
        ],
        write=True,
        errors=[409, 422],
        tags=TAG,
    )
    @idempotent
    def post(self, request: Request, slug: str, key: str) -> Response:
        access = get_tenant_for_api(request, slug, Perm.RESOLVE_ERRORS)
        group = _group(access.tenant, key)
        reason = valid(IgnoreSerializer, request.data)["reason"]
        ignored = sync_services.outbox_ignore(
            documents=OutboxDocument.objects.for_tenant(access.tenant).filter(
                pk__in=group.documents
            ),
            reason=reason,
            by=actor_name(request),
        )
        return Response({"ignored": ignored})

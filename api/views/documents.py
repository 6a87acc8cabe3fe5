"""QuickBooks documents (posted, planned, failed) with their Stripe lineage; retry, ignore."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api import examples as ex
from api.access import ApiAccess, get_tenant_for_api
from api.idempotency import idempotent
from api.schema import IDEMPOTENT_POST, example, operation, request_example
from api.serializers import (
    DocumentDetailSerializer,
    DocumentFilterSerializer,
    DocumentSerializer,
    IgnoredSerializer,
    IgnoreSerializer,
    RetrySerializer,
)
from api.views.base import ScopedList, actor_name, object_or_404, query, valid
from syncs import services as sync_services
from syncs.models import OutboxDocument
from tenants.models import Tenant
from tenants.roles import Perm

TAG = ["documents"]


def documents_for(tenant: Tenant) -> QuerySet[OutboxDocument]:
    """The documents page's rows: everything but setup writes (accounts, vendor, item)."""
    return (
        OutboxDocument.objects.for_tenant(tenant)
        .exclude(role="setup")
        .select_related("balance_transaction", "balance_transaction__payout")
    )


def _filtered(rows: QuerySet[OutboxDocument], filters: dict[str, Any]) -> QuerySet[OutboxDocument]:
    if "status" in filters:
        rows = rows.filter(status=filters["status"])
    if "type" in filters:
        rows = rows.filter(entity=filters["type"])
    if "created_after" in filters:
        rows = rows.filter(created__gte=filters["created_after"])
    if "created_before" in filters:
        rows = rows.filter(created__lt=filters["created_before"])
    if "stripe_id" in filters:
        stripe_id = filters["stripe_id"]
        rows = rows.filter(
            Q(balance_transaction__stripe_id=stripe_id)
            | Q(balance_transaction__source_id=stripe_id)
            | Q(balance_transaction__payout__stripe_id=stripe_id)
        )
    return rows


class DocumentList(ScopedList):
    serializer_class = DocumentSerializer
    queryset = OutboxDocument.objects.none()

    def scoped(self, access: ApiAccess) -> QuerySet[OutboxDocument]:
        filters = query(DocumentFilterSerializer, self.request)
        return _filtered(documents_for(access.tenant), filters)

    @operation(
        summary="List documents",
        description="Filter by `status` (posted, planned, failed, needs_action, …), `type` "
        "(the QuickBooks entity), creation time, or any Stripe id in the lineage.",
        parameters=[DocumentFilterSerializer],
        responses={200: DocumentSerializer(many=True)},
        examples=[example("documents", ex.DOCUMENT)],
        errors=[400],
        tags=TAG,
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class DocumentDetail(APIView):
    @operation(
        summary="Get a document with its lineage",
        responses={200: DocumentDetailSerializer},
        examples=[example("document", ex.DOCUMENT_DETAIL)],
        tags=TAG,
    )
    def get(self, request: Request, slug: str, pk: int) -> Response:
        access = get_tenant_for_api(request, slug)
        row = object_or_404(documents_for(access.tenant), pk)
        return Response(DocumentDetailSerializer(row).data)


class DocumentRetry(APIView):
    @operation(
        summary="Post a document again",
        description="For a document that needs action, is failing, or was ignored: it is "
        "planned again under its own number and request id. `retried` is 0 when it was not "
        "waiting for a decision. " + IDEMPOTENT_POST,
        request=None,
        responses={200: RetrySerializer},
        examples=[example("retried", {"retried": 1})],
        write=True,
        errors=[409, 422],
        tags=TAG,
    )
    @idempotent
    def post(self, request: Request, slug: str, pk: int) -> Response:
        access = get_tenant_for_api(request, slug, Perm.RESOLVE_ERRORS)
        row = object_or_404(documents_for(access.tenant), pk)
        retried = sync_services.outbox_retry(
            documents=OutboxDocument.objects.filter(pk=row.pk), include_ignored=True
        )
        return Response({"retried": retried})


class DocumentIgnore(APIView):
    @operation(
        summary="Ignore a document",
        description="It will not be posted; the reason is kept. `ignored` is 0 when it was not "
        "waiting for a decision. " + IDEMPOTENT_POST,
        request=IgnoreSerializer,
        responses={200: IgnoredSerializer},
        examples=[
            request_example("ignore", {"reason": "Entered by hand in QuickBooks."}),
            example("ignored", {"ignored": 1}),
        ],
        write=True,
        errors=[409, 422],
        tags=TAG,
    )
    @idempotent
    def post(self, request: Request, slug: str, pk: int) -> Response:
        access = get_tenant_for_api(request, slug, Perm.RESOLVE_ERRORS)
        row = object_or_404(documents_for(access.tenant), pk)
        reason = valid(IgnoreSerializer, request.data)["reason"]
        ignored = sync_services.outbox_ignore(
            documents=OutboxDocument.objects.filter(pk=row.pk),
            reason=reason,
            by=actor_name(request),
        )
        return Response({"ignored": ignored})

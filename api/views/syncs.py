"""Sync runs: start a backfill or a "sync now", list runs, a run with its progress."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, time
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api import examples as ex
from api.access import ApiAccess, api_key_of, get_tenant_for_api
from api.errors import Conflict
from api.idempotency import idempotent
from api.schema import IDEMPOTENT_POST, example, operation, request_example
from api.serializers import SyncRunCreateSerializer, SyncRunSerializer
from api.views.base import ScopedList, bad, object_or_404, query, valid
from connections.models import Connection, Provider
from syncs import services as sync_services
from syncs.models import SyncRun
from tenants.models import Tenant
from tenants.roles import Perm

TAG = ["syncs"]


class SyncRunFilter(serializers.Serializer):
    status = serializers.ChoiceField(choices=SyncRun.Status.choices, required=False)
    kind = serializers.ChoiceField(choices=SyncRun.Kind.choices, required=False)
    connection = serializers.IntegerField(min_value=1, required=False)


def _start_of(day: date, zone: str) -> datetime:
    # Backfill ranges are whole days in the organisation's time zone, as on the Syncs page.
    return datetime.combine(day, time.min, tzinfo=zoneinfo.ZoneInfo(zone))


def _stripe_connection(tenant: Tenant, pk: int | None) -> Connection:
    rows = Connection.objects.for_tenant(tenant).filter(
        provider=Provider.STRIPE, status=Connection.Status.CONNECTED
    )
    if pk is not None:
        connection = rows.filter(pk=pk).first()
        if connection is None:
            raise bad("connection", "No connected Stripe account with this id.")
        return connection
    found = list(rows[:2])
    if len(found) != 1:
        raise bad(
            "connection",
            "Say which Stripe account to sync."
            if found
            else "Connect a Stripe account before syncing.",
        )
    return found[0]


class SyncRunList(ScopedList):
    serializer_class = SyncRunSerializer
    queryset = SyncRun.objects.none()

    def scoped(self, access: ApiAccess) -> QuerySet[SyncRun]:
        filters = query(SyncRunFilter, self.request)
        if "connection" in filters:
            filters["connection_id"] = filters.pop("connection")
        return SyncRun.objects.for_tenant(access.tenant).filter(**filters)

    @operation(
        summary="List sync runs",
        parameters=[SyncRunFilter],
        responses={200: SyncRunSerializer(many=True)},
        examples=[example("runs", ex.SYNC_RUN)],
        errors=[400],
        tags=TAG,
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @operation(
        summary="Start a backfill or a sync now",
        description="A backfill reads Stripe from `start` to `end` (whole days in the "
        "organisation's time zone); `manual` re-reads the last three days. Both then plan, post "
        "and tie out. Poll the run for progress. " + IDEMPOTENT_POST,
        request=SyncRunCreateSerializer,
        responses={202: SyncRunSerializer},
        examples=[
            request_example(
                "backfill", {"kind": "backfill", "start": "2026-10-01", "end": "2026-11-05"}
            ),
            request_example("sync now", {"kind": "manual"}),
            example("queued", {**ex.SYNC_RUN, "status": "queued", "started_at": None}, 202),
        ],
        write=True,
        errors=[409, 422],
        tags=TAG,
    )
    @idempotent
    def post(self, request: Request, slug: str) -> Response:
        access = get_tenant_for_api(request, slug, Perm.RUN_SYNCS)
        data = valid(SyncRunCreateSerializer, request.data)
        connection = _stripe_connection(access.tenant, data.get("connection"))
        trigger = SyncRun.Trigger.API if api_key_of(request) else SyncRun.Trigger.USER
        if data["kind"] == SyncRun.Kind.BACKFILL:
            zone = access.tenant.time_zone
            start, end = _start_of(data["start"], zone), _start_of(data["end"], zone)
        else:
            start, end = timezone.now() - sync_services.SAFETY_NET_LOOKBACK, None
        try:
            run = sync_services.sync_run_request(
                connection=connection,
                kind=SyncRun.Kind(data["kind"]),
                trigger=trigger,
                start=start,
                end=end,
            )
        except sync_services.SyncRequestError as error:
            raise Conflict(str(error)) from None
        return Response(SyncRunSerializer(run).data, status=202)


class SyncRunDetail(APIView):
    @operation(
        summary="Get a sync run with its progress",
        responses={200: SyncRunSerializer},
        examples=[example("run", ex.SYNC_RUN)],
        tags=TAG,
    )
    def get(self, request: Request, slug: str, pk: int) -> Response:
        access = get_tenant_for_api(request, slug)
        run = object_or_404(SyncRun.objects.for_tenant(access.tenant), pk)
        return Response(SyncRunSerializer(run).data)

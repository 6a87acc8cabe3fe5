"""Tie-out: each clearing account (per currency) and each payout, Stripe against QuickBooks."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework.request import Request
from rest_framework.response import Response

from api import examples as ex
from api.access import ApiAccess
from api.schema import example, operation
from api.serializers import TieOutFilterSerializer, TieOutSerializer
from api.views.base import ScopedList, query
from syncs.models import Reconciliation


class TieOutList(ScopedList):
    serializer_class = TieOutSerializer
    queryset = Reconciliation.objects.none()

    def scoped(self, access: ApiAccess) -> QuerySet[Reconciliation]:
        filters = query(TieOutFilterSerializer, self.request)
        rows = Reconciliation.objects.for_tenant(access.tenant)
        if filters.get("kind"):
            rows = rows.filter(kind=filters["kind"])
        if filters.get("ok") is not None:
            rows = rows.filter(ok=filters["ok"])
        return rows

    @operation(
        summary="List tie-outs (clearing accounts and payouts)",
        description="The latest check of each clearing account (`kind=clearing`, subject = "
        "currency) and each paid payout (`kind=payout`, subject = payout id); `ok=false` lists "
        "what is off, each with its explanation.",
        parameters=[TieOutFilterSerializer],
        responses={200: TieOutSerializer(many=True)},
        examples=[example("tie-out", ex.TIE_OUT)],
        errors=[400],
        tags=["tie-out"],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, time

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseStopPolling

from connections.models import Connection, Provider
from syncs import services
from syncs.forms import BackfillForm, connected_choices
from syncs.models import SyncRun
from tenants.access import TenantAccess, get_tenant_for_user
from tenants.http import AuthenticatedHttpRequest
from tenants.roles import Perm


def _render_list(
    request: AuthenticatedHttpRequest, access: TenantAccess, form: BackfillForm, status: int = 200
) -> HttpResponse:
    runs = (
        SyncRun.objects.for_tenant(access.tenant).select_related("connection").order_by("-created")
    )
    page = Paginator(runs, 25).get_page(request.GET.get("page"))
    context = {
        "tenant": access.tenant,
        "access": access,
        "page": page,
        "form": form,
        "can_run": access.can(Perm.RUN_SYNCS),
    }
    return render(request, "syncs/run_list.html", context, status=status)


@require_GET
@login_required
def run_list(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    access = get_tenant_for_user(request, slug)
    return _render_list(
        request, access, BackfillForm(connections=connected_choices(access.tenant, Provider.STRIPE))
    )


def _start_of(day: date, zone: str) -> datetime:
    # Backfill ranges are whole days in the organisation's time zone.
    return datetime.combine(day, time.min, tzinfo=zoneinfo.ZoneInfo(zone))


@require_POST
@login_required
def run_start(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    access = get_tenant_for_user(request, slug, Perm.RUN_SYNCS)
    form = BackfillForm(request.POST, connections=connected_choices(access.tenant, Provider.STRIPE))
    if not form.is_valid():
        return _render_list(request, access, form, status=400)
    connection = Connection.objects.for_tenant(access.tenant).get(
        pk=form.cleaned_data["connection"]
    )
    try:
        run = services.sync_run_request(
            connection=connection,
            kind=SyncRun.Kind.BACKFILL,
            trigger=SyncRun.Trigger.USER,
            start=_start_of(form.cleaned_data["start"], access.tenant.time_zone),
            end=_start_of(form.cleaned_data["end"], access.tenant.time_zone),
        )
    except services.SyncRequestError as error:
        form.add_error(None, str(error))
        return _render_list(request, access, form, status=400)
    messages.success(request, "Backfill started. You can leave this page; it keeps running.")
    return redirect("syncs:run_detail", slug=slug, pk=run.pk)


@require_GET
@login_required
def run_detail(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    access = get_tenant_for_user(request, slug)
    run = (
        SyncRun.objects.for_tenant(access.tenant).select_related("connection").filter(pk=pk).first()
    )
    if run is None:
        raise Http404
    context = {"tenant": access.tenant, "access": access, "run": run}
    if request.htmx:
        response = render(request, "syncs/run_detail.html#progress", context)
        if run.status in (SyncRun.Status.SUCCEEDED, SyncRun.Status.FAILED):
            # Finished: swap in the final state and tell htmx to stop polling.
            response.status_code = HttpResponseStopPolling.status_code
        return response
    return render(request, "syncs/run_detail.html", context)

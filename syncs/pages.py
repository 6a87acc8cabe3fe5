"""Pages for posting: setup (mappings), documents with lineage, the error inbox and tie-out."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from connections.models import Provider
from connections.providers.errors import ProviderError
from mappings.models import QboRef, SyncProfile
from syncs import services, setup
from syncs.forms import IgnoreForm, ProfileForm, ScheduleForm, connected_choices
from syncs.models import OutboxDocument, Reconciliation
from tenants.access import TenantAccess, get_tenant_for_user
from tenants.http import AuthenticatedHttpRequest
from tenants.models import Tenant
from tenants.roles import Perm


def _setup_page(
    request: AuthenticatedHttpRequest, access: TenantAccess, form: ProfileForm, status: int = 200
) -> HttpResponse:
    profiles = SyncProfile.objects.for_tenant(access.tenant).select_related("stripe", "quickbooks")
    context = {
        "tenant": access.tenant,
        "access": access,
        "profiles": [
            (p, QboRef.objects.filter(profile=p).order_by("purpose", "currency"), _schedule_form(p))
            for p in profiles
        ],
        "form": form,
        "can_change": access.can(Perm.CHANGE_MAPPINGS),
    }
    return render(request, "syncs/setup.html", context, status=status)


def _profile_form(tenant: Tenant, data: object = None) -> ProfileForm:
    linked = SyncProfile.objects.for_tenant(tenant).values_list("stripe_id", flat=True)
    stripe = [
        (pk, name) for pk, name in connected_choices(tenant, Provider.STRIPE) if pk not in linked
    ]
    return ProfileForm(
        data, stripe=stripe, quickbooks=connected_choices(tenant, Provider.QUICKBOOKS)
    )  # type: ignore[arg-type]


@require_GET
@login_required
def setup_page(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    access = get_tenant_for_user(request, slug)
    return _setup_page(request, access, _profile_form(access.tenant))


@require_POST
@login_required
def profile_create(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    access = get_tenant_for_user(request, slug, Perm.CHANGE_MAPPINGS)
    form = _profile_form(access.tenant, request.POST)
    if not form.is_valid():
        return _setup_page(request, access, form, status=400)
    try:
        SyncProfile.objects.create(
            tenant=access.tenant,
            stripe_id=form.cleaned_data["stripe"],
            quickbooks_id=form.cleaned_data["quickbooks"],
        )
    except IntegrityError:
        form.add_error("stripe", "This Stripe account already posts into a company.")
        return _setup_page(request, access, form, status=400)
    messages.success(request, "Linked. Now create the accounts Tieout posts to.")
    return redirect("syncs:setup", slug=slug)


def _profile(access: TenantAccess, pk: int) -> SyncProfile:
    profile = (
        SyncProfile.objects.for_tenant(access.tenant)
        .select_related("quickbooks", "stripe")
        .filter(pk=pk)
        .first()
    )
    if profile is None:
        raise Http404
    return profile


def _schedule_form(profile: SyncProfile, data: Any = None) -> ScheduleForm:
    initial = {
        "schedule": profile.schedule,
        "scan_every_minutes": profile.scan_every_minutes,
        "batch_time": profile.batch_time,
        "batch_weekday": profile.batch_weekday,
        "closed_period": profile.closed_period,
    }
    return ScheduleForm(data, initial=initial, prefix=f"p{profile.pk}")


@require_POST
@login_required
def profile_schedule(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    access = get_tenant_for_user(request, slug, Perm.CHANGE_MAPPINGS)
    profile = _profile(access, pk)
    form = _schedule_form(profile, request.POST)
    if not form.is_valid():
        errors = "; ".join(
            f"{form.fields[f].label}: {' '.join(e)}"
            for f, e in form.errors.items()
            if f in form.fields
        )
        messages.error(request, errors or "Check the schedule.")
        return redirect("syncs:setup", slug=slug)
    data = form.cleaned_data
    SyncProfile.objects.filter(pk=profile.pk).update(
        schedule=data["schedule"],
        scan_every_minutes=data["scan_every_minutes"],
        batch_time=data["batch_time"] or profile.batch_time,
        batch_weekday=data["batch_weekday"],
        closed_period=data["closed_period"],
    )
    messages.success(request, "Schedule saved.")
    return redirect("syncs:setup", slug=slug)


@require_POST
@login_required
def profile_autosetup(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    access = get_tenant_for_user(request, slug, Perm.CHANGE_MAPPINGS)
    profile = _profile(access, pk)
    try:
        report = setup.profile_autosetup(profile=profile)
    except ProviderError as error:
        messages.error(request, f"QuickBooks could not be set up: {error}")
        return redirect("syncs:setup", slug=slug)
    created = ", ".join(report.created) or "nothing new"
    reused = ", ".join(report.reused) or "none"
    messages.success(
        request, f"Created in QuickBooks: {created}. Already there and reused: {reused}."
    )
    for problem in report.problems:
        messages.warning(request, problem)
    return redirect("syncs:setup", slug=slug)


@require_GET
@login_required
def documents(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    access = get_tenant_for_user(request, slug)
    status = request.GET.get("status", "")
    rows = (
        OutboxDocument.objects.for_tenant(access.tenant)
        .exclude(role="setup")
        .select_related("balance_transaction", "balance_transaction__payout", "quickbooks")
        .order_by("-created", "-pk")
    )
    if status in OutboxDocument.Status.values:
        rows = rows.filter(status=status)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    context = {
        "tenant": access.tenant,
        "access": access,
        "page": page,
        "status": status,
        "statuses": OutboxDocument.Status.choices,
        "can_resolve": access.can(Perm.RESOLVE_ERRORS),
        "ignore_form": IgnoreForm(),
    }
    template = "syncs/documents.html#document-rows" if request.htmx else "syncs/documents.html"
    return render(request, template, context)


def _document(access: TenantAccess, pk: int) -> OutboxDocument:
    row = OutboxDocument.objects.for_tenant(access.tenant).filter(pk=pk).first()
    if row is None:
        raise Http404
    return row


def _qbo_link(row: OutboxDocument) -> str:
    """QuickBooks' own page for the document (sandbox host for sandbox companies)."""
    if not row.qbo_id:
        return ""
    host = "app.qbo.intuit.com" if row.quickbooks.livemode else "app.sandbox.qbo.intuit.com"
    page = {
        "SalesReceipt": "salesreceipt",
        "RefundReceipt": "refundreceipt",
        "Purchase": "expense",
        "Deposit": "deposit",
        "Transfer": "transfer",
        "JournalEntry": "journal",
    }.get(row.entity)
    return f"https://{host}/app/{page}?txnId={row.qbo_id}" if page else ""


def _stripe_link(stripe_id: str, livemode: bool) -> str:
    prefix = "" if livemode else "test/"
    paths = {
        "txn_": "balance/",
        "ch_": "payments/",
        "py_": "payments/",
        "po_": "payouts/",
        "dp_": "disputes/",
        "du_": "disputes/",
        "re_": "refunds/",
    }
    for start, path in paths.items():
        if stripe_id.startswith(start):
            return f"https://dashboard.stripe.com/{prefix}{path}{stripe_id}"
    return ""


@require_GET
@login_required
def document_detail(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    access = get_tenant_for_user(request, slug)
    row = (
        OutboxDocument.objects.for_tenant(access.tenant)
        .select_related("quickbooks", "balance_transaction", "balance_transaction__payout")
        .filter(pk=pk)
        .first()
    )
    if row is None:
        raise Http404
    txn = row.balance_transaction
    livemode = bool(txn and txn.connection.livemode)
    chain = []
    if txn:
        chain.append(
            ("Stripe balance transaction", txn.stripe_id, _stripe_link(txn.stripe_id, livemode))
        )
        if txn.source_id:
            chain.append(
                (
                    f"Stripe {txn.source_type or 'source'}",
                    txn.source_id,
                    _stripe_link(txn.source_id, livemode),
                )
            )
        if txn.payout:
            chain.append(
                (
                    "Stripe payout",
                    txn.payout.stripe_id,
                    _stripe_link(txn.payout.stripe_id, livemode),
                )
            )
    context = {
        "tenant": access.tenant,
        "access": access,
        "doc": row,
        "qbo_link": _qbo_link(row),
        "chain": chain,
        "body": row.body,
        "siblings": OutboxDocument.objects.for_tenant(access.tenant)
        .filter(balance_transaction=txn)
        .exclude(pk=row.pk)
        if txn
        else [],
    }
    return render(request, "syncs/document_detail.html", context)


@require_POST
@login_required
def document_retry(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    access = get_tenant_for_user(request, slug, Perm.RESOLVE_ERRORS)
    row = _document(access, pk)
    retried = services.outbox_retry(
        documents=OutboxDocument.objects.filter(pk=row.pk), include_ignored=True
    )
    if retried:
        messages.success(
            request,
            f"{row.entity} {row.doc_number} will be posted again (same number, same request id).",
        )
    else:
        messages.info(request, "That document is not waiting for a decision.")
    return redirect("syncs:documents", slug=slug)


@require_POST
@login_required
def document_ignore(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    access = get_tenant_for_user(request, slug, Perm.RESOLVE_ERRORS)
    row = _document(access, pk)
    form = IgnoreForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why you ignore it: the next accountant will ask.")
        return redirect("syncs:documents", slug=slug)
    OutboxDocument.objects.filter(
        pk=row.pk, status__in=[OutboxDocument.Status.NEEDS_ACTION, OutboxDocument.Status.FAILED]
    ).update(
        status=OutboxDocument.Status.IGNORED,
        last_error=f"Ignored by {request.user.email}: {form.cleaned_data['reason']}",
    )
    messages.success(request, f"{row.entity} {row.doc_number} is ignored; it will not be posted.")
    return redirect("syncs:documents", slug=slug)


@require_GET
@login_required
def tie_out(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    access = get_tenant_for_user(request, slug)
    rows = Reconciliation.objects.for_tenant(access.tenant).select_related("stripe")
    context = {
        "tenant": access.tenant,
        "access": access,
        "clearing": rows.filter(kind=Reconciliation.Kind.CLEARING).order_by("currency"),
        "payouts": rows.filter(kind=Reconciliation.Kind.PAYOUT).order_by("ok", "-checked_at"),
    }
    return render(request, "syncs/tie_out.html", context)


_VOLATILE = [
    (re.compile(r"\b[A-Z]{1,3}-[A-Z0-9]{6,}\b"), "…"),  # our DocNumbers
    (re.compile(r"\b(?:txn|ch|py|re|dp|po|tu)_[A-Za-z0-9]+\b"), "…"),  # Stripe ids
    (re.compile(r"\(id \d+\)|\bid \d+\b"), ""),
    (re.compile(r"-?\d+\.\d{2}\b"), "…"),  # amounts
]


def cause_of(message: str) -> str:
    """The message with its per-document details removed, so that alike errors group."""
    for pattern, replacement in _VOLATILE:
        message = pattern.sub(replacement, message)
    return re.sub(r"\s+", " ", message).strip()


def _cause_key(cause: str) -> str:
    return hashlib.sha256(cause.encode()).hexdigest()[:16]


def _open_problems(tenant: Tenant) -> Any:
    return OutboxDocument.objects.for_tenant(tenant).filter(status__in=services.AWAITING_DECISION)


def _groups(tenant: Tenant) -> list[dict[str, Any]]:
    groups: dict[str, dict[str, Any]] = {}
    for row in _open_problems(tenant).order_by("created"):
        cause = cause_of(row.last_error or "No reason recorded.")
        group = groups.setdefault(
            cause, {"cause": cause, "key": _cause_key(cause), "documents": [], "status": row.status}
        )
        group["documents"].append(row)
    return sorted(groups.values(), key=lambda g: -len(g["documents"]))


@require_GET
@login_required
def error_inbox(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    access = get_tenant_for_user(request, slug)
    context = {
        "tenant": access.tenant,
        "access": access,
        "groups": _groups(access.tenant),
        "can_resolve": access.can(Perm.RESOLVE_ERRORS),
    }
    return render(request, "syncs/errors.html", context)


@require_POST
@login_required
def error_group_retry(request: AuthenticatedHttpRequest, slug: str, key: str) -> HttpResponse:
    access = get_tenant_for_user(request, slug, Perm.RESOLVE_ERRORS)
    group = next((g for g in _groups(access.tenant) if g["key"] == key), None)
    if group is None:
        raise Http404
    retried = services.outbox_retry(
        documents=OutboxDocument.objects.for_tenant(access.tenant).filter(
            pk__in=[row.pk for row in group["documents"]]
        )
    )
    messages.success(request, f"{retried} documents will be posted again, under their own numbers.")
    return redirect("syncs:errors", slug=slug)

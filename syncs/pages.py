"""Pages for posting: setup (mappings), documents with lineage, the error inbox and tie-out."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from connections.models import Connection, Provider
from connections.providers.errors import ProviderError
from mappings import catalog, fixes
from mappings import services as mapping_services
from mappings.defaults import (
    ACCOUNT_RULES,
    HOME_CURRENCY_PURPOSES,
    PER_CURRENCY_PURPOSES,
    PURPOSE_LABELS,
    RECOMMENDED_ACCOUNTS,
    SALES_ITEM_TYPES,
)
from mappings.models import ProductItem, QboRef, SyncProfile
from mappings.selectors import GUEST_CUSTOMER, SALES_ITEM, VENDOR
from syncs import services, setup
from syncs.forms import (
    CUSTOMER_POLICY_HELP,
    ChooseRefForm,
    CustomerPolicyForm,
    GuestCustomerForm,
    IgnoreForm,
    ProductItemForm,
    ProductRemoveForm,
    ProfileForm,
    ScheduleForm,
    connected_choices,
)
from syncs.models import BalanceTransaction, OutboxDocument, Reconciliation
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
        "policy_titles": {k: title for k, (title, _) in CUSTOMER_POLICY_HELP.items()},
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
    catalog.forget(profile.quickbooks)  # the pickers' lists now lack what was created
    messages.success(
        request, f"Created in QuickBooks: {created}. Already there and reused: {reused}."
    )
    for problem in report.problems:
        messages.warning(request, problem)
    return redirect("syncs:setup", slug=slug)


# ---- The mapping page: existing QuickBooks accounts, vendor and items; products; customers ----


@dataclass
class Picker:
    """One row of the mapping page: a purpose (and currency), its choice and its options."""

    anchor: str  # the row's id: the error inbox links here
    purpose: str
    currency: str
    label: str
    needs: str  # what the purpose accepts, and why, in words
    current: QboRef | None
    choices: list[tuple[str, str]] | None  # None: the list could not be read
    error: str = ""


def _anchor(purpose: str, currency: str) -> str:
    return f"{purpose}-{currency}" if currency else purpose


def _currencies(profile: SyncProfile) -> list[str]:
    """Home, plus (with multicurrency on) every currency mapped or seen in the ledger."""
    home = (profile.quickbooks.home_currency or "usd").lower()
    if not profile.quickbooks.multicurrency_enabled:
        return [home]
    seen = {home}
    seen |= set(
        QboRef.objects.filter(profile=profile, purpose__in=PER_CURRENCY_PURPOSES)
        .exclude(currency="")
        .values_list("currency", flat=True)
    )
    seen |= set(
        BalanceTransaction.objects.filter(connection=profile.stripe)
        .values_list("currency", flat=True)
        .distinct()
    )
    return sorted(seen)


@dataclass
class Lists:
    accounts: list[catalog.QboAccount]
    vendors: list[catalog.QboVendor]
    items: list[catalog.QboItem]


def _lists(profile: SyncProfile, can_change: bool) -> tuple[Lists | None, str]:
    """The company's lists for the pickers (cached), or why there are none. Viewers get none:
    they see the choices read-only, and QuickBooks reads are metered."""
    if not can_change:
        return None, ""
    company = profile.quickbooks
    if company.status != Connection.Status.CONNECTED:
        return None, (
            f"{company.display_name or 'The QuickBooks company'} is not connected, so its "
            "accounts cannot be listed. Reconnect it on the Connections page first."
        )
    try:
        return Lists(
            catalog.qbo_accounts(company), catalog.qbo_vendors(company), catalog.qbo_items(company)
        ), ""
    except ProviderError as error:
        return None, (
            f"QuickBooks could not be read just now ({error}). The current choices are shown; "
            "try again in a minute."
        )


def _pickers(profile: SyncProfile, lists: Lists | None, errors: dict[str, str]) -> list[Picker]:
    home = (profile.quickbooks.home_currency or "usd").lower()
    multicurrency = bool(profile.quickbooks.multicurrency_enabled)
    currencies = _currencies(profile)
    refs = {(r.purpose, r.currency): r for r in QboRef.objects.filter(profile=profile)}

    def held(currency: str) -> str:
        return f" in {currency.upper()}" if multicurrency and currency else ""

    rows: list[Picker] = []
    for spec in RECOMMENDED_ACCOUNTS:
        rule = ACCOUNT_RULES[spec.purpose]
        for currency in currencies if spec.purpose in PER_CURRENCY_PURPOSES else [""]:
            wanted = currency or (home if spec.purpose in HOME_CURRENCY_PURPOSES else "")
            choices = None
            if lists is not None:
                choices = [
                    (a.id, a.name + (f" ({a.currency.upper()})" if multicurrency else ""))
                    for a in lists.accounts
                    if a.account_type in rule.types
                    and (not wanted or (a.currency or home) == wanted)
                ]
            anchor = _anchor(spec.purpose, currency)
            label = PURPOSE_LABELS[spec.purpose]
            rows.append(
                Picker(
                    anchor=anchor,
                    purpose=spec.purpose,
                    currency=currency,
                    label=label[0].upper()
                    + label[1:]
                    + (f" – {currency.upper()}" if currency else ""),
                    needs=f"{' or '.join(rule.types)} account{held(wanted)}: {rule.why}.",
                    current=refs.get((spec.purpose, currency)),
                    choices=choices,
                    error=errors.get(anchor, ""),
                )
            )
    for currency in ["", *(c for c in currencies if c != home)]:
        anchor = _anchor(VENDOR, currency)
        rows.append(
            Picker(
                anchor=anchor,
                purpose=VENDOR,
                currency=currency,
                label="Vendor on Stripe's fees" + (f" – {currency.upper()}" if currency else ""),
                needs=f"A vendor{held(currency or home)}: the payee of fee and dispute expenses.",
                current=refs.get((VENDOR, currency)),
                choices=None
                if lists is None
                else [
                    (v.id, v.name)
                    for v in lists.vendors
                    if (v.currency or home) == (currency or home)
                ],
                error=errors.get(anchor, ""),
            )
        )
    rows.append(
        Picker(
            anchor=SALES_ITEM,
            purpose=SALES_ITEM,
            currency="",
            label="Item for sales without a product of their own",
            needs="A Service or Non-inventory item; its income account is where sales land.",
            current=refs.get((SALES_ITEM, "")),
            choices=None
            if lists is None
            else [(i.id, i.name) for i in lists.items if i.type in SALES_ITEM_TYPES],
            error=errors.get(SALES_ITEM, ""),
        )
    )
    return rows


def _guest_rows(profile: SyncProfile, errors: dict[str, str]) -> list[Picker]:
    home = (profile.quickbooks.home_currency or "usd").lower()
    refs = {r.currency: r for r in QboRef.objects.filter(profile=profile, purpose=GUEST_CUSTOMER)}
    rows = []
    for currency in ["", *(c for c in _currencies(profile) if c != home)]:
        anchor = _anchor(GUEST_CUSTOMER, currency)
        rows.append(
            Picker(
                anchor=anchor,
                purpose=GUEST_CUSTOMER,
                currency=currency,
                label="Guest customer" + (f" – {currency.upper()}" if currency else ""),
                needs="The customer of sales without a Stripe customer"
                + (f", billed in {currency.upper()}." if currency else "."),
                current=refs.get(currency),
                choices=None,
                error=errors.get(anchor, ""),
            )
        )
    return rows


def _mapping_page(
    request: AuthenticatedHttpRequest,
    access: TenantAccess,
    profile: SyncProfile,
    *,
    errors: dict[str, str] | None = None,
    product_form: ProductItemForm | None = None,
    policy_form: CustomerPolicyForm | None = None,
    status: int = 200,
) -> HttpResponse:
    can_change = access.can(Perm.CHANGE_MAPPINGS)
    lists, problem = _lists(profile, can_change)
    errors = errors or {}
    pickers = _pickers(profile, lists, errors)
    guests = _guest_rows(profile, errors)
    placed = {p.anchor for p in pickers} | {g.anchor for g in guests}
    items = (
        [] if lists is None else [(i.id, i.name) for i in lists.items if i.type in SALES_ITEM_TYPES]
    )
    context = {
        "tenant": access.tenant,
        "access": access,
        "profile": profile,
        "can_change": can_change,
        "problem": problem,
        "pickers": pickers,
        "guests": guests,
        "other_errors": [message for anchor, message in errors.items() if anchor not in placed],
        "products": catalog.stripe_products(profile.stripe) if can_change else None,
        "product_items": ProductItem.objects.filter(profile=profile).order_by("stripe_product"),
        "items": items,
        "product_form": product_form or ProductItemForm(),
        "policy_form": policy_form
        or CustomerPolicyForm(initial={"customer_policy": profile.customer_policy}),
        "policy_help": CUSTOMER_POLICY_HELP,
        "policy_title": CUSTOMER_POLICY_HELP.get(profile.customer_policy, ("", ""))[0],
    }
    return render(request, "syncs/mappings.html", context, status=status)


@require_GET
@login_required
def mapping_page(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    access = get_tenant_for_user(request, slug)
    return _mapping_page(request, access, _profile(access, pk))


def _unreachable(request: AuthenticatedHttpRequest, error: ProviderError) -> None:
    messages.error(
        request,
        f"QuickBooks could not be read just now ({error}), so the choice could not be checked. "
        "Nothing was changed; try again in a minute.",
    )


@require_POST
@login_required
def mapping_choose(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    access = get_tenant_for_user(request, slug, Perm.CHANGE_MAPPINGS)
    profile = _profile(access, pk)
    form = ChooseRefForm(request.POST)
    anchor = _anchor(
        str(request.POST.get("purpose", "")), str(request.POST.get("currency", "")).lower()
    )
    if not form.is_valid():
        return _mapping_page(
            request, access, profile, errors={anchor: "Choose one from the list."}, status=400
        )
    data = form.cleaned_data
    try:
        ref = mapping_services.choose(
            profile=profile,
            purpose=data["purpose"],
            currency=data["currency"],
            qbo_id=data["qbo_id"],
        )
    except mapping_services.MappingError as error:
        return _mapping_page(request, access, profile, errors={anchor: error.message}, status=400)
    except ProviderError as error:
        _unreachable(request, error)
    else:
        messages.success(request, f"Saved: {ref.qbo_name}.")
    return redirect(reverse("syncs:mappings", args=[slug, profile.pk]) + f"#{_ref_anchor(data)}")


def _ref_anchor(data: dict[str, Any]) -> str:
    return _anchor(str(data.get("purpose", "")), str(data.get("currency", "")).lower())


@require_POST
@login_required
def mapping_guest(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    access = get_tenant_for_user(request, slug, Perm.CHANGE_MAPPINGS)
    profile = _profile(access, pk)
    form = GuestCustomerForm(request.POST)
    currency = str(request.POST.get("currency", "")).lower()
    anchor = _anchor(GUEST_CUSTOMER, currency)
    if not form.is_valid():
        message = "Type the customer's display name as QuickBooks shows it."
        return _mapping_page(request, access, profile, errors={anchor: message}, status=400)
    try:
        ref = mapping_services.choose_guest_customer(
            profile=profile, currency=currency, name=form.cleaned_data["name"]
        )
    except mapping_services.MappingError as error:
        return _mapping_page(request, access, profile, errors={anchor: error.message}, status=400)
    except ProviderError as error:
        _unreachable(request, error)
    else:
        messages.success(request, f"Saved: sales without a customer go to “{ref.qbo_name}”.")
    return redirect(reverse("syncs:mappings", args=[slug, profile.pk]) + f"#{anchor}")


@require_POST
@login_required
def mapping_product(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    access = get_tenant_for_user(request, slug, Perm.CHANGE_MAPPINGS)
    profile = _profile(access, pk)
    form = ProductItemForm(request.POST)
    if not form.is_valid():
        return _mapping_page(request, access, profile, product_form=form, status=400)
    product_id = form.cleaned_data["product_id"].strip()
    name = dict(catalog.stripe_products(profile.stripe).choices).get(product_id, "")
    try:
        row = mapping_services.map_product(
            profile=profile,
            product_id=product_id,
            qbo_id=form.cleaned_data["qbo_id"],
            product_name=name,
        )
    except mapping_services.MappingError as error:
        form.add_error(error.field if error.field in form.fields else "qbo_id", error.message)
        return _mapping_page(request, access, profile, product_form=form, status=400)
    except ProviderError as error:
        _unreachable(request, error)
    else:
        messages.success(
            request, f"Sales of {name or product_id} now post to the item “{row.qbo_name}”."
        )
    return redirect(reverse("syncs:mappings", args=[slug, profile.pk]) + "#products")


@require_POST
@login_required
def mapping_product_remove(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    access = get_tenant_for_user(request, slug, Perm.CHANGE_MAPPINGS)
    profile = _profile(access, pk)
    form = ProductRemoveForm(request.POST)
    if form.is_valid() and mapping_services.unmap_product(
        profile=profile, product_id=form.cleaned_data["product_id"]
    ):
        messages.success(
            request,
            f"Sales of {form.cleaned_data['product_id']} post to the default item again.",
        )
    else:
        messages.info(request, "That product had no item of its own; nothing changed.")
    return redirect(reverse("syncs:mappings", args=[slug, profile.pk]) + "#products")


@require_POST
@login_required
def customer_policy(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    access = get_tenant_for_user(request, slug, Perm.CHANGE_MAPPINGS)
    profile = _profile(access, pk)
    form = CustomerPolicyForm(request.POST)
    if not form.is_valid():
        return _mapping_page(request, access, profile, policy_form=form, status=400)
    try:
        mapping_services.set_customer_policy(
            profile=profile, policy=form.cleaned_data["customer_policy"]
        )
    except mapping_services.MappingError as error:
        form.add_error("customer_policy", error.message)
        return _mapping_page(request, access, profile, policy_form=form, status=400)
    title = CUSTOMER_POLICY_HELP[profile.customer_policy][0]
    messages.success(request, f"Saved: {title}. It applies to sales posted from now on.")
    return redirect(reverse("syncs:mappings", args=[slug, profile.pk]) + "#customers")


@require_POST
@login_required
def mapping_refresh(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    access = get_tenant_for_user(request, slug, Perm.CHANGE_MAPPINGS)
    profile = _profile(access, pk)
    catalog.forget(profile.quickbooks)
    catalog.forget(profile.stripe)
    messages.info(request, "The lists were read again from QuickBooks and Stripe.")
    return redirect("syncs:mappings", slug=slug, pk=profile.pk)


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
    services.outbox_ignore(
        documents=OutboxDocument.objects.filter(pk=row.pk),
        reason=form.cleaned_data["reason"],
        by=request.user.email,
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


def _fix(tenant: Tenant, cause: str, profile_id: int | None) -> dict[str, str] | None:
    """The setting that fixes this cause: a link with its label, or None when none does."""
    fix = fixes.fix_for(cause)
    if fix is None:
        return None
    return {"label": fix.label, "url": fixes.fix_url(fix, slug=tenant.slug, profile_id=profile_id)}


def _groups(tenant: Tenant) -> list[dict[str, Any]]:
    profiles = list(
        SyncProfile.objects.for_tenant(tenant).values_list("pk", "stripe_id", "quickbooks_id")
    )
    by_stripe = {stripe: pk for pk, stripe, _ in profiles}
    by_company = {}
    for pk, _, company in profiles:
        by_company.setdefault(company, pk)
    groups: dict[str, dict[str, Any]] = {}
    rows = _open_problems(tenant).select_related("balance_transaction").order_by("created")
    for row in rows:
        cause = cause_of(row.last_error or "No reason recorded.")
        group = groups.get(cause)
        if group is None:
            txn = row.balance_transaction
            profile_id = by_stripe.get(txn.connection_id) if txn else None
            group = groups[cause] = {
                "cause": cause,
                "key": _cause_key(cause),
                "documents": [],
                "status": row.status,
                "fix": _fix(tenant, cause, profile_id or by_company.get(row.quickbooks_id)),
            }
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

"""The dashboard pages for partners: the signed-in user's own partners, their keys and the
organisations they manage.

User-scoped, not organisation-scoped: a partner belongs to its owner user, and any other user
gets 404 for every page and action, like an id that does not exist. Letting a partner manage
an organisation needs the user to be an owner of it (the owner consents); the writes are in
api/services.py.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from api import services
from api.dashboard import ApiKeyForm
from api.models import ApiKey, Partner
from tenants.http import AuthenticatedHttpRequest
from tenants.models import Tenant
from tenants.roles import Role


class PartnerForm(forms.Form):
    name = forms.CharField(
        max_length=120, label="Name", help_text="Your platform or team, e.g. 'Acme Bookkeeping'."
    )


class ManageForm(forms.Form):
    organisation = forms.ModelChoiceField(
        queryset=Tenant.objects.none(),
        to_field_name="slug",
        label="Organisation",
        empty_label="Choose an organisation",
        help_text="Only organisations you own are listed: you consent for them.",
        error_messages={
            "invalid_choice": "Choose an organisation you own that this partner does not "
            "manage yet."
        },
    )

    def __init__(self, *args: object, user: object, partner: Partner, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["organisation"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = _owned_unmanaged(user, partner)


def _owned_unmanaged(user: object, partner: Partner) -> QuerySet[Tenant]:
    return (
        Tenant.objects.filter(memberships__user=user, memberships__role=Role.OWNER)
        .exclude(partners=partner)
        .order_by("name")
    )


def _partner_for(request: AuthenticatedHttpRequest, pk: int) -> Partner:
    """The user's own partner `pk`; 404 for anyone else's, as for an id that does not exist."""
    partner = Partner.objects.filter(pk=pk, owner=request.user).first()
    if partner is None:
        raise Http404
    return partner


def _list_page(
    request: AuthenticatedHttpRequest, form: PartnerForm, status: int = 200
) -> HttpResponse:
    partners = (
        Partner.objects.filter(owner=request.user)
        .annotate(organisation_count=Count("tenants"))
        .order_by("name", "pk")
    )
    context = {"partners": partners, "form": form}
    return render(request, "api/partners.html", context, status=status)


def _detail_page(
    request: AuthenticatedHttpRequest,
    partner: Partner,
    *,
    key_form: ApiKeyForm | None = None,
    manage_form: ManageForm | None = None,
    rename_form: PartnerForm | None = None,
    new_token: str = "",
    status: int = 200,
) -> HttpResponse:
    context = {
        "partner": partner,
        "organisations": partner.tenants.order_by("name"),
        "keys": ApiKey.objects.filter(partner=partner).order_by("revoked_at", "-created"),
        "key_form": key_form or ApiKeyForm(),
        "manage_form": manage_form or ManageForm(user=request.user, partner=partner),
        "rename_form": rename_form or PartnerForm(initial={"name": partner.name}),
        "new_token": new_token,
    }
    return render(request, "api/partner_detail.html", context, status=status)


@require_GET
@login_required
def partner_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _list_page(request, PartnerForm())


@require_POST
@login_required
def partner_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = PartnerForm(request.POST)
    if not form.is_valid():
        return _list_page(request, form, status=400)
    try:
        partner = services.partner_create(name=form.cleaned_data["name"], owner=request.user)
    except services.PartnerError as error:
        form.add_error("name", str(error))
        return _list_page(request, form, status=400)
    messages.success(request, f"{partner.name} is ready. Create a key, then add organisations.")
    return redirect("api:partner", pk=partner.pk)


@require_GET
@login_required
def partner_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _detail_page(request, _partner_for(request, pk))


@require_POST
@login_required
def partner_key_create(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    partner = _partner_for(request, pk)
    form = ApiKeyForm(request.POST)
    if not form.is_valid():
        return _detail_page(request, partner, key_form=form, status=400)
    issued = services.partner_key_create(
        partner=partner,
        name=form.cleaned_data["name"],
        access=ApiKey.Access(form.cleaned_data["access"]),
        created_by=request.user,
    )
    # Shown once, on this answer only: the database keeps a hash.
    return _detail_page(request, partner, new_token=issued.token)


@require_POST
@login_required
def partner_key_revoke(request: AuthenticatedHttpRequest, pk: int, key_pk: int) -> HttpResponse:
    partner = _partner_for(request, pk)
    key = ApiKey.objects.filter(partner=partner, pk=key_pk).first()
    if key is None:
        raise Http404
    services.api_key_revoke(key=key)
    messages.success(request, f"The key {key.prefix}… no longer works.")
    return redirect("api:partner", pk=partner.pk)


@require_POST
@login_required
def partner_manage(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    partner = _partner_for(request, pk)
    form = ManageForm(request.POST, user=request.user, partner=partner)
    if not form.is_valid():
        return _detail_page(request, partner, manage_form=form, status=400)
    tenant = form.cleaned_data["organisation"]
    try:
        services.partner_manage(partner=partner, tenant=tenant, by=request.user)
    except services.PartnerError as error:
        form.add_error("organisation", str(error))
        return _detail_page(request, partner, manage_form=form, status=400)
    messages.success(request, f"{partner.name} now manages {tenant.name}.")
    return redirect("api:partner", pk=partner.pk)


@require_POST
@login_required
def partner_unmanage(request: AuthenticatedHttpRequest, pk: int, slug: str) -> HttpResponse:
    partner = _partner_for(request, pk)
    tenant = partner.tenants.filter(slug=slug).first()
    if tenant is None:
        raise Http404
    services.partner_unmanage(partner=partner, tenant=tenant)
    messages.success(
        request, f"{partner.name} no longer manages {tenant.name}: its keys stop reaching it."
    )
    return redirect("api:partner", pk=partner.pk)


@require_POST
@login_required
def partner_rename(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    partner = _partner_for(request, pk)
    form = PartnerForm(request.POST)
    if not form.is_valid():
        return _detail_page(request, partner, rename_form=form, status=400)
    try:
        services.partner_rename(partner=partner, name=form.cleaned_data["name"])
    except services.PartnerError as error:
        form.add_error("name", str(error))
        return _detail_page(request, partner, rename_form=form, status=400)
    messages.success(request, f"Renamed to {partner.name}.")
    return redirect("api:partner", pk=partner.pk)


@require_POST
@login_required
def partner_delete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    partner = _partner_for(request, pk)
    services.partner_delete(partner=partner)
    messages.success(
        request,
        f"Deleted {partner.name}: its keys no longer work. The organisations it managed stay.",
    )
    return redirect("api:partners")

"""The dashboard page for an organisation's API keys (owners and admins)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from api import services
from api.models import ApiKey, Partner
from tenants.access import TenantAccess, get_tenant_for_user
from tenants.http import AuthenticatedHttpRequest
from tenants.roles import Perm


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=80, label="Name", help_text="What the key is for.")
    access = forms.ChoiceField(choices=ApiKey.Access.choices, initial=ApiKey.Access.READ)


def _page(
    request: AuthenticatedHttpRequest,
    access: TenantAccess,
    form: ApiKeyForm,
    new_token: str = "",
    status: int = 200,
) -> HttpResponse:
    context = {
        "tenant": access.tenant,
        "access": access,
        "form": form,
        "keys": ApiKey.objects.for_tenant(access.tenant).order_by("revoked_at", "-created"),
        "partners": access.tenant.partners.select_related("owner").order_by("name", "pk"),
        "new_token": new_token,
    }
    return render(request, "api/keys.html", context, status=status)


@require_GET
@login_required
def key_list(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    access = get_tenant_for_user(request, slug, Perm.MANAGE_API_KEYS)
    return _page(request, access, ApiKeyForm())


@require_POST
@login_required
def key_create(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    access = get_tenant_for_user(request, slug, Perm.MANAGE_API_KEYS)
    form = ApiKeyForm(request.POST)
    if not form.is_valid():
        return _page(request, access, form, status=400)
    issued = services.api_key_create(
        tenant=access.tenant,
        name=form.cleaned_data["name"],
        access=ApiKey.Access(form.cleaned_data["access"]),
        created_by=request.user,
    )
    # Shown once, on this answer only: the database keeps a hash.
    return _page(request, access, ApiKeyForm(), new_token=issued.token)


@require_POST
@login_required
def key_revoke(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    access = get_tenant_for_user(request, slug, Perm.MANAGE_API_KEYS)
    key = ApiKey.objects.for_tenant(access.tenant).filter(pk=pk).first()
    if key is None:
        raise Http404
    services.api_key_revoke(key=key)
    messages.success(request, f"The key {key.prefix}… no longer works.")
    return redirect("api:keys", slug=slug)


@require_POST
@login_required
def partner_remove(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    """An owner takes a partner's access away from this organisation (admins see why not)."""
    access = get_tenant_for_user(request, slug, Perm.MANAGE_API_KEYS)
    partner = Partner.objects.filter(pk=pk, tenants=access.tenant).first()
    if partner is None:
        raise Http404
    try:
        services.partner_remove_from_tenant(partner=partner, tenant=access.tenant, by=request.user)
    except services.PartnerError as error:
        messages.error(request, str(error))
        return redirect("api:keys", slug=slug)
    messages.success(
        request,
        f"{partner.name} no longer manages {access.tenant.name}: its keys stop reaching it.",
    )
    return redirect("api:keys", slug=slug)

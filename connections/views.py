"""Connections pages, the OAuth start/callback views, and the client connect-link page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from connections import links, oauth, services
from connections.access import get_connect_link_for_tenant, get_connection_for_tenant
from connections.forms import RestrictedKeyForm, WebhookSecretForm
from connections.models import Connection, ConnectLink, Provider
from connections.providers.errors import ProviderError
from connections.providers.quickbooks import client as qbo_client
from connections.providers.stripe import client as stripe_client
from tenants.access import TenantAccess, get_tenant_for_user
from tenants.http import AuthenticatedHttpRequest
from tenants.models import Tenant
from tenants.roles import Perm

STRIPE_FLOWS = {
    "connect": stripe_client.connect_authorize_url,
    "app": stripe_client.app_authorize_url,
}


def _page(request: AuthenticatedHttpRequest, access: TenantAccess, **extra: object) -> HttpResponse:
    tenant = access.tenant
    context = {
        "tenant": tenant,
        "access": access,
        "can_manage": access.can(Perm.MANAGE_CONNECTIONS),
        "stripe_connections": Connection.objects.for_tenant(tenant).filter(
            provider=Provider.STRIPE
        ),
        "quickbooks_connections": Connection.objects.for_tenant(tenant).filter(
            provider=Provider.QUICKBOOKS
        ),
        "key_form": RestrictedKeyForm(),
        "links": ConnectLink.objects.for_tenant(tenant).filter(revoked_at__isnull=True),
        "site_url": settings.SITE_URL,
        **extra,
    }
    return render(
        request, "connections/list.html", context, status=400 if "key_error" in extra else 200
    )


@require_GET
@login_required
def connection_list(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    return _page(request, get_tenant_for_user(request, slug))


@require_POST
@login_required
def stripe_start(request: AuthenticatedHttpRequest, slug: str, flow: str) -> HttpResponse:
    access = get_tenant_for_user(request, slug, Perm.MANAGE_CONNECTIONS)
    if flow not in STRIPE_FLOWS:
        messages.error(request, "Choose Stripe Connect or the Stripe App.")
        return redirect("connections:list", slug=slug)
    pending = oauth.PendingConnect(tenant_id=access.tenant.pk, provider="stripe", flow=flow)
    try:
        url = STRIPE_FLOWS[flow](oauth.begin(request, pending))
    except ProviderError as error:
        messages.error(request, str(error))
        return redirect("connections:list", slug=slug)
    return redirect(url)


@require_POST
@login_required
def quickbooks_start(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    access = get_tenant_for_user(request, slug, Perm.MANAGE_CONNECTIONS)
    pending = oauth.PendingConnect(tenant_id=access.tenant.pk, provider="quickbooks", flow="oauth")
    try:
        url = qbo_client.authorization_url(oauth.begin(request, pending))
    except ProviderError as error:
        messages.error(request, str(error))
        return redirect("connections:list", slug=slug)
    return redirect(url)


def _callback_tenant(request: AuthenticatedHttpRequest, pending: oauth.PendingConnect) -> Tenant:
    """The organisation a callback belongs to, re-checked now: via the connect link for a
    client, or the signed-in member's permission otherwise."""
    if pending.link_id is not None:
        link = ConnectLink.objects.filter(pk=pending.link_id, tenant_id=pending.tenant_id).first()
        if link is None or not link.is_usable:
            raise oauth.StateMismatch("This connect link has expired. Ask for a new one.")
        return link.tenant
    tenant = Tenant.objects.get(pk=pending.tenant_id)
    return get_tenant_for_user(request, tenant.slug, Perm.MANAGE_CONNECTIONS).tenant


def _after_callback(
    request: AuthenticatedHttpRequest, pending: oauth.PendingConnect, tenant: Tenant
) -> HttpResponse:
    if pending.link_token:
        return redirect("client_connect", token=pending.link_token)
    return redirect("connections:list", slug=tenant.slug)


def _callback_failed(request: AuthenticatedHttpRequest, message: str) -> HttpResponse:
    return render(request, "connections/callback_failed.html", {"message": message}, status=400)


def _finish_oauth(
    request: AuthenticatedHttpRequest,
    provider: str,
    complete: Callable[[Tenant, oauth.PendingConnect, AuthenticatedHttpRequest], Connection],
) -> HttpResponse:
    """The shared half of every OAuth callback: check state, honour a refusal, complete."""
    try:
        pending = oauth.complete(request, request.GET.get("state", ""), provider)
        tenant = _callback_tenant(request, pending)
    except oauth.StateMismatch as error:
        return _callback_failed(request, str(error))
    name = "Stripe" if provider == "stripe" else "QuickBooks"
    if request.GET.get("error"):
        messages.warning(request, f"{name} was not connected: access was declined.")
        return _after_callback(request, pending, tenant)
    try:
        connection = complete(tenant, pending, request)
    except ProviderError as error:
        return _callback_failed(request, str(error))
    messages.success(
        request, f"{name} {connection.display_name or connection.external_id} is connected."
    )
    return _after_callback(request, pending, tenant)


def _signed_in_user(request: AuthenticatedHttpRequest) -> Any:
    # A client on a connect link has no account: the connection records no user.
    return request.user if request.user.is_authenticated else None


def _complete_stripe(
    tenant: Tenant, pending: oauth.PendingConnect, request: AuthenticatedHttpRequest
) -> Connection:
    complete = (
        services.stripe_app_complete if pending.flow == "app" else services.stripe_connect_complete
    )
    code = request.GET.get("code", "")
    return complete(tenant=tenant, code=code, connected_by=_signed_in_user(request))


def _complete_quickbooks(
    tenant: Tenant, pending: oauth.PendingConnect, request: AuthenticatedHttpRequest
) -> Connection:
    return services.quickbooks_connect_complete(
        tenant=tenant,
        code=request.GET.get("code", ""),
        realm_id=request.GET.get("realmId", ""),
        connected_by=_signed_in_user(request),
    )


@require_GET
def stripe_callback(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _finish_oauth(request, "stripe", _complete_stripe)


@require_GET
def quickbooks_callback(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _finish_oauth(request, "quickbooks", _complete_quickbooks)


@require_POST
@login_required
def stripe_key(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    access = get_tenant_for_user(request, slug, Perm.MANAGE_CONNECTIONS)
    form = RestrictedKeyForm(request.POST)
    if not form.is_valid():
        return _page(request, access, key_form=form, key_error=True)
    try:
        connection = services.stripe_key_connect(
            tenant=access.tenant, api_key=form.cleaned_data["api_key"], connected_by=request.user
        )
    except ProviderError as error:
        form.add_error("api_key", str(error))
        return _page(request, access, key_form=form, key_error=True)
    messages.success(
        request, f"Stripe account {connection.display_name or connection.external_id} is connected."
    )
    return redirect("connections:list", slug=slug)


@require_POST
@login_required
def webhook_secret(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    access = get_tenant_for_user(request, slug, Perm.MANAGE_CONNECTIONS)
    connection = get_connection_for_tenant(access.tenant, pk)
    form = WebhookSecretForm(request.POST)
    if form.is_valid():
        services.connection_set_webhook_secret(
            connection=connection, secret=form.cleaned_data["secret"]
        )
        messages.success(
            request, "Signing secret saved. Events sent to this endpoint are now accepted."
        )
    else:
        messages.error(request, " ".join(form.errors["secret"]))
    return redirect("connections:list", slug=slug)


@require_POST
@login_required
def disconnect(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    access = get_tenant_for_user(request, slug, Perm.MANAGE_CONNECTIONS)
    connection = get_connection_for_tenant(access.tenant, pk)
    note = services.connection_disconnect(connection=connection, by=request.user)
    messages.success(request, f"{connection} is disconnected. Syncing from it has stopped.{note}")
    return redirect("connections:list", slug=slug)


@require_POST
@login_required
def link_create(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    access = get_tenant_for_user(request, slug, Perm.MANAGE_CONNECTIONS)
    issued = links.connect_link_create(tenant=access.tenant, created_by=request.user)
    # Shown once: only the hash is stored.
    return _page(request, access, new_link_url=issued.url)


@require_POST
@login_required
def link_revoke(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    access = get_tenant_for_user(request, slug, Perm.MANAGE_CONNECTIONS)
    links.connect_link_revoke(link=get_connect_link_for_tenant(access.tenant, pk))
    messages.success(request, "The connect link no longer works.")
    return redirect("connections:list", slug=slug)


# --- The client's connect page (no dashboard account) -------------------------------------


def _client_link(token: str) -> ConnectLink | None:
    return links.connect_link_find(token=token)


@require_GET
def client_connect(request: AuthenticatedHttpRequest, token: str) -> HttpResponse:
    link = _client_link(token)
    if link is None:
        return render(request, "connections/client_link_invalid.html", status=404)
    links.connect_link_touch(link=link)
    connections = Connection.objects.for_tenant(link.tenant).active()
    context = {
        "link_tenant": link.tenant,
        "token": token,
        "stripe": connections.filter(provider=Provider.STRIPE).first(),
        "quickbooks": connections.filter(provider=Provider.QUICKBOOKS).first(),
    }
    return render(request, "connections/client_connect.html", context)


@require_POST
def client_start(request: AuthenticatedHttpRequest, token: str, provider: str) -> HttpResponse:
    link = _client_link(token)
    if link is None or provider not in ("stripe", "quickbooks"):
        return render(request, "connections/client_link_invalid.html", status=404)
    flow = "connect" if provider == "stripe" else "oauth"
    pending = oauth.PendingConnect(
        tenant_id=link.tenant_id, provider=provider, flow=flow, link_id=link.pk, link_token=token
    )
    state = oauth.begin(request, pending)
    try:
        url = (
            stripe_client.connect_authorize_url(state)
            if provider == "stripe"
            else qbo_client.authorization_url(state)
        )
    except ProviderError as error:
        return _callback_failed(request, str(error))
    return redirect(url)


# --- Intuit's disconnect and reconnect landing URLs ---------------------------------------


@require_GET
def quickbooks_disconnected(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Where Intuit sends someone who disconnected Tieout inside QuickBooks."""
    return render(request, "connections/quickbooks_disconnected.html")


@require_GET
@login_required
def quickbooks_reconnect(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Intuit's reconnect URL: take the user to the organisation that has this company."""
    realm_id = request.GET.get("realmId", "")
    connection = (
        Connection.objects.filter(
            provider=Provider.QUICKBOOKS,
            external_id=realm_id,
            tenant__memberships__user=request.user,
        )
        .select_related("tenant")
        .first()
    )
    if connection is None:
        messages.info(request, "Choose the organisation to connect QuickBooks to.")
        return redirect("home")
    return redirect("connections:list", slug=connection.tenant.slug)

"""The webhooks page: endpoints, their one-time secrets, test events and the delivery log.

Everyone in the organisation may look; owners and admins (change_settings, as in the API) change.
A new or rolled secret is rendered in the answer to that POST and never again.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from partner_hooks import services
from partner_hooks.forms import EndpointForm
from partner_hooks.models import Delivery, WebhookEndpoint
from tenants.access import TenantAccess, get_tenant_for_user
from tenants.http import AuthenticatedHttpRequest
from tenants.roles import Perm

MANAGE = Perm.CHANGE_SETTINGS
LOG_SIZE = 50


def get_endpoint_for_tenant(access: TenantAccess, pk: int) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.for_tenant(access.tenant).filter(pk=pk).first()
    if endpoint is None:
        raise Http404
    return endpoint


def get_delivery_for_tenant(access: TenantAccess, pk: int) -> Delivery:
    delivery = Delivery.objects.for_tenant(access.tenant).filter(pk=pk).first()
    if delivery is None:
        raise Http404
    return delivery


def _render(
    request: AuthenticatedHttpRequest,
    access: TenantAccess,
    form: EndpointForm | None = None,
    new_secret: tuple[WebhookEndpoint, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    tenant = access.tenant
    deliveries = services.deliveries_for(tenant=tenant)
    context = {
        "tenant": tenant,
        "access": access,
        "can_manage": access.can(MANAGE),
        "form": form or EndpointForm(),
        "endpoints": WebhookEndpoint.objects.for_tenant(tenant).order_by("created", "pk"),
        "deliveries": deliveries[:LOG_SIZE],
        "given_up": deliveries.filter(state=Delivery.State.GIVEN_UP).count(),
        "new_secret": new_secret,
    }
    template = "partner_hooks/webhooks.html"
    if request.htmx:
        template += "#delivery-log"
    return render(request, template, context, status=status)


@require_GET
@login_required
def webhooks(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    return _render(request, get_tenant_for_user(request, slug))


@require_POST
@login_required
def endpoint_create(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    access = get_tenant_for_user(request, slug, MANAGE)
    form = EndpointForm(request.POST)
    if not form.is_valid():
        return _render(request, access, form, status=400)
    try:
        endpoint = services.endpoint_create(tenant=access.tenant, **form.cleaned_data)
    except services.EndpointInvalid as error:
        form.add_error(error.field, str(error))
        return _render(request, access, form, status=400)
    return _render(request, access, new_secret=(endpoint, endpoint.secret))


@require_POST
@login_required
def endpoint_roll_secret(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    access = get_tenant_for_user(request, slug, MANAGE)
    endpoint = get_endpoint_for_tenant(access, pk)
    secret = services.endpoint_roll_secret(endpoint=endpoint)
    return _render(request, access, new_secret=(endpoint, secret))


@require_POST
@login_required
def endpoint_set_active(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    access = get_tenant_for_user(request, slug, MANAGE)
    endpoint = get_endpoint_for_tenant(access, pk)
    choice = request.POST.get("active")
    if choice not in ("on", "off"):
        messages.error(request, "Choose whether to turn the endpoint on or off.")
        return _render(request, access, status=400)
    services.endpoint_update(endpoint=endpoint, active=choice == "on")
    if endpoint.active:
        messages.success(request, f"{endpoint.url} is on: new events are sent to it again.")
    else:
        messages.success(
            request,
            f"{endpoint.url} is off: nothing is sent to it until you turn it back on.",
        )
    return redirect("partner_hooks:webhooks", slug=slug)


@require_POST
@login_required
def endpoint_delete(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    access = get_tenant_for_user(request, slug, MANAGE)
    endpoint = get_endpoint_for_tenant(access, pk)
    services.endpoint_delete(endpoint=endpoint)
    messages.success(request, f"Deleted {endpoint.url}. Nothing more will be sent to it.")
    return redirect("partner_hooks:webhooks", slug=slug)


@require_POST
@login_required
def endpoint_send_test(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    access = get_tenant_for_user(request, slug, MANAGE)
    endpoint = get_endpoint_for_tenant(access, pk)
    services.endpoint_send_test(endpoint=endpoint)
    messages.success(request, f"Test event on its way to {endpoint.url}; see the log below.")
    return redirect("partner_hooks:webhooks", slug=slug)


@require_POST
@login_required
def delivery_retry(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    access = get_tenant_for_user(request, slug, MANAGE)
    delivery = get_delivery_for_tenant(access, pk)
    if services.delivery_retry_now(delivery=delivery):
        messages.success(request, "Sending it again now; the log below shows the answer.")
    else:
        messages.info(request, "That delivery is not waiting for a retry.")
    return redirect("partner_hooks:webhooks", slug=slug)

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tenants import health, services
from tenants.access import (
    TenantAccess,
    get_invitation_for_tenant,
    get_membership_for_tenant,
    get_tenant_for_user,
)
from tenants.forms import InvitationForm, RoleForm, TenantCreateForm, TenantSettingsForm
from tenants.http import AuthenticatedHttpRequest
from tenants.models import Invitation, Membership
from tenants.roles import ROLE_HELP, Perm, Role


@require_GET
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Send people where they most likely want to be."""
    if not request.user.is_authenticated:
        return redirect("account_login")
    memberships = Membership.objects.filter(user=request.user).select_related("tenant")
    if not memberships:
        return redirect("tenants:create")
    if len(memberships) > 1:
        return redirect("tenants:clients")
    return redirect("tenants:dashboard", slug=memberships[0].tenant.slug)


@require_GET
def healthz(request: AuthenticatedHttpRequest) -> JsonResponse:
    report = health.check_all()
    return JsonResponse(report, status=200 if report["ok"] else 503)


@require_GET
@login_required
def clients(request: AuthenticatedHttpRequest) -> HttpResponse:
    memberships = Membership.objects.filter(user=request.user).select_related("tenant")
    query = request.GET.get("q", "").strip()
    if query:
        memberships = memberships.filter(Q(tenant__name__icontains=query))
    template = "tenants/clients.html"
    if request.htmx:
        template += "#client-rows"
    context = {"memberships": memberships.order_by("tenant__name"), "q": query}
    return render(request, template, context)


@require_http_methods(["GET", "POST"])
@login_required
def tenant_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = TenantCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        tenant = services.tenant_create(name=form.cleaned_data["name"], owner=request.user)
        messages.success(request, f"{tenant.name} is ready. Connect its Stripe account next.")
        return redirect("tenants:dashboard", slug=tenant.slug)
    return render(request, "tenants/tenant_create.html", {"form": form})


@require_GET
@login_required
def dashboard(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    access = get_tenant_for_user(request, slug)
    services.membership_touch(membership=access.membership)
    return render(request, "tenants/dashboard.html", {"tenant": access.tenant, "access": access})


@require_http_methods(["GET", "POST"])
@login_required
def tenant_settings(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    access = get_tenant_for_user(request, slug)
    tenant = access.tenant
    initial = {"name": tenant.name, "time_zone": tenant.time_zone, "locale": tenant.locale}
    form = TenantSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST":
        access = get_tenant_for_user(request, slug, Perm.CHANGE_SETTINGS)
        if form.is_valid():
            services.tenant_update_settings(tenant=tenant, **form.cleaned_data)
            messages.success(request, "Settings saved.")
            return redirect("tenants:settings", slug=slug)
    context = {"tenant": tenant, "access": access, "form": form}
    return render(request, "tenants/settings.html", context)


@require_GET
@login_required
def members(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    access = get_tenant_for_user(request, slug)
    return _render_members(request, access, InvitationForm())


def _render_members(
    request: AuthenticatedHttpRequest, access: TenantAccess, form: InvitationForm
) -> HttpResponse:
    tenant = access.tenant
    context = {
        "tenant": tenant,
        "access": access,
        "form": form,
        "members": Membership.objects.for_tenant(tenant).select_related("user"),
        "invitations": Invitation.objects.for_tenant(tenant)
        .filter(accepted_at__isnull=True, revoked_at__isnull=True)
        .order_by("-created"),
        "roles": [(role, ROLE_HELP[role]) for role in Role],
        "role_choices": Role.choices,
        "can_manage": access.can(Perm.MANAGE_MEMBERS),
    }
    status = 400 if form.errors else 200
    return render(request, "tenants/members.html", context, status=status)


@require_POST
@login_required
def invitation_create(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    access = get_tenant_for_user(request, slug, Perm.MANAGE_MEMBERS)
    form = InvitationForm(request.POST)
    if form.is_valid():
        role = Role(form.cleaned_data["role"])
        if role == Role.OWNER and not access.can(Perm.MANAGE_OWNERS):
            form.add_error("role", "Only an owner can invite another owner.")
        else:
            try:
                sent = services.invitation_create(
                    tenant=access.tenant,
                    email=form.cleaned_data["email"],
                    role=role,
                    invited_by=request.user,
                )
            except services.InvitationError as error:
                form.add_error("email", str(error))
            else:
                messages.success(request, f"Invitation sent to {sent.invitation.email}.")
                return redirect("tenants:members", slug=slug)
    return _render_members(request, access, form)


@require_POST
@login_required
def invitation_resend(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    access = get_tenant_for_user(request, slug, Perm.MANAGE_MEMBERS)
    invitation = get_invitation_for_tenant(access.tenant, pk)
    try:
        services.invitation_resend(invitation=invitation)
    except services.InvitationError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"A new link was sent to {invitation.email}.")
    return redirect("tenants:members", slug=slug)


@require_POST
@login_required
def invitation_revoke(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    access = get_tenant_for_user(request, slug, Perm.MANAGE_MEMBERS)
    invitation = get_invitation_for_tenant(access.tenant, pk)
    services.invitation_revoke(invitation=invitation)
    messages.success(request, f"The invitation to {invitation.email} was withdrawn.")
    return redirect("tenants:members", slug=slug)


@require_POST
@login_required
def member_role(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    access = get_tenant_for_user(request, slug, Perm.MANAGE_MEMBERS)
    membership = get_membership_for_tenant(access.tenant, pk)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose one of the listed roles.")
        return redirect("tenants:members", slug=slug)
    role = Role(form.cleaned_data["role"])
    if Role.OWNER in (role, membership.role) and not access.can(Perm.MANAGE_OWNERS):
        messages.error(
            request, "Only an owner can make someone an owner or change an owner's role."
        )
        return redirect("tenants:members", slug=slug)
    try:
        services.membership_set_role(membership=membership, role=role)
    except services.MembershipError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{membership.user.email} is now {role.label.lower()}.")
    return redirect("tenants:members", slug=slug)


@require_POST
@login_required
def member_remove(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    access = get_tenant_for_user(request, slug, Perm.MANAGE_MEMBERS)
    membership = get_membership_for_tenant(access.tenant, pk)
    if membership.role == Role.OWNER and not access.can(Perm.MANAGE_OWNERS):
        messages.error(request, "Only an owner can remove an owner.")
        return redirect("tenants:members", slug=slug)
    try:
        services.membership_remove(membership=membership)
    except services.MembershipError as error:
        messages.error(request, str(error))
        return redirect("tenants:members", slug=slug)
    messages.success(request, f"{membership.user.email} no longer has access.")
    if membership.user_id == request.user.pk:
        return redirect("home")
    return redirect("tenants:members", slug=slug)


@require_http_methods(["GET", "POST"])
def invitation_accept(request: AuthenticatedHttpRequest, token: str) -> HttpResponse:
    """Public: the link from the invitation email. Signing in or up comes back here."""
    try:
        invitation = services.invitation_find(token=token)
    except services.InvitationError as error:
        return render(
            request, "tenants/invitation_invalid.html", {"reason": str(error)}, status=404
        )
    if request.method == "POST" and request.user.is_authenticated:
        try:
            membership = services.invitation_accept(token=token, user=request.user)
        except services.InvitationError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"Welcome to {membership.tenant.name}.")
            return redirect("tenants:dashboard", slug=membership.tenant.slug)
    here = reverse("tenants:invitation_accept", args=[token])
    context = {"invitation": invitation, "token": token, "next": here}
    return render(request, "tenants/invitation_accept.html", context)

"""Writes for organisations, memberships and invitations: `<entity>_<verb>` functions."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from tenants.models import Invitation, Membership, Tenant, hash_token
from tenants.roles import Role

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


class InvitationError(Exception):
    """An invitation cannot be used; the message is written for the person holding it."""


class MembershipError(Exception):
    """A team change would leave the organisation in a bad state; the message says why."""


def tenant_create(*, name: str, owner: AbstractBaseUser) -> Tenant:
    with transaction.atomic():
        tenant = Tenant.objects.create(name=name.strip())
        Membership.objects.create(tenant=tenant, user=owner, role=Role.OWNER)
    return tenant


def tenant_update_settings(*, tenant: Tenant, name: str, time_zone: str, locale: str) -> None:
    tenant.name = name.strip()
    tenant.time_zone = time_zone
    tenant.locale = locale
    tenant.save(update_fields=["name", "time_zone", "locale"])


def email_admins_on_commit(*, tenant_id: int, subject: str, message: str) -> None:
    """Email the organisation's owners and admins once the current transaction commits (at
    once outside one). Used for what needs a person: a lost connection, a given-up delivery."""
    recipients = [
        email
        for email in Membership.objects.filter(
            tenant_id=tenant_id, role__in=[Role.OWNER, Role.ADMIN]
        ).values_list("user__email", flat=True)
        if email
    ]
    if recipients:
        transaction.on_commit(
            lambda: send_mail(
                subject=subject, message=message, from_email=None, recipient_list=recipients
            )
        )


def membership_touch(*, membership: Membership) -> None:
    """Remember the last organisation a user opened, so `/` can return them to it."""
    Membership.objects.filter(pk=membership.pk).update(last_visited=timezone.now())


def membership_set_role(*, membership: Membership, role: Role) -> None:
    if membership.role == Role.OWNER and role != Role.OWNER:
        _ensure_another_owner(membership)
    Membership.objects.filter(pk=membership.pk).update(role=role)


def membership_remove(*, membership: Membership) -> None:
    if membership.role == Role.OWNER:
        _ensure_another_owner(membership)
    membership.delete()


def _ensure_another_owner(membership: Membership) -> None:
    others = Membership.objects.filter(tenant=membership.tenant, role=Role.OWNER).exclude(
        pk=membership.pk
    )
    if not others.exists():
        raise MembershipError(
            "An organisation needs at least one owner. Make someone else an owner first."
        )


@dataclass(frozen=True)
class SentInvitation:
    invitation: Invitation
    accept_url: str


def invitation_create(
    *, tenant: Tenant, email: str, role: Role, invited_by: AbstractBaseUser
) -> SentInvitation:
    email = email.strip().lower()
    if Membership.objects.filter(tenant=tenant, user__email__iexact=email).exists():
        raise InvitationError(f"{email} is already a member of {tenant.name}.")
    # A new invitation to the same address replaces any pending one.
    Invitation.objects.for_tenant(tenant).pending().filter(email__iexact=email).update(
        revoked_at=timezone.now()
    )
    invitation = Invitation(tenant=tenant, email=email, role=role, invited_by=invited_by)
    return _issue_and_send(invitation)


def invitation_resend(*, invitation: Invitation) -> SentInvitation:
    """Send a fresh link (the old one stops working) with a fresh expiry."""
    if invitation.status in (Invitation.Status.ACCEPTED, Invitation.Status.REVOKED):
        raise InvitationError("Only pending or expired invitations can be sent again.")
    return _issue_and_send(invitation)


def invitation_revoke(*, invitation: Invitation) -> None:
    Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def _issue_and_send(invitation: Invitation) -> SentInvitation:
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    invitation.token_hash = hash_token(token)
    invitation.sent_at = now
    invitation.expires_at = now + timedelta(days=settings.INVITATION_TTL_DAYS)
    invitation.save()
    accept_url = settings.SITE_URL + reverse("tenants:invitation_accept", args=[token])
    context = {"invitation": invitation, "accept_url": accept_url}
    # Sent after commit: a rolled-back invitation must not reach anyone's inbox.
    transaction.on_commit(
        lambda: send_mail(
            subject=f"You're invited to {invitation.tenant.name} on Tieout",
            message=render_to_string("tenants/email/invitation.txt", context),
            from_email=None,
            recipient_list=[invitation.email],
        )
    )
    return SentInvitation(invitation=invitation, accept_url=accept_url)


def invitation_find(*, token: str) -> Invitation:
    invitation = (
        Invitation.objects.select_related("tenant").filter(token_hash=hash_token(token)).first()
    )
    if invitation is None:
        raise InvitationError(
            "This invitation link is not valid. It may have been replaced by a newer one."
        )
    return invitation


def invitation_accept(*, token: str, user: AbstractBaseUser) -> Membership:
    with transaction.atomic():
        invitation = invitation_find(token=token)
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        _check_usable(invitation, user)
        membership, created = Membership.objects.get_or_create(
            tenant=invitation.tenant, user=user, defaults={"role": invitation.role}
        )
        Invitation.objects.filter(pk=invitation.pk).update(accepted_at=timezone.now())
    return membership


def _check_usable(invitation: Invitation, user: AbstractBaseUser) -> None:
    status = invitation.status
    if status == Invitation.Status.ACCEPTED:
        raise InvitationError("This invitation has already been accepted.")
    if status == Invitation.Status.REVOKED:
        raise InvitationError("This invitation was withdrawn. Ask for a new one.")
    if status == Invitation.Status.EXPIRED:
        raise InvitationError("This invitation has expired. Ask the sender to send it again.")
    user_email = (getattr(user, "email", "") or "").lower()
    if user_email != invitation.email.lower():
        raise InvitationError(
            f"This invitation is for {invitation.email}, but you are signed in as "
            f"{user_email}. Sign in with that address to accept it."
        )

"""Shape-only forms: they check input, services decide."""

from __future__ import annotations

import zoneinfo
from typing import Any

from django import forms
from django.http import HttpRequest

from tenants.roles import Role
from tenants.services import InvitationError, invitation_find

LOCALES = [
    ("en-US", "English (United States) — $1,234.56"),
    ("en-GB", "English (United Kingdom) — £1,234.56"),
    ("en-CA", "English (Canada) — $1,234.56"),
    ("en-AU", "English (Australia) — $1,234.56"),
    ("fr-FR", "Français (France) — 1 234,56 €"),
    ("de-DE", "Deutsch (Deutschland) — 1.234,56 €"),
]


def _time_zone_choices() -> list[tuple[str, str]]:
    zones = sorted(z for z in zoneinfo.available_timezones() if "/" in z or z == "UTC")
    return [(z, z.replace("_", " ")) for z in zones]


class SignupForm(forms.Form):
    """Extra fields on allauth's signup form. The adapter creates the organisation or, for
    someone who arrived through an invitation link, accepts that invitation instead."""

    organisation_name = forms.CharField(
        max_length=120,
        label="Organisation name",
        help_text="Your firm or company. You can add client organisations later.",
        error_messages={"required": "Enter the name of your organisation."},
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    invitation = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Someone joining by invitation gets that organisation, so needs no name of their own.
        if self.data.get("invitation"):
            self.fields["organisation_name"].required = False

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        token = cleaned.get("invitation", "")
        if token:
            self._check_invitation(token, cleaned.get("email", ""))
        return cleaned

    def _check_invitation(self, token: str, email: str) -> None:
        try:
            invitation = invitation_find(token=token)
        except InvitationError as error:
            raise forms.ValidationError(str(error)) from None
        if invitation.status != invitation.Status.PENDING:
            raise forms.ValidationError("This invitation can no longer be used. Ask for a new one.")
        if email and email.lower() != invitation.email.lower():
            self.add_error("email", f"This invitation is for {invitation.email}. Use that address.")

    def signup(self, request: HttpRequest, user: Any) -> None:
        """allauth calls this hook; the organisation is handled by the adapter."""


class TenantCreateForm(forms.Form):
    name = forms.CharField(max_length=120, label="Organisation name")


class TenantSettingsForm(forms.Form):
    name = forms.CharField(max_length=120, label="Organisation name")
    time_zone = forms.ChoiceField(
        choices=_time_zone_choices,
        help_text="Documents are dated in this time zone. Stripe's own day boundary is UTC.",
    )
    locale = forms.ChoiceField(choices=LOCALES, help_text="How amounts and dates are written.")


class InvitationForm(forms.Form):
    email = forms.EmailField(label="Email address")
    role = forms.ChoiceField(choices=Role.choices, initial=Role.ACCOUNTANT)


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)

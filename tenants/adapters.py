"""allauth hooks. Identity only: organisations and memberships are made by services."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest

from tenants import services


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request: HttpRequest, user: Any, form: Any, commit: bool = True) -> Any:
        user = super().save_user(request, user, form, commit=commit)
        token = form.cleaned_data.get("invitation", "")
        if token:
            # Someone invited joins that organisation instead of getting an empty one of their own.
            services.invitation_accept(token=token, user=user)
        else:
            services.tenant_create(name=form.cleaned_data["organisation_name"], owner=user)
        return user

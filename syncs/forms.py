from __future__ import annotations

from typing import Any

from django import forms

from connections.models import Connection
from tenants.models import Tenant


def connected_choices(tenant: Tenant, provider: str) -> list[tuple[int, str]]:
    """The organisation's connected accounts of one provider, as form choices."""
    rows = Connection.objects.for_tenant(tenant).filter(
        provider=provider, status=Connection.Status.CONNECTED
    )
    return [(c.pk, c.display_name or c.external_id) for c in rows]


class BackfillForm(forms.Form):
    connection = forms.TypedChoiceField(coerce=int, label="Stripe account")
    start = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To (exclusive)", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, connections: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["connection"].choices = connections

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        if cleaned.get("start") and cleaned.get("end") and cleaned["start"] >= cleaned["end"]:
            self.add_error("end", "Choose an end date after the start date.")
        return cleaned


class ProfileForm(forms.Form):
    stripe = forms.TypedChoiceField(coerce=int, label="Stripe account")
    quickbooks = forms.TypedChoiceField(coerce=int, label="Posts into QuickBooks company")

    def __init__(
        self,
        *args: Any,
        stripe: list[tuple[int, str]],
        quickbooks: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["stripe"].choices = stripe
        self.fields["quickbooks"].choices = quickbooks


class IgnoreForm(forms.Form):
    reason = forms.CharField(max_length=200, label="Why ignore it?")


class ScheduleForm(forms.Form):
    schedule = forms.ChoiceField(label="When to sync")
    scan_every_minutes = forms.IntegerField(
        label="Safety-net scan every (minutes)", min_value=5, max_value=24 * 60
    )
    batch_time = forms.TimeField(
        label="Batch time", widget=forms.TimeInput(attrs={"type": "time"}), required=False
    )
    batch_weekday = forms.TypedChoiceField(label="Batch day (weekly)", coerce=int)
    closed_period = forms.ChoiceField(label="Documents dated in a closed period")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from mappings.models import SyncProfile

        super().__init__(*args, **kwargs)
        self.fields["schedule"].choices = SyncProfile.Schedule.choices
        self.fields["batch_weekday"].choices = SyncProfile._meta.get_field("batch_weekday").choices
        self.fields["closed_period"].choices = SyncProfile.ClosedPeriod.choices

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        if cleaned.get("schedule") in ("daily", "weekly") and not cleaned.get("batch_time"):
            self.add_error("batch_time", "Choose the time of day the batch runs.")
        return cleaned

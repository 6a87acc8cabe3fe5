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


class ChooseRefForm(forms.Form):
    """One picker: what it is for (an account purpose, the vendor or the sales item), the
    currency where it varies, and the QuickBooks id chosen. The service validates the rest."""

    purpose = forms.CharField(max_length=40, widget=forms.HiddenInput)
    currency = forms.CharField(max_length=3, required=False, widget=forms.HiddenInput)
    qbo_id = forms.CharField(max_length=32, label="QuickBooks")


class ProductItemForm(forms.Form):
    product_id = forms.CharField(
        max_length=64,
        label="Stripe product",
        help_text="Choose from the list or type the id (prod_…) from the product's page in Stripe.",
    )
    qbo_id = forms.CharField(max_length=32, label="Posts to QuickBooks item")


class ProductRemoveForm(forms.Form):
    product_id = forms.CharField(max_length=64)


CUSTOMER_POLICY_HELP = {
    "match": (
        "Each Stripe customer gets their own QuickBooks customer",
        "The first sale creates the customer in QuickBooks (named after the Stripe customer); "
        "later sales reuse it. Customers you already have in QuickBooks are not looked for.",
    ),
    "match_by_email": (
        "Find each Stripe customer in QuickBooks by email, else create them",
        "Like the above, but first looks for a QuickBooks customer with the same email, so the "
        "customers you already have are reused instead of duplicated.",
    ),
    "single": (
        "Put every sale on one customer, “Stripe Customer”",
        "The simplest: customer detail stays in Stripe, and QuickBooks shows one guest "
        "customer for all sales. Charges without a Stripe customer always use it.",
    ),
}


class CustomerPolicyForm(forms.Form):
    customer_policy = forms.ChoiceField(
        label="Customers on sales receipts",
        widget=forms.RadioSelect,
        choices=[(value, title) for value, (title, _) in CUSTOMER_POLICY_HELP.items()],
    )


class GuestCustomerForm(forms.Form):
    currency = forms.CharField(max_length=3, required=False, widget=forms.HiddenInput)
    name = forms.CharField(max_length=100, label="Guest customer (display name in QuickBooks)")

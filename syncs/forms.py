from __future__ import annotations

from typing import Any

from django import forms


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

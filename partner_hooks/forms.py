"""Shape-only forms; the URL and event rules live in services.endpoint_create."""

from __future__ import annotations

from django import forms

from partner_hooks.models import SUBSCRIBABLE


class EndpointForm(forms.Form):
    url = forms.CharField(
        label="Endpoint URL",
        max_length=500,
        help_text="Where we POST each event, e.g. https://example.com/hooks/tieout.",
        widget=forms.URLInput(attrs={"placeholder": "https://", "autocomplete": "off"}),
    )
    description = forms.CharField(label="Description", max_length=200, required=False)
    event_types = forms.MultipleChoiceField(
        label="Events",
        choices=[(t.value, f"{t.label} ({t.value})") for t in SUBSCRIBABLE],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Leave all unticked to receive every event, including ones we add later.",
    )

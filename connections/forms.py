from __future__ import annotations

from django import forms


class RestrictedKeyForm(forms.Form):
    api_key = forms.CharField(
        label="Restricted API key",
        max_length=255,
        strip=True,
        widget=forms.PasswordInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text="Stripe Dashboard → Developers → API keys → Create restricted key, with "
        "read access to balance, balance transactions, charges, disputes, payouts, customers "
        "and events.",
    )


class WebhookSecretForm(forms.Form):
    secret = forms.CharField(
        label="Signing secret",
        max_length=255,
        strip=True,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        help_text="Starts with whsec_. Shown in Stripe under the endpoint's details.",
    )

    def clean_secret(self) -> str:
        secret: str = self.cleaned_data["secret"]
        if not secret.startswith("whsec_"):
            raise forms.ValidationError("A signing secret starts with whsec_.")
        return secret

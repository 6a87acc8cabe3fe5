from __future__ import annotations

from django.urls import path

from connections import webhooks

app_name = "webhooks"

urlpatterns = [
    path("stripe/", webhooks.stripe_platform, name="stripe"),
    path("stripe/<str:token>/", webhooks.stripe_connection, name="stripe_connection"),
    path("quickbooks/", webhooks.quickbooks, name="quickbooks"),
]

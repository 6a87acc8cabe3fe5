from __future__ import annotations

from django.urls import path

from api import dashboard

app_name = "api"

urlpatterns = [
    path("o/<slug:slug>/settings/api-keys/", dashboard.key_list, name="keys"),
    path("o/<slug:slug>/settings/api-keys/new/", dashboard.key_create, name="key_create"),
    path(
        "o/<slug:slug>/settings/api-keys/<int:pk>/revoke/", dashboard.key_revoke, name="key_revoke"
    ),
]

from __future__ import annotations

from django.urls import path

from api import dashboard, partner_dashboard

app_name = "api"

urlpatterns = [
    path("o/<slug:slug>/settings/api-keys/", dashboard.key_list, name="keys"),
    path("o/<slug:slug>/settings/api-keys/new/", dashboard.key_create, name="key_create"),
    path(
        "o/<slug:slug>/settings/api-keys/<int:pk>/revoke/", dashboard.key_revoke, name="key_revoke"
    ),
    path(
        "o/<slug:slug>/settings/partners/<int:pk>/remove/",
        dashboard.partner_remove,
        name="org_partner_remove",
    ),
    # Partners belong to a user, not to an organisation (api/partner_dashboard.py).
    path("partners/", partner_dashboard.partner_list, name="partners"),
    path("partners/new/", partner_dashboard.partner_create, name="partner_create"),
    path("partners/<int:pk>/", partner_dashboard.partner_detail, name="partner"),
    path(
        "partners/<int:pk>/keys/new/",
        partner_dashboard.partner_key_create,
        name="partner_key_create",
    ),
    path(
        "partners/<int:pk>/keys/<int:key_pk>/revoke/",
        partner_dashboard.partner_key_revoke,
        name="partner_key_revoke",
    ),
    path("partners/<int:pk>/rename/", partner_dashboard.partner_rename, name="partner_rename"),
    path("partners/<int:pk>/delete/", partner_dashboard.partner_delete, name="partner_delete"),
    path(
        "partners/<int:pk>/organisations/add/",
        partner_dashboard.partner_manage,
        name="partner_manage",
    ),
    path(
        "partners/<int:pk>/organisations/<slug:slug>/remove/",
        partner_dashboard.partner_unmanage,
        name="partner_unmanage",
    ),
]

from __future__ import annotations

from django.urls import path

from tenants import views

app_name = "tenants"

urlpatterns = [
    path("clients/", views.clients, name="clients"),
    path("orgs/new/", views.tenant_create, name="create"),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("o/<slug:slug>/", views.dashboard, name="dashboard"),
    path("o/<slug:slug>/settings/", views.tenant_settings, name="settings"),
    path("o/<slug:slug>/members/", views.members, name="members"),
    path("o/<slug:slug>/members/invite/", views.invitation_create, name="invitation_create"),
    path("o/<slug:slug>/members/<int:pk>/role/", views.member_role, name="member_role"),
    path("o/<slug:slug>/members/<int:pk>/remove/", views.member_remove, name="member_remove"),
    path(
        "o/<slug:slug>/invitations/<int:pk>/resend/",
        views.invitation_resend,
        name="invitation_resend",
    ),
    path(
        "o/<slug:slug>/invitations/<int:pk>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
]

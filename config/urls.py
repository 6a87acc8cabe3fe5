from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from connections import views as connection_views
from tenants import views as tenant_views

urlpatterns = [
    path("", tenant_views.home, name="home"),
    path("healthz", tenant_views.healthz, name="healthz"),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("webhooks/", include("connections.urls_webhooks")),
    path("api/v1/", include("api.urls")),
    path("", include("api.urls_dashboard")),
    path("", include("tenants.urls")),
    path("", include("connections.urls")),
    path("", include("syncs.urls")),
    path("", include("partner_hooks.urls")),
    path("connect/<str:token>/", connection_views.client_connect, name="client_connect"),
    path(
        "connect/<str:token>/<str:provider>/",
        connection_views.client_start,
        name="client_connect_start",
    ),
]

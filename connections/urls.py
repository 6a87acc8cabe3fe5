from __future__ import annotations

from django.urls import path

from connections import views

app_name = "connections"

urlpatterns = [
    path("o/<slug:slug>/connections/", views.connection_list, name="list"),
    path(
        "o/<slug:slug>/connections/stripe/<str:flow>/start/",
        views.stripe_start,
        name="stripe_start",
    ),
    path("o/<slug:slug>/connections/stripe/key/", views.stripe_key, name="stripe_key"),
    path(
        "o/<slug:slug>/connections/quickbooks/start/",
        views.quickbooks_start,
        name="quickbooks_start",
    ),
    path("o/<slug:slug>/connections/<int:pk>/disconnect/", views.disconnect, name="disconnect"),
    path(
        "o/<slug:slug>/connections/<int:pk>/webhook-secret/",
        views.webhook_secret,
        name="webhook_secret",
    ),
    path("o/<slug:slug>/connections/links/", views.link_create, name="link_create"),
    path("o/<slug:slug>/connections/links/<int:pk>/revoke/", views.link_revoke, name="link_revoke"),
    path("connections/stripe/callback/", views.stripe_callback, name="stripe_callback"),
    path("connections/quickbooks/callback/", views.quickbooks_callback, name="quickbooks_callback"),
    path(
        "connections/quickbooks/disconnected/",
        views.quickbooks_disconnected,
        name="quickbooks_disconnected",
    ),
    path(
        "connections/quickbooks/reconnect/", views.quickbooks_reconnect, name="quickbooks_reconnect"
    ),
]

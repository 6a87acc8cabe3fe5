from __future__ import annotations

from django.urls import path

from partner_hooks import views

app_name = "partner_hooks"

urlpatterns = [
    path("o/<slug:slug>/settings/webhooks/", views.webhooks, name="webhooks"),
    path("o/<slug:slug>/settings/webhooks/new/", views.endpoint_create, name="endpoint_create"),
    path(
        "o/<slug:slug>/settings/webhooks/<int:pk>/roll-secret/",
        views.endpoint_roll_secret,
        name="endpoint_roll_secret",
    ),
    path(
        "o/<slug:slug>/settings/webhooks/<int:pk>/active/",
        views.endpoint_set_active,
        name="endpoint_set_active",
    ),
    path(
        "o/<slug:slug>/settings/webhooks/<int:pk>/delete/",
        views.endpoint_delete,
        name="endpoint_delete",
    ),
    path(
        "o/<slug:slug>/settings/webhooks/<int:pk>/test/",
        views.endpoint_send_test,
        name="endpoint_send_test",
    ),
    path(
        "o/<slug:slug>/settings/webhooks/deliveries/<int:pk>/retry/",
        views.delivery_retry,
        name="delivery_retry",
    ),
]

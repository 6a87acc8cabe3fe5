from __future__ import annotations

from django.urls import path

from syncs import pages, views

app_name = "syncs"

urlpatterns = [
    path("o/<slug:slug>/syncs/", views.run_list, name="run_list"),
    path("o/<slug:slug>/syncs/backfill/", views.run_start, name="run_start"),
    path("o/<slug:slug>/syncs/<int:pk>/", views.run_detail, name="run_detail"),
    path("o/<slug:slug>/setup/", pages.setup_page, name="setup"),
    path("o/<slug:slug>/setup/link/", pages.profile_create, name="profile_create"),
    path("o/<slug:slug>/setup/<int:pk>/autosetup/", pages.profile_autosetup, name="autosetup"),
    path("o/<slug:slug>/setup/<int:pk>/schedule/", pages.profile_schedule, name="schedule"),
    path("o/<slug:slug>/setup/<int:pk>/mappings/", pages.mapping_page, name="mappings"),
    path(
        "o/<slug:slug>/setup/<int:pk>/mappings/choose/", pages.mapping_choose, name="mapping_choose"
    ),
    path(
        "o/<slug:slug>/setup/<int:pk>/mappings/products/",
        pages.mapping_product,
        name="mapping_product",
    ),
    path(
        "o/<slug:slug>/setup/<int:pk>/mappings/products/remove/",
        pages.mapping_product_remove,
        name="mapping_product_remove",
    ),
    path("o/<slug:slug>/setup/<int:pk>/mappings/guest/", pages.mapping_guest, name="mapping_guest"),
    path(
        "o/<slug:slug>/setup/<int:pk>/mappings/refresh/",
        pages.mapping_refresh,
        name="mapping_refresh",
    ),
    path("o/<slug:slug>/setup/<int:pk>/customers/", pages.customer_policy, name="customer_policy"),
    path("o/<slug:slug>/documents/", pages.documents, name="documents"),
    path("o/<slug:slug>/documents/<int:pk>/", pages.document_detail, name="document_detail"),
    path("o/<slug:slug>/documents/<int:pk>/retry/", pages.document_retry, name="document_retry"),
    path("o/<slug:slug>/documents/<int:pk>/ignore/", pages.document_ignore, name="document_ignore"),
    path("o/<slug:slug>/tie-out/", pages.tie_out, name="tie_out"),
    path("o/<slug:slug>/errors/", pages.error_inbox, name="errors"),
    path("o/<slug:slug>/errors/<str:key>/retry/", pages.error_group_retry, name="error_retry"),
]

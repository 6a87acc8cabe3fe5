from __future__ import annotations

from django.urls import path

from syncs import views

app_name = "syncs"

urlpatterns = [
    path("o/<slug:slug>/syncs/", views.run_list, name="run_list"),
    path("o/<slug:slug>/syncs/backfill/", views.run_start, name="run_start"),
    path("o/<slug:slug>/syncs/<int:pk>/", views.run_detail, name="run_detail"),
]

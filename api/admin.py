from __future__ import annotations

from django.contrib import admin

from api.models import ApiKey, Partner


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "created"]
    search_fields = ["name"]
    filter_horizontal = ["tenants"]
    raw_id_fields = ["owner"]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["prefix", "name", "kind", "tenant", "partner", "access", "last_used_at"]
    list_filter = ["kind", "access"]
    search_fields = ["prefix", "name"]
    # Keys are created in the dashboard (or `manage.py partner_key`): never here.
    readonly_fields = ["prefix", "token_hash", "kind", "tenant", "partner", "last_used_at"]

    def has_add_permission(self, request: object) -> bool:
        return False

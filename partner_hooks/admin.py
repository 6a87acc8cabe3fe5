from __future__ import annotations

from django.contrib import admin

from partner_hooks.models import Delivery, WebhookEndpoint, WebhookEvent


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["url", "tenant", "active", "created"]
    exclude = ["secret"]  # never shown again after creation


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["event_id", "type", "tenant", "created"]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["event", "endpoint", "state", "attempts", "last_status", "next_attempt_at"]
    exclude = ["lease_holder"]

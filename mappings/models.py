"""Which QuickBooks company a Stripe account posts into, and the QuickBooks objects it uses."""

from __future__ import annotations

import calendar
from datetime import time

from django.db import models
from django.utils import timezone

from connections.models import Connection
from mappings.defaults import CustomerPolicy
from tenants.models import Tenant


class ProfileQuerySet(models.QuerySet["SyncProfile"]):
    def for_tenant(self, tenant: Tenant) -> ProfileQuerySet:
        return self.filter(tenant=tenant)


class SyncProfile(models.Model):
    """One Stripe account posting into one QuickBooks company, and how."""

    class ClosedPeriod(models.TextChoices):
        FIRST_OPEN_DATE = "first_open_date", "Post on the first open date, with a note"
        HOLD = "hold", "Hold for my approval"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="sync_profiles")
    stripe = models.OneToOneField(Connection, on_delete=models.CASCADE, related_name="profile")
    quickbooks = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="profiles")
    customer_policy = models.CharField(
        max_length=20,
        choices=[(p.value, p.value.replace("_", " ").capitalize()) for p in CustomerPolicy],
        default=CustomerPolicy.SINGLE,
    )
    closed_period = models.CharField(
        max_length=20, choices=ClosedPeriod.choices, default=ClosedPeriod.FIRST_OPEN_DATE
    )

    class Schedule(models.TextChoices):
        REAL_TIME = "real_time", "Real time, with a safety-net scan"
        DAILY = "daily", "Once a day"
        WEEKLY = "weekly", "Once a week"

    schedule = models.CharField(max_length=16, choices=Schedule.choices, default=Schedule.REAL_TIME)
    scan_every_minutes = models.PositiveIntegerField(
        default=30, help_text="Real time: how often the safety-net scan re-reads Stripe."
    )
    # Batch schedules run at this time in the organisation's time zone (weekly: on this day).
    batch_time = models.TimeField(default=time(6, 0))
    batch_weekday = models.PositiveSmallIntegerField(
        default=0, choices=[(i, day) for i, day in enumerate(calendar.day_name)]
    )
    created = models.DateTimeField(default=timezone.now)

    objects = ProfileQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.stripe} → {self.quickbooks}"


class QboRef(models.Model):
    """A QuickBooks object the planner posts to, per purpose (and currency where it varies)."""

    profile = models.ForeignKey(SyncProfile, on_delete=models.CASCADE, related_name="refs")
    purpose = models.CharField(max_length=40)
    currency = models.CharField(max_length=3, blank=True)
    entity = models.CharField(max_length=20, default="Account")
    qbo_id = models.CharField(max_length=32)
    qbo_name = models.CharField(max_length=200)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["profile", "purpose", "currency"], name="one_ref_per_purpose"
            )
        ]

    def __str__(self) -> str:
        return f"{self.purpose} {self.currency} → {self.qbo_name}"


class ProductItem(models.Model):
    """A Stripe product posted to its own QuickBooks item (unmapped products use "Stripe Sales")."""

    profile = models.ForeignKey(SyncProfile, on_delete=models.CASCADE, related_name="product_items")
    stripe_product = models.CharField(max_length=64)
    stripe_name = models.CharField(max_length=250, blank=True)
    qbo_id = models.CharField(max_length=32)
    qbo_name = models.CharField(max_length=200)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["profile", "stripe_product"], name="one_item_per_product"
            )
        ]

    def __str__(self) -> str:
        return f"{self.stripe_product} → {self.qbo_name}"

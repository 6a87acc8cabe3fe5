"""API keys (per organisation, or per partner across the organisations it manages) and the
Idempotency-Key store.

A key is shown once; only its SHA-256 is stored, with a visible prefix to tell keys apart.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from tenants.models import Tenant


class Partner(models.Model):
    """A platform that embeds Tieout, or an in-house team, managing several organisations.

    Organisations a partner creates through the API are owned by `owner` (a dashboard user of
    the partner) and managed by the partner from then on.
    """

    name = models.CharField(max_length=120)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="partners"
    )
    tenants = models.ManyToManyField(Tenant, related_name="partners", blank=True)
    created = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name


class ApiKeyQuerySet(models.QuerySet["ApiKey"]):
    def for_tenant(self, tenant: Tenant) -> ApiKeyQuerySet:
        return self.filter(tenant=tenant)

    def active(self) -> ApiKeyQuerySet:
        return self.filter(revoked_at__isnull=True)


class ApiKey(models.Model):
    class Kind(models.TextChoices):
        ORGANISATION = "organisation", "Organisation"
        PARTNER = "partner", "Partner"

    class Access(models.TextChoices):
        READ = "read", "Read only"
        READ_WRITE = "read_write", "Read and write"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, null=True, blank=True, related_name="api_keys"
    )
    partner = models.ForeignKey(
        Partner, on_delete=models.CASCADE, null=True, blank=True, related_name="api_keys"
    )
    access = models.CharField(max_length=16, choices=Access.choices)
    name = models.CharField(max_length=80, help_text="What the key is for, e.g. 'Billing sync'.")
    # The first characters of the key (`tk_org_AbC123xy`), to recognise it in lists and logs.
    prefix = models.CharField(max_length=24)
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(kind="organisation", tenant__isnull=False, partner__isnull=True)
                    | models.Q(kind="partner", partner__isnull=False, tenant__isnull=True)
                ),
                name="api_key_belongs_to_one_owner",
            )
        ]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"

    @property
    def can_write(self) -> bool:
        return self.access == self.Access.READ_WRITE


class IdempotencyRecord(models.Model):
    """One POST made with an Idempotency-Key: the answer is replayed for a repeat.

    `status_code` stays null while the first request is still being handled, so a concurrent
    repeat can be told apart from a finished one.
    """

    principal = models.CharField(max_length=40, help_text="key:<id> or user:<id>.")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    body = models.JSONField(null=True, blank=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["principal", "key"], name="one_answer_per_key")
        ]
        indexes = [models.Index(fields=["created"])]

    def __str__(self) -> str:
        return f"{self.principal} {self.key}"

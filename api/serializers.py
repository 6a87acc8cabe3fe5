"""Shapes only (style rule 7): what the API accepts and returns. Services decide.

Conventions: times are ISO 8601 with their zone (UTC, `Z`); money is
`{"amount": <integer minor units>, "currency": "usd"}`; ids are integers, organisations are
addressed by slug.
"""

from __future__ import annotations

import re
import zoneinfo
from datetime import time
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.models import ApiKey
from connections.models import Connection, ConnectLink
from mappings.defaults import CustomerPolicy
from mappings.models import ProductItem, QboRef, SyncProfile
from syncs.models import OutboxDocument, Reconciliation, SyncRun
from tenants.forms import LOCALES
from tenants.models import Invitation, Membership, Tenant
from tenants.roles import Role

TIME_ZONES = sorted(zoneinfo.available_timezones())


class ProblemFieldSerializer(serializers.Serializer):
    field = serializers.CharField(required=False, help_text="Dotted path of the field.")
    detail = serializers.CharField()


class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details."""

    type = serializers.CharField(default="about:blank")
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField(required=False)
    code = serializers.CharField(required=False, help_text="A machine-readable word.")
    errors = ProblemFieldSerializer(many=True, required=False)


class MoneySerializer(serializers.Serializer):
    amount = serializers.IntegerField(help_text="Integer minor units (cents for usd).")
    currency = serializers.CharField(help_text="ISO 4217 code, lower case.")


def money(amount: int, currency: str) -> dict[str, Any]:
    return {"amount": int(amount), "currency": currency.lower()}


# --- Organisations, members, invitations ---------------------------------------------------


class OrganisationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tenant
        fields = ["slug", "name", "time_zone", "locale", "created"]


class OrganisationCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    time_zone = serializers.ChoiceField(choices=TIME_ZONES, default="UTC")
    locale = serializers.ChoiceField(choices=[code for code, _ in LOCALES], default="en-US")

    def validate_name(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError("Enter a name.")
        return value


class OrganisationUpdateSerializer(OrganisationCreateSerializer):
    name = serializers.CharField(max_length=120, required=False)
    time_zone = serializers.ChoiceField(choices=TIME_ZONES, required=False)
    locale = serializers.ChoiceField(choices=[code for code, _ in LOCALES], required=False)


class MemberSerializer(serializers.ModelSerializer):
    email = serializers.EmailField(source="user.email")
    joined = serializers.DateTimeField(source="created")

    class Meta:
        model = Membership
        fields = ["id", "email", "role", "joined"]


class RoleSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)


class InvitationSerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(choices=Invitation.Status.choices, read_only=True)

    class Meta:
        model = Invitation
        fields = ["id", "email", "role", "status", "created", "sent_at", "expires_at"]


class InvitationCreateSerializer(serializers.Serializer):
    email = serializers.EmailField()
    role = serializers.ChoiceField(choices=Role.choices, default=Role.ACCOUNTANT)


# --- Connections ------------------------------------------------------------------------------


class ConnectionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Connection
        # Never a token, key or secret.
        fields = [
            "id",
            "provider",
            "method",
            "external_id",
            "display_name",
            "livemode",
            "status",
            "last_error",
            "home_currency",
            "created",
            "disconnected_at",
        ]


class DisconnectSerializer(serializers.Serializer):
    connection = ConnectionSerializer()
    note = serializers.CharField(help_text="Set when the provider could not be told.")


class ConnectLinkSerializer(serializers.ModelSerializer):
    usable = serializers.BooleanField(source="is_usable", read_only=True)

    class Meta:
        model = ConnectLink
        fields = ["id", "created", "expires_at", "last_used_at", "revoked_at", "usable"]


class IssuedConnectLinkSerializer(ConnectLinkSerializer):
    url = serializers.URLField(help_text="Shown once: hand it to the client; only a hash is kept.")

    class Meta(ConnectLinkSerializer.Meta):
        fields = [*ConnectLinkSerializer.Meta.fields, "url"]


# --- Mappings --------------------------------------------------------------------------------


class RefSerializer(serializers.ModelSerializer):
    class Meta:
        model = QboRef
        fields = ["purpose", "currency", "entity", "qbo_id", "qbo_name"]


LOCAL_TIME = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


@extend_schema_field({"type": "string", "pattern": LOCAL_TIME.pattern, "example": "06:30"})
class LocalTimeField(serializers.CharField):
    """A time of day in the organisation's time zone, "HH:MM" (no offset: it is local)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", "HH:MM, in the organisation's time zone.")
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> time:  # type: ignore[override]
        value = super().to_internal_value(data)
        if not LOCAL_TIME.match(value):
            raise serializers.ValidationError("Use HH:MM, like 06:30.")
        return time(int(value[:2]), int(value[3:]))

    def to_representation(self, value: time) -> str:
        return value.strftime("%H:%M")


class ProductItemSerializer(serializers.ModelSerializer):
    product_id = serializers.CharField(source="stripe_product", help_text="prod_…")
    product_name = serializers.CharField(source="stripe_name")

    class Meta:
        model = ProductItem
        fields = ["product_id", "product_name", "qbo_id", "qbo_name"]


class MappingSerializer(serializers.ModelSerializer):
    stripe_connection = serializers.IntegerField(source="stripe_id")
    batch_time = LocalTimeField()
    product_items = ProductItemSerializer(many=True, help_text="Products with their own item.")
    quickbooks_connection = serializers.IntegerField(source="quickbooks_id")
    refs = RefSerializer(many=True)

    class Meta:
        model = SyncProfile
        fields = [
            "id",
            "stripe_connection",
            "quickbooks_connection",
            "schedule",
            "scan_every_minutes",
            "batch_time",
            "batch_weekday",
            "closed_period",
            "customer_policy",
            "created",
            "refs",
            "product_items",
        ]


class MappingCreateSerializer(serializers.Serializer):
    stripe_connection = serializers.IntegerField(min_value=1)
    quickbooks_connection = serializers.IntegerField(min_value=1)


class MappingUpdateSerializer(serializers.Serializer):
    schedule = serializers.ChoiceField(choices=SyncProfile.Schedule.choices, required=False)
    scan_every_minutes = serializers.IntegerField(min_value=5, max_value=24 * 60, required=False)
    batch_time = LocalTimeField(required=False)
    batch_weekday = serializers.IntegerField(min_value=0, max_value=6, required=False)
    closed_period = serializers.ChoiceField(
        choices=SyncProfile.ClosedPeriod.choices, required=False
    )
    customer_policy = serializers.ChoiceField(
        choices=[p.value for p in CustomerPolicy], required=False
    )


class RefChoiceSerializer(serializers.Serializer):
    purpose = serializers.CharField(
        max_length=40,
        help_text="An account purpose (clearing, fees, refunds, …), vendor, sales_item or "
        "guest_customer.",
    )
    currency = serializers.CharField(
        max_length=3,
        required=False,
        default="",
        allow_blank=True,
        help_text="For per-currency purposes (clearing, payout_bank, vendor, guest_customer).",
    )
    qbo_id = serializers.CharField(
        max_length=32, required=False, default="", allow_blank=True, help_text="QuickBooks id."
    )
    name = serializers.CharField(
        max_length=100,
        required=False,
        default="",
        allow_blank=True,
        help_text="guest_customer only: the customer's display name in QuickBooks.",
    )


class ProductChoiceSerializer(serializers.Serializer):
    product_id = serializers.CharField(max_length=64, help_text="The Stripe product, prod_…")
    qbo_id = serializers.CharField(max_length=32, help_text="The QuickBooks item.")
    product_name = serializers.CharField(max_length=250, required=False, default="")


class AutosetupSerializer(serializers.Serializer):
    created = serializers.ListField(child=serializers.CharField())
    reused = serializers.ListField(child=serializers.CharField())
    problems = serializers.ListField(child=serializers.CharField())
    mapping = MappingSerializer()


# --- Syncs -----------------------------------------------------------------------------------


class ProgressSerializer(serializers.Serializer):
    done = serializers.IntegerField()
    total = serializers.IntegerField()
    percent = serializers.IntegerField(min_value=0, max_value=100)


class SyncRunSerializer(serializers.ModelSerializer):
    connection = serializers.IntegerField(source="connection_id")
    progress = serializers.SerializerMethodField()
    problems = serializers.ListField(child=serializers.CharField())

    class Meta:
        model = SyncRun
        fields = [
            "id",
            "connection",
            "kind",
            "trigger",
            "status",
            "range_start",
            "range_end",
            "progress",
            "transactions_seen",
            "transactions_new",
            "payouts_linked",
            "documents_planned",
            "documents_posted",
            "documents_waiting",
            "documents_needing_action",
            "problems",
            "error",
            "created",
            "started_at",
            "finished_at",
        ]

    @extend_schema_field(ProgressSerializer)
    def get_progress(self, run: SyncRun) -> dict[str, int]:
        return {"done": run.progress_done, "total": run.progress_total, "percent": run.percent}


class SyncRunCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=[SyncRun.Kind.BACKFILL.value, SyncRun.Kind.MANUAL.value],
        help_text="backfill: a date range; manual: 'sync now' (the last three days).",
    )
    connection = serializers.IntegerField(
        min_value=1,
        required=False,
        help_text="The Stripe connection; may be left out when there is only one.",
    )
    start = serializers.DateField(
        required=False, help_text="Backfill: first day, in the organisation's time zone."
    )
    end = serializers.DateField(required=False, help_text="Backfill: the day after the last.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["kind"] == SyncRun.Kind.BACKFILL:
            missing = {name: ["Required for a backfill."] for name in ("start", "end")}
            missing = {name: error for name, error in missing.items() if name not in attrs}
            if missing:
                raise serializers.ValidationError(missing)
            if attrs["start"] >= attrs["end"]:
                raise serializers.ValidationError({"end": ["Choose a day after the start."]})
        return attrs


# --- Documents and errors -------------------------------------------------------------------


class LineageSerializer(serializers.Serializer):
    balance_transaction = serializers.CharField(allow_null=True, help_text="txn_…")
    type = serializers.CharField(allow_null=True, help_text="Balance transaction type.")
    source = serializers.CharField(allow_null=True, help_text="ch_…, re_…, dp_…")
    source_type = serializers.CharField(allow_null=True)
    payout = serializers.CharField(allow_null=True, help_text="po_…")
    net = MoneySerializer(allow_null=True)


class DocumentSerializer(serializers.ModelSerializer):
    type = serializers.CharField(source="entity", help_text="QuickBooks entity.")
    quickbooks_connection = serializers.IntegerField(source="quickbooks_id")
    amount = serializers.SerializerMethodField()
    stripe = serializers.SerializerMethodField()

    class Meta:
        model = OutboxDocument
        fields = [
            "id",
            "type",
            "role",
            "doc_number",
            "status",
            "amount",
            "quickbooks_connection",
            "qbo_id",
            "stripe",
            "attempts",
            "last_error",
            "created",
            "sent_at",
            "posted_at",
        ]

    @extend_schema_field(MoneySerializer)
    def get_amount(self, row: OutboxDocument) -> dict[str, Any]:
        return money(row.amount, row.currency)

    @extend_schema_field(LineageSerializer)
    def get_stripe(self, row: OutboxDocument) -> dict[str, Any]:
        txn = row.balance_transaction
        if txn is None:
            keys = ["balance_transaction", "type", "source", "source_type", "payout", "net"]
            return dict.fromkeys(keys)
        return {
            "balance_transaction": txn.stripe_id,
            "type": txn.type,
            "source": txn.source_id or None,
            "source_type": txn.source_type or None,
            "payout": txn.payout.stripe_id if txn.payout else None,
            "net": money(txn.net, txn.currency),
        }


class DocumentDetailSerializer(DocumentSerializer):
    related_documents = serializers.SerializerMethodField(
        help_text="Other documents planned from the same balance transaction."
    )
    quickbooks_body = serializers.CharField(
        source="body", help_text="The QuickBooks entity as posted (JSON text, exact decimals)."
    )

    class Meta(DocumentSerializer.Meta):
        fields = [*DocumentSerializer.Meta.fields, "related_documents", "quickbooks_body"]

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_related_documents(self, row: OutboxDocument) -> list[int]:
        if row.balance_transaction_id is None:
            return []
        siblings = OutboxDocument.objects.filter(
            tenant_id=row.tenant_id, balance_transaction_id=row.balance_transaction_id
        ).exclude(pk=row.pk)
        return list(siblings.order_by("pk").values_list("pk", flat=True))


class DocumentFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=OutboxDocument.Status.choices, required=False)
    type = serializers.CharField(
        max_length=32, required=False, help_text="QuickBooks entity, e.g. SalesReceipt."
    )
    created_after = serializers.DateTimeField(required=False, help_text="ISO 8601, inclusive.")
    created_before = serializers.DateTimeField(required=False, help_text="ISO 8601, exclusive.")
    stripe_id = serializers.CharField(
        max_length=64,
        required=False,
        help_text="A balance transaction, its source (charge, refund, dispute) or its payout.",
    )


class RetrySerializer(serializers.Serializer):
    retried = serializers.IntegerField(help_text="Documents that will be posted again.")


class IgnoreSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200, help_text="Why; the next accountant will ask.")

    def validate_reason(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError("Say why you ignore it.")
        return value.strip()


class IgnoredSerializer(serializers.Serializer):
    ignored = serializers.IntegerField(help_text="Documents that will not be posted.")


class ErrorGroupSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="Stable while the cause is the same.")
    cause = serializers.CharField()
    status = serializers.ChoiceField(choices=OutboxDocument.Status.choices)
    count = serializers.IntegerField()
    documents = serializers.ListField(child=serializers.IntegerField())
    first_seen = serializers.DateTimeField()


# --- Tie-out ---------------------------------------------------------------------------------


class TieOutSerializer(serializers.ModelSerializer):
    stripe_connection = serializers.IntegerField(source="stripe_id")
    stripe_amount = serializers.SerializerMethodField()
    quickbooks_amount = serializers.SerializerMethodField()
    difference = serializers.SerializerMethodField()

    class Meta:
        model = Reconciliation
        fields = [
            "id",
            "kind",
            "subject",
            "stripe_connection",
            "stripe_amount",
            "quickbooks_amount",
            "difference",
            "ok",
            "explanation",
            "checked_at",
        ]

    @extend_schema_field(MoneySerializer)
    def get_stripe_amount(self, row: Reconciliation) -> dict[str, Any]:
        return money(row.stripe_amount, row.currency)

    @extend_schema_field(MoneySerializer)
    def get_quickbooks_amount(self, row: Reconciliation) -> dict[str, Any]:
        return money(row.quickbooks_amount, row.currency)

    @extend_schema_field(MoneySerializer)
    def get_difference(self, row: Reconciliation) -> dict[str, Any]:
        return money(row.difference, row.currency)


class TieOutFilterSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Reconciliation.Kind.choices, required=False)
    ok = serializers.BooleanField(required=False, allow_null=True, default=None)


class ApiKeySerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiKey
        fields = ["id", "kind", "name", "prefix", "access", "created", "last_used_at"]


# --- Outgoing webhooks (partner_hooks) -------------------------------------------------------


class WebhookEndpointSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.URLField()
    description = serializers.CharField()
    event_types = serializers.ListField(
        child=serializers.CharField(), help_text="Empty: every event type."
    )
    active = serializers.BooleanField()
    created = serializers.DateTimeField()
    secret_rolled_at = serializers.DateTimeField(allow_null=True)


class IssuedWebhookEndpointSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(
        help_text="Shown once: verify each delivery's signature with it."
    )


class WebhookEndpointCreateSerializer(serializers.Serializer):
    url = serializers.URLField(max_length=500)
    description = serializers.CharField(max_length=200, required=False, default="")
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=["sync.finished", "error.raised", "tie_out.broken"]),
        required=False,
        default=list,
        help_text="Leave out for every event type.",
    )


class WebhookEndpointUpdateSerializer(serializers.Serializer):
    active = serializers.BooleanField(
        required=False,
        help_text="false turns the endpoint off: no deliveries for new events, and waiting "
        "ones give up at their next attempt. true turns it back on.",
    )
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=["sync.finished", "error.raised", "tie_out.broken"]),
        required=False,
        help_text="Empty for every event type.",
    )


class WebhookEventRefSerializer(serializers.Serializer):
    id = serializers.CharField(source="event_id", help_text="evt_…, also in the signed body.")
    type = serializers.CharField()
    created = serializers.DateTimeField()


class DeliverySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    endpoint = serializers.IntegerField(source="endpoint_id")
    event = WebhookEventRefSerializer()
    state = serializers.CharField()
    attempts = serializers.IntegerField()
    next_attempt_at = serializers.DateTimeField()
    last_status = serializers.IntegerField(allow_null=True, help_text="Your endpoint's answer.")
    last_error = serializers.CharField()
    last_duration_ms = serializers.IntegerField(allow_null=True)
    last_attempt_at = serializers.DateTimeField(allow_null=True)
    delivered_at = serializers.DateTimeField(allow_null=True)
    created = serializers.DateTimeField()

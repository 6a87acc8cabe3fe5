"""Customer matching in per-transaction mode (docs/accounting.md §5).

Before a batch of sales and refunds is planned, every Stripe customer in it gets its QBO
customer, per settlement currency (QBO fixes a customer's currency):

1. our own link table (`CustomerLink`): no QuickBooks call at all;
2. with the "match by email" policy, an active QBO customer with the same email and currency,
   from a per-company email index loaded once (paged `Customer` queries) and kept for
   `EMAIL_INDEX_TTL` — never a query per charge;
3. else a new customer, created through the outbox like any other write (deterministic key and
   requestid, posted before the documents that name it). QuickBooks answers "name taken"
   (6240) for a name in use: the poster tries the next candidate ("name", "name (email)",
   "name (cus_…)"), or adopts the customer if it is the one we created (its Notes carry our
   tag), so a lost answer never makes a second customer.

Charges without a Stripe customer, and the "single customer" policy, use the guest customer.
A linked customer deleted or made inactive in QuickBooks is noticed when a document naming it
is refused (610 / 2500): the link is dropped and the document matched again (`customer_gone`).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import stripe
from django.db.models import F, Value
from django.db.models.functions import Concat
from django.utils import timezone

from connections import services as connection_services
from connections.models import Connection
from connections.providers.errors import ProviderError
from connections.providers.quickbooks import client as qbo
from mappings.defaults import CustomerPolicy, Ref
from mappings.models import SyncProfile
from mappings.resolve import customer_display_names
from syncs.ledger import CustomerInfo
from syncs.models import CustomerLink, OutboxDocument, SourceObject
from syncs.planner import canonical_json

logger = logging.getLogger(__name__)

ROLE = "customer"
EMAIL_INDEX_TTL = 15 * 60.0  # seconds
PAGE = 1000  # QBO's MAXRESULTS ceiling
# Which balance transactions name a customer: SalesReceipt (charge) and RefundReceipt (refund).
CUSTOMER_CATEGORIES = frozenset({"charge", "refund"})

Key = tuple[str, str]  # (Stripe customer id, settlement currency)
Status = OutboxDocument.Status


@dataclass
class Resolved:
    """The customers of one planning pass: refs to post with, or why a sale must wait."""

    refs: dict[Key, Ref] = field(default_factory=dict)
    by_txn: dict[str, Ref] = field(default_factory=dict)  # refunds: their sale's customer
    waiting: dict[Key, str] = field(default_factory=dict)
    needs_action: dict[Key, str] = field(default_factory=dict)


# ---- the email index (a per-process cache, per QuickBooks company) --------------------------


@dataclass
class _EmailIndex:
    loaded_at: float
    by_email: dict[Key, Ref]  # (email casefolded, currency) → the oldest such active customer


_emails: dict[int, _EmailIndex] = {}
_emails_lock = threading.Lock()


def email_index_clear(quickbooks_id: int | None = None) -> None:
    with _emails_lock:
        if quickbooks_id is None:
            _emails.clear()
        else:
            _emails.pop(quickbooks_id, None)


def _email_index(company: Connection) -> _EmailIndex:
    with _emails_lock:
        index = _emails.get(company.pk)
    if index is not None and time.monotonic() - index.loaded_at < EMAIL_INDEX_TTL:
        return index
    home = (company.home_currency or "usd").lower()
    by_email: dict[Key, tuple[int, Ref]] = {}
    start = 1
    while True:
        # Numbers only in the statement: nothing to quote.
        statement = f"SELECT * FROM Customer WHERE Active = true ORDERBY Id STARTPOSITION {start} MAXRESULTS {PAGE}"  # noqa: E501, S608
        page = connection_services.quickbooks_call(
            connection_id=company.pk, call=lambda t, r, s=statement: qbo.query(t, r, s)
        )
        for customer in page:
            email = str((customer.get("PrimaryEmailAddr") or {}).get("Address") or "")
            if not email or customer.get("Active") is False:
                continue
            currency = str((customer.get("CurrencyRef") or {}).get("value") or home).lower()
            ref = Ref(str(customer["Id"]), str(customer.get("DisplayName", "")))
            key = (email.strip().casefold(), currency)
            order = int(ref.value) if ref.value.isdigit() else 1 << 62
            if key not in by_email or order < by_email[key][0]:
                by_email[key] = (order, ref)
        if len(page) < PAGE:
            break
        start += PAGE
    index = _EmailIndex(time.monotonic(), {k: ref for k, (_, ref) in by_email.items()})
    with _emails_lock:
        _emails[company.pk] = index
    return index


def _remember_email(company_id: int, email: str, currency: str, ref: Ref) -> None:
    if not email:
        return
    with _emails_lock:
        index = _emails.get(company_id)
        if index is not None:
            index.by_email.setdefault((email.strip().casefold(), currency), ref)


def _forget_customer(company_id: int, qbo_id: str) -> None:
    with _emails_lock:
        index = _emails.get(company_id)
        if index is not None:
            for key in [k for k, ref in index.by_email.items() if ref.value == qbo_id]:
                del index.by_email[key]


# ---- resolving a batch -----------------------------------------------------------------------


def customers_resolve(
    *, profile: SyncProfile, policy: CustomerPolicy, wanted: dict[Key, CustomerInfo]
) -> Resolved:
    """The QBO customer of every (Stripe customer, currency) in `wanted` (§5)."""
    resolved = Resolved()
    if policy == CustomerPolicy.SINGLE or not wanted:
        return resolved
    company = profile.quickbooks
    links = _links(company, wanted)
    # A link with neither an id nor its create (the row was removed) starts again.
    stale = [key for key, link in links.items() if not link.qbo_id and link.outbox_id is None]
    if stale:
        CustomerLink.objects.filter(pk__in=[links[key].pk for key in stale]).delete()
        for key in stale:
            del links[key]
    _complete_created(links.values())
    missing: dict[Key, CustomerInfo] = {}
    for key, info in wanted.items():
        link = links.get(key)
        if link is None:
            missing[key] = info
        elif link.qbo_id:
            resolved.refs[key] = Ref(link.qbo_id, link.qbo_name)
    if missing:
        details = _details(profile, missing)
        if policy == CustomerPolicy.MATCH_BY_EMAIL:
            _match_by_email(profile, details, links, resolved)
        _plan_creates(profile, details, links, resolved)
    pending = [link for link in links.values() if not link.qbo_id and link.outbox_id]
    if pending:
        _post_creates(company, pending)
        _complete_created(pending)
    for key, link in links.items():
        if key not in wanted or key in resolved.refs:
            continue
        if link.qbo_id:
            resolved.refs[key] = Ref(link.qbo_id, link.qbo_name)
            _remember_email(company.pk, link.email, link.currency, resolved.refs[key])
        else:
            _explain_wait(key, link, resolved)
    return resolved


def _links(company: Connection, wanted: dict[Key, CustomerInfo]) -> dict[Key, CustomerLink]:
    ids = sorted({stripe_id for stripe_id, _ in wanted})
    found: dict[Key, CustomerLink] = {}
    for start in range(0, len(ids), 500):
        for link in CustomerLink.objects.filter(
            quickbooks=company, stripe_customer_id__in=ids[start : start + 500]
        ).select_related("outbox"):
            found[(link.stripe_customer_id, link.currency)] = link
    return found


def _complete_created(links: Iterable[CustomerLink]) -> None:
    """Links to customers we created get the QBO id once the create is posted (or adopted).

    Also what repairs a crash between posting the customer and writing the link.
    """
    done = [
        link
        for link in links
        if not link.qbo_id
        and link.outbox is not None
        and link.outbox.status == Status.POSTED
        and link.outbox.qbo_id
    ]
    for link in done:
        assert link.outbox is not None
        link.qbo_id = link.outbox.qbo_id
        link.qbo_name = str(link.outbox.payload.get("DisplayName", ""))
        link.updated_at = timezone.now()
    if done:
        CustomerLink.objects.bulk_update(done, ["qbo_id", "qbo_name", "updated_at"])


def _details(profile: SyncProfile, missing: dict[Key, CustomerInfo]) -> dict[Key, CustomerInfo]:
    """Name and email from the Stripe customer object (stored once, fetched if not yet), else
    the charge's billing details."""
    ids = sorted({stripe_id for stripe_id, _ in missing})
    stored = {
        s.stripe_id: s.raw
        for s in SourceObject.objects.filter(
            connection=profile.stripe, object_type="customer", stripe_id__in=ids
        )
    }
    unknown = [i for i in ids if i not in stored]
    if unknown:
        stored |= _fetch_stripe_customers(profile, unknown)
    details = {}
    for key, info in missing.items():
        raw = stored.get(key[0]) or {}
        details[key] = CustomerInfo(
            key[0],
            str(raw.get("name") or info.name or ""),
            str(raw.get("email") or info.email or ""),
        )
    return details


def _fetch_stripe_customers(profile: SyncProfile, ids: list[str]) -> dict[str, dict[str, Any]]:
    """One Stripe read per customer we have never seen (its sales are matched once)."""
    try:
        client = connection_services.stripe_client_for(profile.stripe)
    except ProviderError:
        return {}
    found: dict[str, dict[str, Any]] = {}
    for stripe_id in ids:
        try:
            raw = client.v1.customers.retrieve(stripe_id).to_dict(for_json=False)
        except stripe.StripeError as error:
            # The billing details of the charge will do; the link is made either way.
            logger.warning("Stripe customer %s not readable: %s", stripe_id, type(error).__name__)
            continue
        found[stripe_id] = raw
    SourceObject.objects.bulk_create(
        [
            SourceObject(
                tenant_id=profile.tenant_id,
                connection=profile.stripe,
                stripe_id=stripe_id,
                object_type="customer",
                customer_id=stripe_id,
                raw=raw,
            )
            for stripe_id, raw in found.items()
        ],
        update_conflicts=True,
        unique_fields=["connection", "stripe_id"],
        update_fields=["object_type", "customer_id", "raw", "updated_at"],
    )
    return found


def _match_by_email(
    profile: SyncProfile,
    details: dict[Key, CustomerInfo],
    links: dict[Key, CustomerLink],
    resolved: Resolved,
) -> None:
    with_email = {key: info for key, info in details.items() if info.email and key not in links}
    if not with_email:
        return
    try:
        index = _email_index(profile.quickbooks)
    except ProviderError as error:
        # Creating them now could duplicate a customer QuickBooks already has: they wait.
        for key in with_email:
            details.pop(key)
            resolved.waiting[key] = (
                f"waiting to match {key[0]} by email: QuickBooks could not list its customers"
                f" ({error})"
            )
        return
    made = []
    for key, info in with_email.items():
        ref = index.by_email.get((info.email.strip().casefold(), key[1]))
        if ref is None:
            continue
        made.append(
            CustomerLink(
                tenant_id=profile.tenant_id,
                quickbooks=profile.quickbooks,
                stripe_customer_id=key[0],
                currency=key[1],
                qbo_id=ref.value,
                qbo_name=ref.name,
                email=info.email,
                matched_by=CustomerLink.MatchedBy.EMAIL,
            )
        )
    if made:
        CustomerLink.objects.bulk_create(made, ignore_conflicts=True)
        links.update(_links(profile.quickbooks, dict.fromkeys(with_email, CustomerInfo(None))))


def customer_payload(
    *, display_name: str, info: CustomerInfo, currency: str, home_currency: str
) -> dict[str, Any]:
    """The QBO Customer create body; Notes carry the tag that tells our customer from a
    namesake when QuickBooks answers "name taken"."""
    payload: dict[str, Any] = {"DisplayName": display_name}
    if info.email and len(info.email) <= 100:
        payload["PrimaryEmailAddr"] = {"Address": info.email}
    if currency != home_currency:
        payload["CurrencyRef"] = {"value": currency.upper()}
    payload["Notes"] = notes_tag(info.stripe_id or "", currency)
    return payload


def notes_tag(stripe_id: str, currency: str) -> str:
    return f"Stripe customer {stripe_id} ({currency.upper()}), created by Tieout"


def create_request_id(row: OutboxDocument, display_name: str) -> str:
    """Deterministic per (row, name): a renamed create is a new request, a re-sent one is not,
    and a customer created again after the first was deleted (a new DocNumber) is new too."""
    material = f"{row.key}\x1f{row.doc_number}\x1f{display_name}"
    return hashlib.sha256(material.encode()).hexdigest()[:32]


def _outbox_key(company: Connection, key: Key) -> str:
    return f"{ROLE}:{company.pk}:{key[0]}:{key[1]}"


def _plan_creates(
    profile: SyncProfile,
    details: dict[Key, CustomerInfo],
    links: dict[Key, CustomerLink],
    resolved: Resolved,
) -> None:
    company = profile.quickbooks
    home = (company.home_currency or "usd").lower()
    todo = {key: info for key, info in details.items() if key not in links}
    if not todo:
        return
    rows = []
    names: dict[Key, list[str]] = {}
    generations = _generations(company)
    for key, info in todo.items():
        candidates = customer_display_names(
            info.name, info.email, key[0], None if key[1] == home else key[1]
        )
        names[key] = candidates
        outbox_key = _outbox_key(company, key)
        generation = generations.get(outbox_key, 0) + 1
        digest = hashlib.sha256(f"{outbox_key}\x1f{generation}".encode()).hexdigest()
        payload = customer_payload(
            display_name=candidates[0], info=info, currency=key[1], home_currency=home
        )
        row = OutboxDocument(
            tenant_id=profile.tenant_id,
            quickbooks=company,
            key=outbox_key,
            role=ROLE,
            entity="Customer",
            generation=generation,
            doc_number="C-" + digest[:16],
            body=canonical_json(payload),
            amount=0,
            currency=key[1],
        )
        row.request_id = create_request_id(row, candidates[0])
        rows.append(row)
    OutboxDocument.objects.bulk_create(rows, ignore_conflicts=True)
    by_key = {
        row.key: row
        for row in OutboxDocument.objects.filter(key__in=[_outbox_key(company, k) for k in todo])
    }
    made = []
    for key, info in todo.items():
        row = by_key.get(_outbox_key(company, key))
        if row is None:  # pragma: no cover - the insert above guarantees it
            continue
        made.append(
            CustomerLink(
                tenant_id=profile.tenant_id,
                quickbooks=company,
                stripe_customer_id=key[0],
                currency=key[1],
                email=info.email,
                matched_by=CustomerLink.MatchedBy.CREATED,
                names=names[key],
                outbox=row,
            )
        )
    CustomerLink.objects.bulk_create(made, ignore_conflicts=True)
    links.update(_links(company, dict.fromkeys(todo, CustomerInfo(None))))


def _generations(company: Connection) -> dict[str, int]:
    """How many customers each create key made that were later deleted in QuickBooks."""
    counts: Counter[str] = Counter()
    for key in OutboxDocument.objects.filter(
        quickbooks=company, role=ROLE, key__contains=GONE_MARK
    ).values_list("key", flat=True):
        counts[key.split(GONE_MARK)[0]] += 1
    return dict(counts)


def _post_creates(company: Connection, pending: list[CustomerLink]) -> None:
    """Post the customer creates now, before the documents that will name them."""
    from syncs import poster  # the poster calls back into this module on refusals

    due = [
        link.outbox
        for link in pending
        if link.outbox is not None
        and link.outbox.status in (Status.PLANNED, Status.FAILED, Status.SENDING, Status.UNKNOWN)
    ]
    if not due:
        return
    poster.outbox_post(quickbooks_id=company.pk, roles=(ROLE,))
    fresh = {row.pk: row for row in OutboxDocument.objects.filter(pk__in=[r.pk for r in due])}
    for link in pending:
        if link.outbox_id in fresh:
            link.outbox = fresh[link.outbox_id]


def _explain_wait(key: Key, link: CustomerLink, resolved: Resolved) -> None:
    row = link.outbox
    if row is not None and row.status == Status.IGNORED:
        return  # a person chose not to create it: its receipts use the guest customer
    if row is not None and row.status == Status.NEEDS_ACTION:
        resolved.needs_action[key] = (
            f"the QuickBooks customer for {key[0]} ({key[1].upper()}) could not be created:"
            f" {row.last_error or 'QuickBooks refused it'}"
        )
    else:
        resolved.waiting[key] = (
            f"waiting for the QuickBooks customer of {key[0]} ({key[1].upper()}) to be created"
        )


# ---- called by the poster ---------------------------------------------------------------------


def next_display_name(row: OutboxDocument) -> str | None:
    """After "name taken" for a customer we create: the next candidate name, if any."""
    link = CustomerLink.objects.filter(outbox=row).first()
    current = str(row.payload.get("DisplayName", ""))
    names = list(link.names) if link is not None else []
    if current not in names:
        return None
    rest = names[names.index(current) + 1 :]
    return rest[0] if rest else None


def is_ours(row: OutboxDocument, document: dict[str, Any]) -> bool:
    """Is the QBO customer found under this row's name the one this row created?"""
    tag = str(row.payload.get("Notes", ""))
    return (
        bool(tag) and tag in str(document.get("Notes", "")) and document.get("Active") is not False
    )


def customer_gone(*, quickbooks_id: int, qbo_id: str) -> bool:
    """A linked customer was deleted or made inactive in QuickBooks (§7).

    Drops its links, forgets it in the email index, and holds every unsent document naming it
    for a new match. Returns whether it was a linked customer (False: the guest customer or
    one chosen by hand, which a person must fix).
    """
    dropped, _ = CustomerLink.objects.filter(quickbooks_id=quickbooks_id, qbo_id=qbo_id).delete()
    _forget_customer(quickbooks_id, qbo_id)
    if not dropped:
        return False
    # The create that made it stays as history under another key, so the next match may
    # create the customer again (a new generation: new DocNumber and requestid).
    OutboxDocument.objects.filter(
        quickbooks_id=quickbooks_id, role=ROLE, qbo_id=qbo_id, status=Status.POSTED
    ).exclude(key__contains=GONE_MARK).update(key=Concat(F("key"), Value(f"{GONE_MARK}{qbo_id}")))
    OutboxDocument.objects.filter(
        quickbooks_id=quickbooks_id,
        status__in=[Status.PLANNED, Status.FAILED],
        role__in=["sale", "refund"],
        body__contains=f'"CustomerRef":{{"value":{canonical_json(qbo_id)}',
    ).update(status=Status.NEEDS_ACTION, rematch=True, last_error=GONE_MESSAGE)
    return True


GONE_MARK = ":gone:"
GONE_MESSAGE = (
    "The QuickBooks customer of this document was deleted or made inactive after we linked it."
    " The link is dropped; the next sync matches the Stripe customer again and posts this"
    " document with the new match."
)

"""Reads: the planner's `Mappings` for a sync profile, built from its stored QuickBooks refs."""

from __future__ import annotations

from mappings.defaults import CustomerPolicy, Mappings, Purpose, Ref
from mappings.models import ProductItem, QboRef, SyncProfile

VENDOR = "vendor"
SALES_ITEM = "sales_item"
GUEST_CUSTOMER = "guest_customer"
MISSING = Ref(value="", name="(not set up)")


class MappingsIncomplete(Exception):
    """The profile lacks refs the planner cannot do without; the message lists them."""


def mappings_for(profile: SyncProfile) -> Mappings:
    refs = list(QboRef.objects.filter(profile=profile))
    single = {r.purpose: Ref(r.qbo_id, r.qbo_name) for r in refs if not r.currency}
    per_currency: dict[str, dict[str, Ref]] = {}
    for r in refs:
        if r.currency:
            per_currency.setdefault(r.purpose, {})[r.currency] = Ref(r.qbo_id, r.qbo_name)
    needed = [p.value for p in Purpose if p not in (Purpose.CLEARING, Purpose.PAYOUT_BANK)]
    missing = [p for p in [*needed, VENDOR, SALES_ITEM] if p not in single]
    if missing or not per_currency.get(Purpose.CLEARING):
        raise MappingsIncomplete(
            "Set up the accounts Tieout posts to first (Mappings → Create them for me). "
            f"Missing: {', '.join(missing) or 'a clearing account'}."
        )
    home = (profile.quickbooks.home_currency or "usd").lower()
    return Mappings(
        clearing=per_currency.get(Purpose.CLEARING, {}),
        payout_bank=per_currency.get(Purpose.PAYOUT_BANK, {}),
        sales_income=single[Purpose.SALES_INCOME],
        sales_item=single[SALES_ITEM],
        refunds=single[Purpose.REFUNDS],
        fees=single[Purpose.FEES],
        chargebacks=single[Purpose.CHARGEBACKS],
        adjustments=single[Purpose.ADJUSTMENTS],
        reserve=single[Purpose.RESERVE],
        suspense=single[Purpose.SUSPENSE],
        opening_balance_equity=single[Purpose.OPENING_BALANCE],
        vendor=single[VENDOR],
        guest_customer=single.get(GUEST_CUSTOMER),
        guest_customers=per_currency.get(GUEST_CUSTOMER, {}),
        vendors=per_currency.get(VENDOR, {}),
        product_items={
            p.stripe_product: Ref(p.qbo_id, p.qbo_name)
            for p in ProductItem.objects.filter(profile=profile)
        },
        customer_policy=CustomerPolicy(profile.customer_policy),
        home_currency=home,
    )

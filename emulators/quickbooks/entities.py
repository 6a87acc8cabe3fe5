"""Create, read, update (sparse and full), delete and void; query, batch and CDC.

All operations run under the store lock, so a request is applied whole or not at all, and
requestid replays (idempotency.py) cannot race a first attempt.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from emulators.quickbooks import faults, ledger, query, rules, xsd
from emulators.quickbooks.store import Company, Entity, Store

LIST = "list"
TXN = "txn"
READ_ONLY = "read_only"
SINGLETON = "singleton"


@dataclass(frozen=True)
class Spec:
    kind: str
    void: str | None = None  # "include" (operation=update&include=void) or "operation"


SPECS: dict[str, Spec] = {
    "Account": Spec(LIST),
    "Customer": Spec(LIST),
    "Vendor": Spec(LIST),
    "Employee": Spec(LIST),
    "Item": Spec(LIST),
    "Class": Spec(LIST),
    "Department": Spec(LIST),
    "PaymentMethod": Spec(LIST),
    "TaxCode": Spec(READ_ONLY),
    "TaxRate": Spec(READ_ONLY),
    "CompanyInfo": Spec(SINGLETON),
    "Preferences": Spec(SINGLETON),
    "SalesReceipt": Spec(TXN, void="include"),
    "Invoice": Spec(TXN, void="operation"),
    "Payment": Spec(TXN, void="include"),
    "RefundReceipt": Spec(TXN),
    "CreditMemo": Spec(TXN),
    "Deposit": Spec(TXN),
    "Transfer": Spec(TXN),
    "JournalEntry": Spec(TXN),
    "Purchase": Spec(TXN),
}
BY_LOWER = {name.lower(): name for name in SPECS}
SERVER_FIELDS = {
    "Id",
    "SyncToken",
    "MetaData",
    "domain",
    "sparse",
    "status",
    "HomeTotalAmt",
    "Balance",
    "HomeBalance",
    "CurrentBalance",
    "CurrentBalanceWithSubAccounts",
    "UnappliedAmt",
    "FullyQualifiedName",
    "Classification",
}
CDC_WINDOW = timedelta(days=30)
PACIFIC = timezone(timedelta(hours=-8))
CDC_MAX = 1000
BATCH_MAX = 30


def entity_name(segment: str) -> str | None:
    return BY_LOWER.get(segment.lower())


class Api:
    def __init__(self, store: Store) -> None:
        self.store = store

    # ---- writes ------------------------------------------------------------------------------

    def post(self, company: Company, entity: str, payload: Any, params: dict[str, str]) -> Entity:
        """POST /{entity}: create, update, delete or void depending on body and parameters."""
        if not isinstance(payload, dict):
            raise faults.invalid_value(entity, "The request body must be a JSON object")
        spec = SPECS[entity]
        operation = params.get("operation", "").lower()
        include = {v.strip().lower() for v in params.get("include", "").split(",") if v.strip()}
        with self.store.lock:
            if spec.kind == READ_ONLY:
                raise faults.unsupported_operation(
                    f"Operation {operation or 'create'} is not"
                    f" supported for {entity} on this endpoint"
                )
            if operation == "delete":
                return self.delete(company, entity, payload)
            if operation == "void" or "void" in include:
                return self.void(
                    company, entity, payload, via="operation" if operation == "void" else "include"
                )
            allow_dup = "allowduplicatedocnum" in include
            if payload.get("Id") not in (None, "") or spec.kind == SINGLETON:
                return self.update(company, entity, payload, allow_dup)
            return self.create(company, entity, payload, allow_dup)

    def create(self, company: Company, entity: str, payload: Entity, allow_dup: bool) -> Entity:
        validate_xsd(entity, payload)
        obj = self._prepare(company, entity, clean(payload), None, allow_dup)
        stored = self.store.stamp_new(company, entity, obj)
        ledger.book(company, entity, stored)
        self.store.save()
        return self.render(company, entity, stored)

    def update(self, company: Company, entity: str, payload: Entity, allow_dup: bool) -> Entity:
        validate_xsd(entity, payload)
        existing = self._existing_for_write(company, entity, payload)
        if entity == "Preferences":
            return self._update_preferences(company, existing, payload)
        if SPECS[entity].kind == TXN:
            rules.closed_on_or_before(
                self._ctx(company, entity, existing, False), existing["TxnDate"]
            )
            self._refuse_if_deposited(company, entity, existing)
        if payload.get("sparse") in (True, "true"):
            merged = {**strip_server(existing), **clean(payload)}
        else:
            merged = clean(payload)
        if entity != "Payment" and _same_amount(merged.get("TotalAmt"), existing.get("TotalAmt")):
            # An echoed total (a full update of a read object) is derived, not a claim about
            # new lines; only a changed TotalAmt is checked against the lines.
            merged.pop("TotalAmt", None)
        obj = self._prepare(company, entity, merged, existing, allow_dup)
        for key in ("Id", "SyncToken", "MetaData", "domain", "sparse"):
            obj[key] = existing[key]
        stored = self.store.stamp_update(company, entity, obj)
        ledger.book(company, entity, stored)
        self.store.save()
        return self.render(company, entity, stored)

    def delete(self, company: Company, entity: str, payload: Entity) -> Entity:
        if SPECS[entity].kind != TXN:
            raise faults.unsupported_operation(
                f"Operation Delete is not supported for {entity}: make it inactive instead"
            )
        existing = self._existing_for_write(company, entity, payload)
        rules.closed_on_or_before(self._ctx(company, entity, existing, False), existing["TxnDate"])
        self._refuse_if_deposited(company, entity, existing)
        self._refuse_if_paid(company, entity, existing)
        company.unput(entity, existing["Id"])
        ledger.unbook(company, entity, existing["Id"])
        now = self.store.clock.now().isoformat(timespec="seconds")
        company.deleted.append({"entity": entity, "Id": existing["Id"], "time": now})
        self.store.save()
        return {"domain": "QBO", "status": "Deleted", "Id": existing["Id"]}

    def void(self, company: Company, entity: str, payload: Entity, via: str) -> Entity:
        if SPECS[entity].void != via:
            raise faults.unsupported_operation(f"Void is not supported for {entity} this way")
        existing = self._existing_for_write(company, entity, payload)
        rules.closed_on_or_before(self._ctx(company, entity, existing, False), existing["TxnDate"])
        self._refuse_if_deposited(company, entity, existing)
        self._refuse_if_paid(company, entity, existing)
        obj = copy.deepcopy(existing)
        for line in obj.get("Line", []):
            if "Amount" in line:
                line["Amount"] = ledger.ZERO
        obj["TotalAmt"] = ledger.ZERO
        if "HomeTotalAmt" in obj:  # only sales forms carry it (Payment has none in the XSD)
            obj["HomeTotalAmt"] = ledger.ZERO
        if "UnappliedAmt" in obj:
            obj["UnappliedAmt"] = ledger.ZERO
        note = existing.get("PrivateNote")
        obj["PrivateNote"] = f"Voided - {note}"[:4000] if note else "Voided"
        obj["_voided"] = True
        stored = self.store.stamp_update(company, entity, obj)
        ledger.book(company, entity, stored)
        self.store.save()
        return self.render(company, entity, stored)

    # ---- write helpers -----------------------------------------------------------------------

    def _ctx(
        self, company: Company, entity: str, existing: Entity | None, allow_dup: bool
    ) -> rules.Ctx:
        today = self.store.clock.now().date().isoformat()
        return rules.Ctx(company, entity, existing, allow_dup, today)

    def _prepare(
        self, company: Company, entity: str, obj: Entity, existing: Entity | None, allow_dup: bool
    ) -> Entity:
        preparer = rules.PREPARERS[entity]
        return preparer(self._ctx(company, entity, existing, allow_dup), copy.deepcopy(obj))

    def _existing_for_write(self, company: Company, entity: str, payload: Entity) -> Entity:
        spec = SPECS[entity]
        entity_id = (
            "1"
            if entity == "Preferences"
            else company.realm_id
            if (spec.kind == SINGLETON)
            else str(rules.need(payload, "Id"))
        )
        existing = company.get(entity, entity_id)
        if existing is None:
            raise faults.not_found(entity, entity_id)
        token = payload.get("SyncToken")
        if token in (None, ""):
            raise faults.required("SyncToken")
        if str(token) != existing["SyncToken"]:
            raise faults.stale_object()
        if existing.get("_voided"):
            raise faults.business(f"{entity} {entity_id} is voided and cannot be changed")
        return existing

    def _refuse_if_deposited(self, company: Company, entity: str, existing: Entity) -> None:
        if entity in rules.DEPOSIT_LINKABLE:
            holder = rules.deposited_by(company, entity, existing["Id"])
            if holder is not None:
                raise faults.fault(
                    "6540",
                    "Deposited Transaction cannot be changed",
                    f"This transaction has been deposited (Deposit {holder}). Edit the deposit"
                    " first.",
                )

    def _refuse_if_paid(self, company: Company, entity: str, existing: Entity) -> None:
        if entity in ("Invoice", "CreditMemo") and rules.applied_to(
            company, entity, existing["Id"], None
        ):
            raise faults.business(f"{entity} {existing['Id']} has payments applied to it")

    def _update_preferences(self, company: Company, existing: Entity, payload: Entity) -> Entity:
        merged = copy.deepcopy(strip_server(existing))
        for section, values in clean(payload).items():
            if isinstance(values, dict):
                merged.setdefault(section, {}).update(values)
        was_on = company.multicurrency
        now_on = bool(merged.get("CurrencyPrefs", {}).get("MultiCurrencyEnabled"))
        if was_on and not now_on:
            raise faults.business(
                "Multicurrency cannot be turned off once it is on", "MultiCurrencyEnabled"
            )
        if was_on and merged["CurrencyPrefs"]["HomeCurrency"]["value"] != company.home_currency:
            raise faults.business(
                "The home currency cannot change once multicurrency is on", "HomeCurrency"
            )
        for key in ("Id", "SyncToken", "MetaData", "domain", "sparse"):
            merged[key] = existing[key]
        stored = self.store.stamp_update(company, "Preferences", merged)
        self.store.save()
        return self.render(company, "Preferences", stored)

    # ---- reads -------------------------------------------------------------------------------

    def read(self, company: Company, entity: str, entity_id: str) -> Entity:
        with self.store.lock:
            obj = company.get(entity, entity_id)
            if obj is None:
                raise faults.not_found(entity, entity_id)
            return self.render(company, entity, obj)

    def render(
        self,
        company: Company,
        entity: str,
        obj: Entity,
        balances: dict[str, dict[str, Any]] | None = None,
    ) -> Entity:
        """The entity as QBO returns it: private keys dropped, derived amounts filled in."""
        out = {k: copy.deepcopy(v) for k, v in obj.items() if not k.startswith("_")}
        if entity == "Account":
            balances = balances if balances is not None else ledger.balances(company)
            raw = balances.get(obj["Id"], {}).get("balance", ledger.ZERO)
            out["CurrentBalance"] = ledger.current_balance(obj, raw)
            out["CurrentBalanceWithSubAccounts"] = out["CurrentBalance"]
        elif entity in ("Invoice", "CreditMemo"):
            paid = rules.applied_to(company, entity, obj["Id"], None)
            out["Balance"] = ledger.dec(obj["TotalAmt"]) - paid
            out["HomeBalance"] = ledger.to_home(
                out["Balance"], ledger.dec(obj.get("ExchangeRate", 1)), company.home_currency
            )
        elif entity in ("SalesReceipt", "RefundReceipt"):
            out["Balance"] = ledger.ZERO
        return out

    def rows(self, company: Company, entity: str) -> list[Entity]:
        balances = ledger.balances(company) if entity == "Account" else None
        return [self.render(company, entity, o, balances) for o in company.all(entity)]

    def query(self, company: Company, text: str) -> dict[str, Any]:
        parsed = query.parse(text)
        entity = entity_name(parsed.entity)
        if entity is None:
            raise faults.query_invalid(f"Invalid entity name {parsed.entity}")
        with self.store.lock:
            if _uses_derived_fields(parsed):
                found = query.run(parsed, self.rows(company, entity))
                chunk = query.page(parsed, found)
            else:
                # Filter and sort the stored objects, render only the page asked for.
                found = query.run(parsed, _candidates(company, entity, parsed))
                chunk = [self.render(company, entity, o) for o in query.page(parsed, found)]
        if parsed.count:
            return {"totalCount": len(found)}
        if not chunk:
            return {}
        return {entity: chunk, "startPosition": parsed.start, "maxResults": len(chunk)}

    def cdc(self, company: Company, entities: str, changed_since: str) -> dict[str, Any]:
        since = _parse_instant(changed_since)
        now = self.store.clock.now()
        if since < now - CDC_WINDOW:
            raise faults.invalid_value(
                "changedSince", "changedSince must be within the last 30 days"
            )
        responses, budget = [], CDC_MAX
        with self.store.lock:
            for raw in entities.split(","):
                entity = entity_name(raw.strip())
                if entity is None:
                    raise faults.invalid_value("entities", f"Unknown entity {raw.strip()}")
                changed = self._changed(company, entity, since)[:budget]
                budget -= len(changed)
                block: dict[str, Any] = {
                    "startPosition": 1,
                    "maxResults": len(changed),
                    "totalCount": len(changed),
                }
                if changed:
                    block[entity] = changed
                responses.append(block)
        return {"CDCResponse": [{"QueryResponse": responses}]}

    def _changed(self, company: Company, entity: str, since: datetime) -> list[Entity]:
        live = [
            r
            for r in self.rows(company, entity)
            if _parse_instant(r["MetaData"]["LastUpdatedTime"]) >= since
        ]
        gone = [
            {
                "Id": d["Id"],
                "status": "Deleted",
                "domain": "QBO",
                "MetaData": {"LastUpdatedTime": d["time"]},
            }
            for d in company.deleted
            if d["entity"] == entity and _parse_instant(d["time"]) >= since
        ]
        return live + gone

    # ---- batch -------------------------------------------------------------------------------

    def batch(self, company: Company, body: Any) -> dict[str, Any]:
        items = body.get("BatchItemRequest") if isinstance(body, dict) else None
        if not isinstance(items, list) or not items:
            raise faults.required("BatchItemRequest")
        if len(items) > BATCH_MAX:
            raise faults.batch_too_large(len(items), BATCH_MAX)
        return {"BatchItemResponse": [self._batch_item(company, item) for item in items]}

    def _batch_item(self, company: Company, item: dict[str, Any]) -> dict[str, Any]:
        bid = str(item.get("bId", ""))
        try:
            if "Query" in item:
                return {"bId": bid, "QueryResponse": self.query(company, str(item["Query"]))}
            names = [k for k in item if entity_name(k) == k]
            if len(names) != 1:
                raise faults.invalid_value("BatchItemRequest", "Each item needs one entity")
            entity = names[0]
            operation = str(item.get("operation", "create")).lower()
            params = {"operation": operation} if operation in ("delete", "void") else {}
            if operation == "update" and not item[entity].get("Id"):
                raise faults.required("Id")
            return {"bId": bid, entity: self.post(company, entity, item[entity], params)}
        except faults.QBOFault as fault:
            return {"bId": bid, "Fault": fault.item_body()}


DERIVED_FIELDS = {"Balance", "HomeBalance", "CurrentBalance", "CurrentBalanceWithSubAccounts"}


def _uses_derived_fields(parsed: query.Query) -> bool:
    fields = [c.field for c in parsed.where] + [name for name, _desc in parsed.order]
    return any(f.split(".")[0] in DERIVED_FIELDS for f in fields)


def _candidates(company: Company, entity: str, parsed: query.Query) -> list[Entity]:
    """Stored objects that may match; DocNumber = / IN use the index (the outbox's lookup)."""
    for cond in parsed.where:
        if cond.field == "DocNumber" and cond.op in ("=", "IN"):
            found: dict[str, Entity] = {}
            for value in cond.values:
                for _entity, obj in company.lookup("doc", entity, str(value).casefold()):
                    found[obj["Id"]] = obj
            return list(found.values())
    return company.all(entity)


def clean(payload: Entity) -> Entity:
    """Drop what QBO treats as "not supplied" ("" and null) and the fields the server owns."""
    return {
        k: _clean_value(v)
        for k, v in payload.items()
        if k not in SERVER_FIELDS and v not in (None, "")
    }


def _clean_value(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _clean_value(v) for k, v in value.items() if v not in (None, "")}
    if isinstance(value, list):
        return [_clean_value(v) for v in value]
    return value


def _same_amount(a: Any, b: Any) -> bool:
    try:
        return a is not None and b is not None and ledger.dec(a) == ledger.dec(b)
    except ArithmeticError:  # decimal.InvalidOperation: not a number, so not an echo
        return False


def strip_server(obj: Entity) -> Entity:
    return {
        k: copy.deepcopy(v)
        for k, v in obj.items()
        if k not in SERVER_FIELDS and not k.startswith("_")
    }


def tolerate(payload: Entity) -> Entity:
    """python-quickbooks sends "LineNum": 0 on new lines; QBO numbers them itself."""
    for line in payload.get("Line", []) or []:
        if isinstance(line, dict) and line.get("LineNum") in (0, "0"):
            del line["LineNum"]
    return payload


def validate_xsd(entity: str, payload: Entity) -> None:
    tolerate(payload)
    try:
        xsd.validate(entity, payload)
    except xsd.XSDError as exc:
        if exc.unknown_field:
            raise faults.unsupported_property(
                f'Property Name:Unrecognized field "{exc.element}" (class'
                f" com.intuit.schema.finance.v3.{entity}), not marked as ignorable specified is"
                " unsupported or invalid",
                exc.element,
            ) from None
        raise faults.invalid_value(exc.element, f"XSD validation failed: {exc}") from None


def _parse_instant(text: str) -> datetime:
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise faults.invalid_value("changedSince", f"Invalid date-time {text}") from None
    if when.tzinfo is None:
        # python-quickbooks formats datetimes without an offset; QBO reads them as Pacific time.
        when = when.replace(tzinfo=PACIFIC)
    return when

"""Per-realm state: entities with string Ids and SyncTokens, preferences, requestid replies.

Everything lives in memory behind one re-entrant lock (QBO serialises writes per company; one
lock for the whole emulator is simpler and fast enough). With a state file, the state is written
after every change and read back at start-up.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from emulators.quickbooks import jsonio, seed
from emulators.quickbooks.clock import Clock

Entity = dict[str, Any]
FIRST_REALM = 9341453000000001


def iso(clock: Clock) -> str:
    return clock.now().isoformat(timespec="seconds")


PEOPLE = ("Customer", "Vendor", "Employee")
NAMED = ("Account", "Item", "Class", "Department", "PaymentMethod")
LINK_HOLDERS = ("Payment", "Deposit")
IndexKey = tuple[str, str, str]


def index_keys(entity: str, obj: Entity) -> list[IndexKey]:
    """Lookup keys for the rules that would otherwise scan every entity of a company:
    DocNumber per type, names per namespace, and LinkedTxn targets of payments and deposits."""
    keys: list[IndexKey] = []
    if obj.get("DocNumber"):
        keys.append(("doc", entity, str(obj["DocNumber"]).casefold()))
    if entity in PEOPLE and obj.get("DisplayName"):
        keys.append(("name", "people", str(obj["DisplayName"]).casefold()))
    if entity in NAMED and obj.get("Name"):
        keys.append(("name", entity, str(obj["Name"]).casefold()))
    if entity in LINK_HOLDERS:
        for line in obj.get("Line", []):
            for link in line.get("LinkedTxn", []):
                keys.append(("link", str(link.get("TxnType")), str(link.get("TxnId"))))
    return keys


@dataclass
class Company:
    realm_id: str
    name: str
    entities: dict[str, dict[str, Entity]] = field(default_factory=dict)
    next_id: int = 1
    deleted: list[dict[str, str]] = field(default_factory=list)
    replies: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Derived, never persisted: rebuilt from `entities` on first use.
    _index: dict[IndexKey, set[tuple[str, str]]] | None = field(
        default=None, compare=False, repr=False
    )
    _sums: dict[str, list[Any]] | None = field(default=None, compare=False, repr=False)

    def lookup(self, kind: str, scope: str, value: str) -> list[tuple[str, Entity]]:
        """(entity name, entity) pairs indexed under (kind, scope, value), e.g.
        ("doc", "SalesReceipt", "ch_1") or ("link", "Invoice", "145")."""
        found = []
        for entity, entity_id in sorted(self.index().get((kind, scope, value), ())):
            obj = self.get(entity, entity_id)
            if obj is not None:
                found.append((entity, obj))
        return found

    def index(self) -> dict[IndexKey, set[tuple[str, str]]]:
        if self._index is None:
            self._index = {}
            for entity, table in self.entities.items():
                for obj in table.values():
                    self._add_keys(entity, obj)
        return self._index

    def _add_keys(self, entity: str, obj: Entity) -> None:
        assert self._index is not None
        for key in index_keys(entity, obj):
            self._index.setdefault(key, set()).add((entity, obj["Id"]))

    def put(self, entity: str, obj: Entity) -> None:
        self.unput(entity, obj["Id"])
        self.table(entity)[obj["Id"]] = obj
        if self._index is not None:
            self._add_keys(entity, obj)

    def unput(self, entity: str, entity_id: str) -> None:
        old = self.entities.get(entity, {}).pop(entity_id, None)
        if old is not None and self._index is not None:
            for key in index_keys(entity, old):
                self._index.get(key, set()).discard((entity, entity_id))

    def table(self, entity: str) -> dict[str, Entity]:
        return self.entities.setdefault(entity, {})

    def get(self, entity: str, entity_id: str) -> Entity | None:
        return self.entities.get(entity, {}).get(str(entity_id))

    def all(self, entity: str) -> list[Entity]:
        return list(self.entities.get(entity, {}).values())

    def new_id(self) -> str:
        self.next_id += 1
        return str(self.next_id - 1)

    @property
    def preferences(self) -> Entity:
        return self.entities["Preferences"]["1"]

    @property
    def home_currency(self) -> str:
        return str(self.preferences["CurrencyPrefs"]["HomeCurrency"]["value"])

    @property
    def multicurrency(self) -> bool:
        return bool(self.preferences["CurrencyPrefs"].get("MultiCurrencyEnabled"))

    def account_by_subtype(self, subtype: str) -> Entity:
        for account in self.all("Account"):
            if account.get("AccountSubType") == subtype:
                return account
        raise LookupError(subtype)


class Store:
    def __init__(self, clock: Clock, state_file: Path | None = None) -> None:
        self.clock = clock
        self.lock = threading.RLock()
        self.state_file = state_file
        self.companies: dict[str, Company] = {}
        self.oauth: dict[str, dict[str, Any]] = {}
        self._next_realm = FIRST_REALM
        if state_file is not None and state_file.exists():
            self._load(state_file)

    # ---- companies ---------------------------------------------------------------------------

    def create_company(
        self,
        name: str = "Sandbox Company_US_1",
        *,
        home_currency: str = "USD",
        multicurrency: bool = False,
    ) -> Company:
        with self.lock:
            realm_id = str(self._next_realm)
            self._next_realm += 1
            company = Company(realm_id=realm_id, name=name)
            self._seed(company, home_currency, multicurrency)
            self.companies[realm_id] = company
            self.save()
            return company

    def company(self, realm_id: str) -> Company | None:
        return self.companies.get(realm_id)

    def reset(self) -> None:
        with self.lock:
            self.companies.clear()
            self.oauth.clear()
            self._next_realm = FIRST_REALM
            self.save()

    def stamp_new(
        self, company: Company, entity: str, obj: Entity, entity_id: str | None = None
    ) -> Entity:
        """Give a new entity its server fields and store it."""
        now = iso(self.clock)
        obj["Id"] = entity_id or company.new_id()
        obj["SyncToken"] = "0"
        obj["domain"] = "QBO"
        obj["sparse"] = False
        obj["MetaData"] = {"CreateTime": now, "LastUpdatedTime": now}
        company.put(entity, obj)
        return obj

    def stamp_update(self, company: Company, entity: str, obj: Entity) -> Entity:
        obj["SyncToken"] = str(int(obj["SyncToken"]) + 1)
        obj["MetaData"] = {**obj["MetaData"], "LastUpdatedTime": iso(self.clock)}
        company.put(entity, obj)
        return obj

    # ---- seeding -----------------------------------------------------------------------------

    def _seed(self, company: Company, home_currency: str, multicurrency: bool) -> None:
        self.stamp_new(company, "Preferences", seed.preferences(home_currency, multicurrency), "1")
        self.stamp_new(
            company,
            "CompanyInfo",
            seed.company_info(company.name, company.realm_id),
            company.realm_id,
        )
        names: dict[str, str] = {}
        for name, acct_type, subtype in seed.DEFAULT_ACCOUNTS:
            account = new_account(name, acct_type, subtype, home_currency)
            names[name] = self.stamp_new(company, "Account", account)["Id"]
        for item in seed.items(names):
            item["FullyQualifiedName"] = item["Name"]
            self.stamp_new(company, "Item", item)
        for code, taxable in (("TAX", True), ("NON", False)):
            self.stamp_new(
                company,
                "TaxCode",
                {"Name": code, "Description": code, "Active": True, "Taxable": taxable},
                code,
            )
        self.stamp_new(
            company,
            "TaxRate",
            {
                "Name": "California",
                "Description": "Sales tax",
                "Active": True,
                "RateValue": Decimal(8),
            },
        )
        for name, kind in seed.PAYMENT_METHODS:
            self.stamp_new(company, "PaymentMethod", {"Name": name, "Type": kind, "Active": True})

    # ---- persistence -------------------------------------------------------------------------

    def save(self) -> None:
        if self.state_file is None:
            return
        with self.lock:  # whole write under the lock: concurrent saves must not interleave
            state = {
                "next_realm": self._next_realm,
                "oauth": self.oauth,
                "companies": {r: _persisted(c) for r, c in self.companies.items()},
            }
            self.state_file.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.state_file.with_suffix(".tmp")
            tmp.write_text(jsonio.dumps(state))
            os.replace(tmp, self.state_file)

    def _load(self, path: Path) -> None:
        state = jsonio.loads(path.read_text())
        self._next_realm = int(state["next_realm"])
        self.oauth = state["oauth"]
        self.companies = {r: Company(**c) for r, c in state["companies"].items()}


def _persisted(company: Company) -> dict[str, Any]:
    return {k: v for k, v in company.__dict__.items() if not k.startswith("_")}


def new_account(name: str, acct_type: str, subtype: str, currency: str) -> Entity:
    return {
        "Name": name,
        "SubAccount": False,
        "FullyQualifiedName": name,
        "Active": True,
        "Classification": seed.CLASSIFICATION[acct_type],
        "AccountType": acct_type,
        "AccountSubType": subtype,
        "CurrencyRef": seed.currency_ref(currency),
    }

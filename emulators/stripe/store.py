"""All emulator state: accounts, keys, one ledger of objects per (account, mode), the clock,
scheduled transitions, webhook deliveries, idempotency records and the request log.

State is plain JSON-able data so `--state FILE` persistence is one `json.dump`. Every access
goes through `Store.lock` (one re-entrant lock; the emulator is not a throughput test).

Ids are deterministic: a global counter plus a hash of (seed, counter), so a seeded scenario
always produces the same ids, and no two accounts ever share one.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from emulators.stripe.fees import Pricing

DAY = 86400
# 2026-10-01T00:00:00Z: a fixed default start, so tests and seeded scenarios are reproducible.
DEFAULT_START = 1790812800

PLATFORM_ACCOUNT = "acct_1TieoutPlatform00"
PLATFORM_SECRET_TEST = "sk_test_51TieoutPlatformEmulatorKey0000000000"
PLATFORM_SECRET_LIVE = "sk_live_emu_TieoutPlatform_not_a_real_key"
PLATFORM_PUBLISHABLE_TEST = "pk_test_51TieoutPlatformEmulatorKey0000000000"
PLATFORM_READONLY_TEST = "rk_test_51TieoutPlatformReadOnlyKey00000000000"
PLATFORM_READONLY_LIVE = "rk_live_emu_TieoutReadOnly_not_a_real_key"
CONNECT_CLIENT_ID = "ca_TieoutEmulatorConnectClient0000"
APP_CLIENT_ID = "ca_TieoutEmulatorStripeApp00000000"

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def base62(number: int, width: int) -> str:
    digits = ""
    while number:
        number, rest = divmod(number, 62)
        digits = _ALPHABET[rest] + digits
    return digits.rjust(width, "0")


def ledger_key(account: str, livemode: bool) -> str:
    return f"{account}|{'live' if livemode else 'test'}"


def split_ledger_key(key: str) -> tuple[str, bool]:
    account, mode = key.split("|")
    return account, mode == "live"


def next_midnight(timestamp: int) -> int:
    return (timestamp // DAY + 1) * DAY


def fresh_state(start: int, seed: int) -> dict[str, Any]:
    return {
        "version": 1,
        "seed": seed,
        "now": start,
        "counter": 0,
        "task_seq": 0,
        "accounts": {},  # acct id -> account object (Stripe shape) plus private "_" fields
        "keys": {},  # api key -> {account, livemode, kind, permissions, expires_at, revoked}
        "ledgers": {},  # ledger key -> {id: object}
        "index": {},  # object id -> ledger key
        "tasks": [],  # scheduled transitions {at, seq, action, lk, id}
        "deliveries": [],  # webhook delivery records
        "idempotency": {},  # f"{lk}|{key}" -> {fingerprint, status, body}
        "oauth": {"codes": {}, "refresh_tokens": {}},
        "requests": [],  # request log (a window of the latest requests)
        "request_counts": {},  # "METHOD /route" -> count since reset
        "chaos": {"duplicate": False, "out_of_order": False, "delay_seconds": 0},
        "rate_limit": {"per_second": 0, "fail_next": 0},
    }


class Store:
    def __init__(
        self,
        *,
        start: int = DEFAULT_START,
        seed: int = 0,
        pricing: Pricing | None = None,
        state_file: Path | None = None,
    ) -> None:
        self.lock = threading.RLock()
        self.pricing = pricing or Pricing()
        self.state_file = state_file
        self._start = start
        self._seed = seed
        if state_file is not None and state_file.exists():
            # Keys added since the file was written start from their fresh defaults.
            self.state = {**fresh_state(start, seed), **json.loads(state_file.read_text())}
        else:
            self.reset()

    # --- lifecycle -------------------------------------------------------------------------

    def reset(self, *, start: int | None = None, seed: int | None = None) -> None:
        with self.lock:
            self.state = fresh_state(start or self._start, self._seed if seed is None else seed)
            self.bootstrap()

    def bootstrap(self) -> None:
        """The platform account, its keys and its Connect client id."""
        self.add_account(PLATFORM_ACCOUNT, platform=None, name="Tieout Emulator Platform")
        self.add_key(PLATFORM_SECRET_TEST, PLATFORM_ACCOUNT, livemode=False, kind="secret")
        self.add_key(PLATFORM_SECRET_LIVE, PLATFORM_ACCOUNT, livemode=True, kind="secret")
        self.add_key(
            PLATFORM_PUBLISHABLE_TEST, PLATFORM_ACCOUNT, livemode=False, kind="publishable"
        )
        read_all = {"*": "read"}
        self.add_key(
            PLATFORM_READONLY_TEST,
            PLATFORM_ACCOUNT,
            livemode=False,
            kind="restricted",
            permissions=read_all,
        )
        self.add_key(
            PLATFORM_READONLY_LIVE,
            PLATFORM_ACCOUNT,
            livemode=True,
            kind="restricted",
            permissions=read_all,
        )

    def save(self) -> None:
        if self.state_file is None:
            return
        with self.lock:
            text = json.dumps(self.state, separators=(",", ":"))
        tmp = self.state_file.with_suffix(self.state_file.suffix + ".tmp")
        tmp.write_text(text)
        os.replace(tmp, self.state_file)

    # --- clock and ids ---------------------------------------------------------------------

    @property
    def now(self) -> int:
        return int(self.state["now"])

    def set_now(self, timestamp: int) -> None:
        self.state["now"] = max(self.now, int(timestamp))

    def new_id(self, prefix: str, length: int = 14) -> str:
        self.state["counter"] += 1
        counter = self.state["counter"]
        digest = hashlib.sha256(f"{self.state['seed']}:{counter}".encode()).digest()
        noise = base62(int.from_bytes(digest[:8], "big"), 11)[: length - 6]
        return f"{prefix}_1{base62(counter, 5)}{noise}"

    def new_secret(self, prefix: str) -> str:
        return self.new_id(prefix, length=30)

    # --- accounts and keys -----------------------------------------------------------------

    def add_account(
        self,
        account_id: str | None,
        *,
        platform: str | None,
        name: str = "",
        country: str = "US",
        currency: str = "usd",
        email: str | None = None,
        account_type: str = "standard",
    ) -> dict[str, Any]:
        from emulators.stripe import shapes  # shapes imports this module

        account_id = account_id or self.new_id("acct", 16)
        account = shapes.account(
            self,
            account_id,
            name=name,
            country=country,
            currency=currency,
            email=email,
            account_type=account_type,
        )
        account["_platform"] = platform
        account["_settlement_currencies"] = [currency]
        account["_bank_accounts"] = {}
        self.state["accounts"][account_id] = account
        for livemode in (False, True):
            self.state["ledgers"].setdefault(ledger_key(account_id, livemode), {})
        shapes.add_default_bank_account(self, account)
        return account

    def account(self, account_id: str) -> dict[str, Any] | None:
        return self.state["accounts"].get(account_id)

    def add_key(
        self,
        key: str,
        account: str,
        *,
        livemode: bool,
        kind: str,
        permissions: dict[str, str] | None = None,
        expires_at: int | None = None,
        oauth_client: str | None = None,
    ) -> None:
        self.state["keys"][key] = {
            "account": account,
            "livemode": livemode,
            "kind": kind,
            "permissions": permissions,
            "expires_at": expires_at,
            "revoked": False,
            "oauth_client": oauth_client,
        }

    def key_info(self, key: str) -> dict[str, Any] | None:
        return self.state["keys"].get(key)

    def keys_for(self, account: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.state["keys"].items() if v["account"] == account}

    # --- objects ---------------------------------------------------------------------------

    def ledger(self, lk: str) -> dict[str, dict[str, Any]]:
        return self.state["ledgers"].setdefault(lk, {})

    def put(self, lk: str, obj: dict[str, Any]) -> dict[str, Any]:
        self.ledger(lk)[obj["id"]] = obj
        self.state["index"][obj["id"]] = lk
        return obj

    def get(self, lk: str, object_id: str) -> dict[str, Any] | None:
        return self.ledger(lk).get(object_id)

    def locate(self, object_id: str) -> tuple[str, dict[str, Any]] | None:
        lk = self.state["index"].get(object_id)
        if lk is None:
            return None
        return lk, self.state["ledgers"][lk][object_id]

    def objects(self, lk: str, kind: str) -> Iterator[dict[str, Any]]:
        return (obj for obj in self.ledger(lk).values() if obj.get("object") == kind)

    def ledger_keys(self) -> list[str]:
        return list(self.state["ledgers"])

    # --- scheduled transitions -------------------------------------------------------------

    def schedule(self, at: int, action: str, lk: str, object_id: str) -> None:
        self.state["task_seq"] += 1
        self.state["tasks"].append(
            {
                "at": int(at),
                "seq": self.state["task_seq"],
                "action": action,
                "lk": lk,
                "id": object_id,
            }
        )

    def pop_due_tasks(self, until: int) -> list[dict[str, Any]]:
        due = sorted(
            (t for t in self.state["tasks"] if t["at"] <= until), key=lambda t: (t["at"], t["seq"])
        )
        if due:
            seqs = {t["seq"] for t in due}
            self.state["tasks"] = [t for t in self.state["tasks"] if t["seq"] not in seqs]
        return due

    def next_task_time(self) -> int | None:
        return min((t["at"] for t in self.state["tasks"]), default=None)

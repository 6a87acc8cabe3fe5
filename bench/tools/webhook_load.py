"""Load generator for the Stripe webhook endpoint: signed 2-3 KB events over keep-alive sockets.

Standalone on purpose (no Django import): it runs in its own process beside gunicorn, so the
client's CPU is visible and separate. It builds every request (body, Stripe-Signature, headers)
as bytes before the clock starts, then drives a few asyncio connections:

- unpaced (`--rate 0`): each connection sends its next request as soon as the previous answer
  arrives (closed loop), until `--count` requests or `--max-seconds`;
- paced (`--rate N`): request i is due at start + i/N; latency is measured both from that
  scheduled time (includes any queueing behind a slow answer, so no coordinated omission) and
  from the actual send.

About `--duplicates` of the sends re-send an earlier event unchanged, as Stripe does on retry.
Prints one JSON document on stdout; progress goes to stderr.

    STRIPE_WEBHOOK_SECRET=whsec_... python bench/tools/webhook_load.py \\
        --url http://127.0.0.1:8000/webhooks/stripe/ --account acct_x --count 1000
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import random
import string
import sys
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

EVENT_TYPES = (
    ("charge.succeeded", 70),
    ("charge.captured", 10),
    ("charge.refunded", 10),
    ("charge.updated", 10),
)
MIN_BODY, MAX_BODY = 2000, 3000
ALPHANUM = string.ascii_letters + string.digits
LATE_GRACE = 10.0  # seconds
USER_AGENT = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"


@dataclass(frozen=True)
class Planned:
    event_id: str
    request: bytes
    size: int
    duplicate: bool


@dataclass
class Results:
    latencies: list[float] = field(default_factory=list)
    from_schedule: list[float] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    server_duplicates: int = 0
    errors: list[str] = field(default_factory=list)
    reconnects: int = 0
    attempted_ids: set[str] = field(default_factory=set)
    first_send: float = 0.0
    last_answer: float = 0.0


# --------------------------------------------------------------------------- events


def _token(rng: random.Random, length: int) -> str:
    return "".join(rng.choices(ALPHANUM, k=length))


def _charge(rng: random.Random, account: str, created: int, refunded: bool) -> dict[str, Any]:
    amount = rng.randrange(500, 500_000)
    charge_id = "ch_" + _token(rng, 24)
    payment_intent = "pi_" + _token(rng, 24)
    return {
        "id": charge_id,
        "object": "charge",
        "amount": amount,
        "amount_captured": amount,
        "amount_refunded": amount if refunded else 0,
        "application": None,
        "application_fee_amount": None,
        "balance_transaction": "txn_" + _token(rng, 24),
        "billing_details": {
            "address": {
                "city": rng.choice(["Berlin", "Lyon", "Austin", "Leeds", "Porto"]),
                "country": rng.choice(["DE", "FR", "US", "GB", "PT"]),
                "line1": f"{rng.randrange(1, 300)} Example Street",
                "line2": None,
                "postal_code": str(rng.randrange(10000, 99999)),
                "state": None,
            },
            "email": f"customer{rng.randrange(10**6)}@example.com",
            "name": "Jenny Rosen",
            "phone": None,
        },
        "calculated_statement_descriptor": "TIEOUT BENCH",
        "captured": True,
        "created": created,
        "currency": rng.choice(["usd", "eur", "gbp"]),
        "customer": "cus_" + _token(rng, 14),
        "description": f"Invoice INV-{rng.randrange(10**6):06d}",
        "disputed": False,
        "failure_code": None,
        "failure_message": None,
        "fraud_details": {},
        "invoice": "in_" + _token(rng, 24),
        "livemode": False,
        "metadata": {"order_id": str(rng.randrange(10**8)), "source": "bench"},
        "outcome": {
            "network_status": "approved_by_network",
            "reason": None,
            "risk_level": "normal",
            "risk_score": rng.randrange(0, 60),
            "seller_message": "Payment complete.",
            "type": "authorized",
        },
        "paid": True,
        "payment_intent": payment_intent,
        "payment_method": "pm_" + _token(rng, 24),
        "payment_method_details": {
            "card": {
                "brand": "visa",
                "checks": {
                    "address_line1_check": None,
                    "address_postal_code_check": None,
                    "cvc_check": "pass",
                },
                "country": "US",
                "exp_month": rng.randrange(1, 13),
                "exp_year": rng.randrange(2027, 2033),
                "fingerprint": _token(rng, 16),
                "funding": "credit",
                "last4": f"{rng.randrange(10**4):04d}",
                "network": "visa",
                "three_d_secure": None,
                "wallet": None,
            },
            "type": "card",
        },
        "receipt_email": None,
        "receipt_number": None,
        "receipt_url": f"https://pay.stripe.com/receipts/{account}/{charge_id}/rcpt_"
        + _token(rng, 32),
        "refunded": refunded,
        "review": None,
        "shipping": None,
        "statement_descriptor": None,
        "status": "succeeded",
        "transfer_data": None,
    }


def event_body(rng: random.Random, event_id: str, account: str, created: int) -> bytes:
    types, weights = zip(*EVENT_TYPES, strict=True)
    event_type = rng.choices(types, weights=weights)[0]
    charge = _charge(rng, account, created, refunded=event_type == "charge.refunded")
    event: dict[str, Any] = {
        "id": event_id,
        "object": "event",
        "account": account,
        "api_version": "2024-06-20",
        "created": created,
        "data": {"object": charge},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": "req_" + _token(rng, 14), "idempotency_key": _token(rng, 36)},
        "type": event_type,
    }
    if event_type == "charge.updated":
        event["data"]["previous_attributes"] = {"description": None}
    # Stripe sends pretty-printed JSON; pad through metadata when a body comes out short.
    body = json.dumps(event, indent=2).encode()
    while len(body) < MIN_BODY:
        charge["metadata"][f"note_{len(charge['metadata'])}"] = _token(rng, 40)
        body = json.dumps(event, indent=2).encode()
    if len(body) > MAX_BODY:
        raise ValueError(f"event body of {len(body)} bytes is over {MAX_BODY}")
    return body


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """Stripe's scheme: v1 = hex HMAC-SHA256(secret, "<t>.<body>")."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def http_request(host: str, path: str, secret: str, body: bytes) -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\n"
        f"Host: {host}\r\n"
        f"User-Agent: {USER_AGENT}\r\n"
        "Accept: */*; q=0.5, application/xml\r\n"
        "Content-Type: application/json; charset=utf-8\r\n"
        f"Stripe-Signature: {signature(secret, int(time.time()), body)}\r\n"
        f"Content-Length: {len(body)}\r\n"
        "\r\n"
    )
    return head.encode() + body


def plan_requests(
    *, host: str, path: str, secret: str, account: str, count: int, duplicates: float, seed: int
) -> list[Planned]:
    """`count` sends, of which round(count * duplicates) re-send an earlier event."""
    rng = random.Random(seed)
    n_dup = round(count * duplicates)
    n_unique = count - n_dup
    created = int(time.time())
    prefix = f"evt_1B{seed % 10**6:06d}"
    uniques = []
    for index in range(n_unique):
        event_id = f"{prefix}{index:08d}{_token(rng, 8)}"
        body = event_body(rng, event_id, account, created)
        uniques.append(Planned(event_id, http_request(host, path, secret, body), len(body), False))
    # Sort keys: unique i sits at i; a re-send of i lands at a random later point.
    keyed = [(float(index), item) for index, item in enumerate(uniques)]
    for _ in range(n_dup):
        source = rng.randrange(n_unique)
        original = uniques[source]
        later = source + 0.5 + rng.random() * (n_unique - source - 0.5)
        keyed.append((later, Planned(original.event_id, original.request, original.size, True)))
    keyed.sort(key=lambda pair: pair[0])
    return [item for _, item in keyed]


# --------------------------------------------------------------------------- HTTP client


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """Status, body and whether the server will close the connection."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        body = await _read_chunked(reader)
    else:
        body = await reader.read()
        return status, body, True
    closing = headers.get("connection", "").lower() == "close"
    return status, body, closing


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        if size == 0:
            await reader.readuntil(b"\r\n")
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)


class Driver:
    """Shared cursor over the plan; every connection takes the next request from it."""

    def __init__(
        self, plan: list[Planned], host: str, port: int, rate: float, max_seconds: float
    ) -> None:
        self.plan = plan
        self.host = host
        self.port = port
        self.rate = rate
        self.max_seconds = max_seconds
        self.next_index = 0
        self.results = Results()
        self.start = 0.0
        self.cpu_seconds = 0.0

    def _take(self) -> tuple[int, float] | None:
        index = self.next_index
        if index >= len(self.plan):
            return None
        now = time.perf_counter()
        due = self.start + index / self.rate if self.rate else now
        # A paced run that fell behind its schedule gets a little grace, then stops too.
        if due - self.start > self.max_seconds or now - self.start > self.max_seconds + LATE_GRACE:
            return None
        self.next_index += 1
        return index, due

    async def connection(self) -> None:
        reader, writer = await asyncio.open_connection(self.host, self.port)
        try:
            while (taken := self._take()) is not None:
                index, due = taken
                delay = due - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                closing = await self._send(reader, writer, index, due)
                if closing:
                    writer.close()
                    self.results.reconnects += 1
                    reader, writer = await asyncio.open_connection(self.host, self.port)
        finally:
            writer.close()

    async def _send(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        index: int,
        due: float,
    ) -> bool:
        item = self.plan[index]
        results = self.results
        results.attempted_ids.add(item.event_id)
        sent = time.perf_counter()
        if not results.first_send:
            results.first_send = sent
        try:
            writer.write(item.request)
            status, body, closing = await read_response(reader)
        except (OSError, asyncio.IncompleteReadError, ValueError) as error:
            # Counted, not retried: the inbox check then shows whether the event landed.
            results.errors.append(f"{item.event_id}: {type(error).__name__}: {error}")
            results.statuses["error"] = results.statuses.get("error", 0) + 1
            return True
        done = time.perf_counter()
        results.last_answer = done
        results.latencies.append(done - sent)
        if self.rate:
            results.from_schedule.append(done - due)
        key = str(status)
        results.statuses[key] = results.statuses.get(key, 0) + 1
        if b'"duplicate": true' in body:
            results.server_duplicates += 1
        return closing

    async def run(self, concurrency: int) -> None:
        cpu_before = time.process_time()
        self.start = time.perf_counter()
        await asyncio.gather(*(self.connection() for _ in range(concurrency)))
        self.cpu_seconds = time.process_time() - cpu_before


# --------------------------------------------------------------------------- report


def percentiles(samples: list[float]) -> dict[str, float | None]:
    """Nearest-rank percentiles in milliseconds."""
    if not samples:
        return {"p50": None, "p90": None, "p99": None, "p999": None, "max": None, "mean": None}
    ordered = sorted(samples)

    def rank(fraction: float) -> float:
        position = max(0, min(len(ordered) - 1, int(fraction * len(ordered) + 0.999999) - 1))
        return round(ordered[position] * 1000, 3)

    return {
        "p50": rank(0.50),
        "p90": rank(0.90),
        "p99": rank(0.99),
        "p999": rank(0.999),
        "max": round(ordered[-1] * 1000, 3),
        "mean": round(sum(ordered) / len(ordered) * 1000, 3),
    }


def report(args: argparse.Namespace, plan: list[Planned], driver: Driver) -> dict[str, Any]:
    results = driver.results
    sent = driver.next_index
    done = len(results.latencies)
    duration = max(results.last_answer - results.first_send, 1e-9)
    sizes = [item.size for item in plan]
    unique_order = list(dict.fromkeys(item.event_id for item in plan[:sent]))
    report: dict[str, Any] = {
        "url": args.url,
        "mode": "paced" if args.rate else "unpaced",
        "rate_target_per_s": args.rate,
        "concurrency": args.concurrency,
        "planned": len(plan),
        "sent": sent,
        "answered": done,
        "complete": sent == len(plan),
        "duplicates_sent": sum(1 for item in plan[:sent] if item.duplicate),
        "server_reported_duplicates": results.server_duplicates,
        "unique_ids_sent": len(unique_order),
        "status_counts": results.statuses,
        "errors": results.errors[:20],
        "reconnects": results.reconnects,
        "duration_s": round(duration, 3),
        "events_per_s": round(done / duration, 1),
        "latency_ms": percentiles(results.latencies),
        "event_bytes": {"min": min(sizes), "max": max(sizes), "mean": sum(sizes) // len(sizes)},
        # CPU the client spent while sending (not building): its share of the 2 cores.
        "client_cpu_s": round(driver.cpu_seconds, 3),
        "ids": unique_order,
    }
    if args.rate:
        report["latency_from_schedule_ms"] = percentiles(results.from_schedule)
    return report


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="http://127.0.0.1:PORT/webhooks/stripe/")
    parser.add_argument("--account", required=True, help="connected account id (acct_...)")
    parser.add_argument("--count", type=int, default=1000, help="sends, duplicates included")
    parser.add_argument("--duplicates", type=float, default=0.05, help="fraction of re-sends")
    parser.add_argument("--concurrency", type=int, default=4, help="keep-alive connections")
    parser.add_argument("--rate", type=float, default=0.0, help="events/s; 0 = unpaced")
    parser.add_argument("--max-seconds", type=float, default=60.0, help="stop sending after")
    parser.add_argument("--seed", type=int, default=1, help="events and event ids derive from it")
    args = parser.parse_args(argv)
    if not 0 <= args.duplicates < 1 or args.count < 1 or args.concurrency < 1:
        parser.error("need 0 <= duplicates < 1, count >= 1, concurrency >= 1")
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    secret = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
    if not secret:
        print("STRIPE_WEBHOOK_SECRET is not set", file=sys.stderr)
        return 2
    url = urlsplit(args.url)
    if url.scheme != "http" or url.hostname not in {"127.0.0.1", "localhost", "::1"}:
        print("only plain http on loopback is allowed", file=sys.stderr)
        return 2
    port = url.port or 80
    started = time.perf_counter()
    plan = plan_requests(
        host=url.netloc,
        path=url.path or "/",
        secret=secret,
        account=args.account,
        count=args.count,
        duplicates=args.duplicates,
        seed=args.seed,
    )
    print(
        f"  load: {len(plan)} requests built in {time.perf_counter() - started:.1f}s",
        file=sys.stderr,
    )
    driver = Driver(plan, url.hostname or "127.0.0.1", port, args.rate, args.max_seconds)
    asyncio.run(driver.run(args.concurrency))
    print(json.dumps(report(args, plan, driver)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Stripe webhook ingestion: events/s and latency of POST /webhooks/stripe/ under gunicorn.

The server is the production `intake` process by default (config.asgi, gunicorn's asyncio
worker); BENCH_WEBHOOKS_GUNICORN names another, such as the `web` process (config.wsgi).

The server runs in production mode (DEBUG off) against a throwaway PostgreSQL database and a
dedicated Redis db (the Celery doorbells pile up there; no worker runs). A second process,
bench/tools/webhook_load.py, sends signed 2-3 KB events over loopback in two phases:

- unpaced: a fixed number of events as fast as a few keep-alive connections go;
- paced_200: 200 events/s on a fixed schedule; the p99 target is read from the scheduled
  send time (queueing behind a slow answer counts against the server).

After each phase the inbox is compared with the ids sent: every unique id exactly once, no
other rows, one doorbell per stored event. Database, Redis db and server are removed even
when a step fails.

Knobs (environment): BENCH_WEBHOOKS_GUNICORN (gunicorn's app and worker options),
BENCH_WEBHOOKS_COUNT (unpaced sends), BENCH_WEBHOOKS_CONCURRENCY (unpaced connections),
BENCH_PG_ADMIN_URL, BENCH_REDIS_URL (server with no db number).
"""

from __future__ import annotations

import http.client
import json
import os
import secrets
import shlex
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import redis
from cryptography.fernet import Fernet

REPO = Path(__file__).resolve().parent.parent
LOADER = REPO / "bench" / "tools" / "webhook_load.py"
DATABASE = "tieout_bench_webhooks"
REDIS_DB = 3
ACCOUNT = "acct_bench000000000001"
ENDPOINT = "/webhooks/stripe/"
DUPLICATES = 0.05

# The production `intake` process (README, Operations): the ASGI app under gunicorn's asyncio
# worker, which answers Stripe's POSTs on the event loop (connections/intake.py). The WSGI front
# of the `web` process is measured with BENCH_WEBHOOKS_GUNICORN="config.wsgi --workers 3
# --worker-class gthread --threads 4" (bench/README.md has both sets of figures).
DEFAULT_GUNICORN = "config.asgi --worker-class asgi --workers 2"
UNPACED_COUNT = 10_000
# Stripe delivers events to an endpoint in parallel; 16 connections keep the server's threads
# busy while others wait on PostgreSQL's commit.
UNPACED_CONCURRENCY = 16
UNPACED_MAX_SECONDS = 60.0
PACED_RATE = 200.0
PACED_SECONDS = 15.0
PACED_CONCURRENCY = 16

TARGET_UNPACED_EVENTS_PER_S = 1000.0
TARGET_PACED_P99_MS = 50.0


def log(message: str) -> None:
    print(f"webhooks: {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- environment


def admin_url() -> str:
    return os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def redis_url() -> str:
    base = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379").rstrip("/")
    return f"{base}/{REDIS_DB}"


def database_url() -> str:
    # Same server as the admin URL, our own database.
    return admin_url().rsplit("/", 1)[0] + f"/{DATABASE}"


def server_env(secret: str, var_dir: str) -> dict[str, str]:
    """Production mode, as config/settings.py demands it, on plain-HTTP loopback."""
    env = {
        key: value
        for key, value in os.environ.items()
        # The developer's own settings must not leak into the measured server.
        if not key.startswith(("DJANGO_", "DATABASE_", "REDIS_", "CELERY_", "STRIPE_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        EMAIL_HOST="smtp.invalid",
        SECURE_SSL_REDIRECT="false",
        DATABASE_URL=database_url(),
        REDIS_URL=redis_url(),
        STRIPE_WEBHOOK_SECRET=secret,
        LOG_LEVEL="WARNING",
        TIEOUT_VAR_DIR=var_dir,
    )
    return env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --------------------------------------------------------------------------- database, redis


def recreate_database() -> None:
    with psycopg.connect(admin_url(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DATABASE}"')


def drop_database() -> None:
    with psycopg.connect(admin_url(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


def flush_redis() -> None:
    redis.Redis.from_url(redis_url()).flushdb()


def doorbells() -> int:
    """Celery messages waiting in Redis (no worker consumes them). The endpoint rings at most
    once a second per connection, however many events arrive (connections/inbox.py)."""
    client = redis.Redis.from_url(redis_url())
    # Kombu keeps one list per queue and priority step: "ingest", "ingest\x06\x163", ...
    lists = [
        key
        for pattern in ("ingest*", "default*")
        for key in client.scan_iter(pattern)
        if client.type(key) == b"list"
    ]
    return sum(client.llen(key) for key in lists)


SEED_CODE = """
from connections.models import Connection
from tenants.models import Tenant
tenant = Tenant.objects.create(name="Bench organisation")
Connection.objects.create(
    tenant=tenant, provider="stripe", method="stripe_connect",
    external_id="{account}", livemode=False, display_name="Bench Stripe",
)
"""


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        timeout=300,
    )


def prepare_database(env: dict[str, str]) -> None:
    recreate_database()
    manage(env, "migrate", "--noinput")
    manage(env, "shell", "-c", SEED_CODE.format(account=ACCOUNT))


def inbox(event_ids: set[str]) -> dict[str, Any]:
    """Compare the inbox with the ids sent so far (all phases): exactly those, once each."""
    with psycopg.connect(database_url()) as conn:
        rows = conn.execute(
            "SELECT event_id, status, connection_id IS NOT NULL FROM connections_inboundevent"
        ).fetchall()
    found = [row[0] for row in rows]
    found_set = set(found)
    return {
        "expected": len(event_ids),
        "rows": len(found),
        "distinct": len(found_set),
        "missing": len(event_ids - found_set),
        "unexpected": len(found_set - event_ids),
        "not_routed": sum(1 for row in rows if row[1] != "received" or not row[2]),
        "ok": found_set == event_ids
        and len(found) == len(found_set)
        and all(row[1] == "received" and row[2] for row in rows),
    }


# --------------------------------------------------------------------------- CPU accounting


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of one process from /proc (0 when it is gone or not Linux)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(parent: int) -> list[int]:
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == parent:
                pids.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return pids


def server_cpu(master: int) -> dict[str, dict[int, float]]:
    """CPU used so far per process: gunicorn (master + workers) and the PostgreSQL backends
    serving the bench database. With the client's own figure it shows how the cores were split."""
    with psycopg.connect(admin_url(), autocommit=True) as conn:
        backends = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (DATABASE,),
        ).fetchall()
    return {
        "gunicorn": {pid: _cpu_seconds(pid) for pid in [master, *_children(master)]},
        "postgres": {pid: _cpu_seconds(pid) for (pid,) in backends},
    }


def machine_busy_seconds() -> float:
    """CPU time all processes on the machine have used since boot (from /proc/stat)."""
    try:
        ticks = [
            int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
        ]
    except OSError:
        return 0.0
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def cpu_delta(before: dict[int, float], after: dict[int, float]) -> float:
    # A process that started during the phase counts from zero; one that ended is missed, so
    # this is a lower bound when workers or backends are replaced mid-phase.
    return sum(max(0.0, seconds - before.get(pid, 0.0)) for pid, seconds in after.items())


# --------------------------------------------------------------------------- server


@contextmanager
def gunicorn(env: dict[str, str], options: str) -> Iterator[tuple[int, int]]:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        *shlex.split(options),
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        "--worker-tmp-dir",
        "/dev/shm" if Path("/dev/shm").is_dir() else tempfile.gettempdir(),
    ]
    with tempfile.TemporaryFile() as errors:
        server = subprocess.Popen(command, cwd=REPO, env=env, stdout=errors, stderr=errors)
        try:
            wait_healthy(port, server)
            yield port, server.pid
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=10)
            errors.seek(0)
            tail = errors.read().decode(errors="replace").strip().splitlines()[-20:]
            if tail:
                log("gunicorn said:\n  " + "\n  ".join(tail))


def wait_healthy(port: int, server: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode} while starting")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz")
            status = conn.getresponse().status
            conn.close()
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.25)
    raise RuntimeError(f"gunicorn did not answer /healthz within {timeout:.0f}s")


# --------------------------------------------------------------------------- load phases


def run_load(
    port: int, secret: str, *, count: int, concurrency: int, rate: float, seconds: float, seed: int
) -> dict[str, Any]:
    command = [
        sys.executable,
        str(LOADER),
        "--url",
        f"http://127.0.0.1:{port}{ENDPOINT}",
        "--account",
        ACCOUNT,
        "--count",
        str(count),
        "--duplicates",
        str(DUPLICATES),
        "--concurrency",
        str(concurrency),
        "--rate",
        str(rate),
        "--max-seconds",
        str(seconds),
        "--seed",
        str(seed),
    ]
    env = {**os.environ, "STRIPE_WEBHOOK_SECRET": secret}
    done = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=seconds + 120, check=False
    )
    if done.stderr:
        print(done.stderr, end="", file=sys.stderr)
    if done.returncode != 0:
        raise RuntimeError(f"load generator failed ({done.returncode})")
    return json.loads(done.stdout)


def phase(
    name: str, server: tuple[int, int], secret: str, sent_so_far: set[str], **load: Any
) -> dict[str, Any]:
    port, master = server
    log(f"phase {name}: {load}")
    cpu_before, busy_before = server_cpu(master), machine_busy_seconds()
    result = run_load(port, secret, **load)
    cpu_after, busy_after = server_cpu(master), machine_busy_seconds()
    ids = set(result.pop("ids"))
    sent_so_far |= ids
    answered = max(result["answered"], 1)
    result["cpu_ms_per_event"] = {
        kind: round(cpu_delta(cpu_before[kind], cpu_after[kind]) * 1000 / answered, 3)
        for kind in ("gunicorn", "postgres")
    } | {
        "client": round(result["client_cpu_s"] * 1000 / answered, 3),
    }
    # What the cores could carry if this run had them to itself: a contention-free yardstick
    # next to the measured rate when other work shares the machine.
    per_event = max(sum(result["cpu_ms_per_event"].values()), 1e-6)
    # CPU that neither the server, PostgreSQL nor the client used: other work on the machine.
    ours = per_event * answered / 1000
    other = max(0.0, busy_after - busy_before - ours)
    capacity = max(result["duration_s"] * (os.cpu_count() or 1), 1e-6)
    result["other_processes_cpu_share"] = round(other / capacity, 3)
    result["cpu_bound_events_per_s"] = round((os.cpu_count() or 1) * 1000 / per_event, 1)
    result["non_200"] = sum(n for status, n in result["status_counts"].items() if status != "200")
    result["inbox"] = inbox(sent_so_far)
    result["doorbells_total"] = doorbells()
    # Coalesced: at least one, never more than one per stored event.
    result["doorbells_ok"] = 0 < result["doorbells_total"] <= len(sent_so_far)
    scheduled = result.get("latency_from_schedule_ms", {}).get("p99")
    log(
        f"phase {name}: {result['events_per_s']} events/s, p50 {result['latency_ms']['p50']} ms,"
        f" p99 {result['latency_ms']['p99']} ms (from schedule: {scheduled}),"
        f" non-200 {result['non_200']}, inbox ok {result['inbox']['ok']},"
        f" CPU taken by other processes {result['other_processes_cpu_share']:.0%}"
    )
    return result


def targets(unpaced: dict[str, Any], paced: dict[str, Any]) -> dict[str, Any]:
    paced_p99 = paced["latency_from_schedule_ms"]["p99"]
    checks_ok = all(
        phase["inbox"]["ok"] and phase["non_200"] == 0 and phase["doorbells_ok"]
        for phase in (unpaced, paced)
    )
    return {
        "unpaced_events_per_s": {
            "target": f">= {TARGET_UNPACED_EVENTS_PER_S:.0f}",
            "measured": unpaced["events_per_s"],
            "pass": unpaced["events_per_s"] >= TARGET_UNPACED_EVENTS_PER_S,
        },
        "paced_200_p99_ms": {
            "target": f"< {TARGET_PACED_P99_MS:.0f} (from scheduled send time)",
            "measured": paced_p99,
            "pass": paced_p99 is not None and paced_p99 < TARGET_PACED_P99_MS,
        },
        "inbox_exact_and_all_200": {"pass": checks_ok},
        # A phase cut short by its time limit sent fewer events than planned.
        "all_planned_events_sent": {"pass": unpaced["complete"] and paced["complete"]},
    }


def measure(server: tuple[int, int], secret: str, count: int, concurrency: int) -> dict[str, Any]:
    sent: set[str] = set()
    # Untimed: every worker opens its database and Redis connections and imports the webhook
    # code path before the clock starts; its events are part of the inbox check.
    warm_up = run_load(server[0], secret, count=200, concurrency=16, rate=0.0, seconds=30.0, seed=3)
    sent |= set(warm_up["ids"])
    unpaced = phase(
        "unpaced",
        server,
        secret,
        sent,
        count=count,
        concurrency=concurrency,
        rate=0.0,
        seconds=UNPACED_MAX_SECONDS,
        seed=1,
    )
    paced = phase(
        "paced_200",
        server,
        secret,
        sent,
        count=int(PACED_RATE * PACED_SECONDS),
        concurrency=PACED_CONCURRENCY,
        rate=PACED_RATE,
        seconds=PACED_SECONDS,
        seed=2,
    )
    return {"unpaced": unpaced, "paced_200": paced, "targets": targets(unpaced, paced)}


def inputs(options: str, count: int, concurrency: int) -> dict[str, Any]:
    return {
        "endpoint": f"POST {ENDPOINT}",
        "server": f"gunicorn {options}",
        "settings": "production mode (DEBUG=false), PostgreSQL, Redis broker, no worker",
        "duplicates_fraction": DUPLICATES,
        "unpaced": {"count": count, "concurrency": concurrency, "max_s": UNPACED_MAX_SECONDS},
        "paced_200": {
            "rate_per_s": PACED_RATE,
            "seconds": PACED_SECONDS,
            "concurrency": PACED_CONCURRENCY,
            "latency_measured_from": "scheduled send time (latency_from_schedule_ms); "
            "latency_ms is from the actual send",
        },
        "load_generator": "bench/tools/webhook_load.py: asyncio, separate process, "
        "keep-alive connections (reopened when the server closes them)",
    }


def run() -> dict[str, Any]:
    options = os.environ.get("BENCH_WEBHOOKS_GUNICORN", DEFAULT_GUNICORN)
    count = int(os.environ.get("BENCH_WEBHOOKS_COUNT", UNPACED_COUNT))
    concurrency = int(os.environ.get("BENCH_WEBHOOKS_CONCURRENCY", UNPACED_CONCURRENCY))
    secret = "whsec_" + secrets.token_hex(16)
    started = time.monotonic()
    load_before = os.getloadavg()
    log(f"database {DATABASE}, redis db {REDIS_DB}, gunicorn {options}")
    with tempfile.TemporaryDirectory(prefix="tieout-bench-") as var_dir:
        env = server_env(secret, var_dir)
        try:
            flush_redis()
            prepare_database(env)
            with gunicorn(env, options) as server:
                measured = measure(server, secret, count, concurrency)
        finally:
            for cleanup in (drop_database, flush_redis):
                try:
                    cleanup()
                except Exception as error:  # noqa: BLE001 - clean up the rest, then report
                    log(f"cleanup {cleanup.__name__} failed: {error}")
    return {
        "inputs": inputs(options, count, concurrency)
        | {"loadavg_before": [round(value, 2) for value in load_before]},
        **measured,
        "wall_s": round(time.monotonic() - started, 1),
        # Other work on the machine (tests, builds) shares the cores and lowers the figures.
        "loadavg_after": [round(value, 2) for value in os.getloadavg()],
    }

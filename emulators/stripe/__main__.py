"""Command line: serve the emulator, or generate a seeded history into a state file.

    python -m emulators.stripe --host 127.0.0.1 --port 12111 [--state FILE] [--seed N ...]
    python -m emulators.stripe seed --seed N --days D --customers C --currencies usd,eur \
        [--state FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from emulators.stripe import scenarios
from emulators.stripe.store import (
    CONNECT_CLIENT_ID,
    DEFAULT_START,
    PLATFORM_ACCOUNT,
    PLATFORM_READONLY_TEST,
    PLATFORM_SECRET_LIVE,
    PLATFORM_SECRET_TEST,
    Store,
)


def _scenario_args(parser: argparse.ArgumentParser, seed_default: int | None) -> None:
    parser.add_argument(
        "--seed",
        type=int,
        default=seed_default,
        help="generate a seeded history (deterministic from N)",
    )
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--customers", type=int, default=12)
    parser.add_argument("--currencies", default="usd", help="comma-separated, first is default")
    parser.add_argument("--state", type=Path, help="JSON state file (loaded, then saved)")
    parser.add_argument(
        "--start", type=int, default=DEFAULT_START, help="emulator clock start (unix seconds)"
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m emulators.stripe", description="A local Stripe API emulator."
    )
    parser.add_argument("--host", default="127.0.0.1", help="bind address (loopback default)")
    parser.add_argument("--port", type=int, default=12111)
    parser.add_argument(
        "--clock-speed",
        type=float,
        default=0.0,
        help="emulator seconds per wall second (0: the clock moves only via the admin API)",
    )
    _scenario_args(parser, seed_default=None)
    commands = parser.add_subparsers(dest="command")
    seed = commands.add_parser("seed", help="generate a history and save it with --state")
    _scenario_args(seed, seed_default=1)
    return parser


def _seed(store: Store, args: argparse.Namespace) -> None:
    options = scenarios.Options(
        seed=args.seed,
        days=args.days,
        customers=args.customers,
        currencies=[c.strip().lower() for c in args.currencies.split(",")],
    )
    summary = scenarios.generate(store, options)
    print(json.dumps(summary, indent=2), file=sys.stderr)  # noqa: T201


def _print_keys(url: str) -> None:
    print(f"Stripe emulator on {url}", file=sys.stderr)  # noqa: T201
    for label, value in [
        ("platform account", PLATFORM_ACCOUNT),
        ("secret key (test)", PLATFORM_SECRET_TEST),
        ("secret key (live)", PLATFORM_SECRET_LIVE),
        ("read-only restricted key (test)", PLATFORM_READONLY_TEST),
        ("Connect client_id", CONNECT_CLIENT_ID),
    ]:
        print(f"  {label:34} {value}", file=sys.stderr)  # noqa: T201


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    store = Store(start=args.start, seed=args.seed or 0, state_file=args.state)
    if args.seed is not None:
        _seed(store, args)
        store.save()
    if args.command == "seed":
        if args.state is None:
            print("note: no --state FILE, the history is not kept", file=sys.stderr)  # noqa: T201
        return 0
    from werkzeug.serving import run_simple

    from emulators.stripe.server import StripeEmulator

    app = StripeEmulator(store, background_delivery=True)
    if args.clock_speed > 0:
        app.start_clock(args.clock_speed)
    _print_keys(f"http://{args.host}:{args.port}")
    try:
        run_simple(args.host, args.port, app, threaded=True, use_reloader=False)
    finally:
        app.stop()
        store.save()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

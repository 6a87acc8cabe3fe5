"""python -m emulators.quickbooks --host 127.0.0.1 --port 12112 [--state FILE]"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from werkzeug.serving import make_server

from emulators.quickbooks import xsd
from emulators.quickbooks.clock import Clock
from emulators.quickbooks.oauth import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from emulators.quickbooks.server import Emulator
from emulators.quickbooks.store import Store

LOOPBACK = {"127.0.0.1", "::1", "localhost"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m emulators.quickbooks",
        description="QuickBooks Online emulator (OAuth + API v3)",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=12112)
    parser.add_argument("--state", type=Path, help="JSON file to load and persist state")
    parser.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow binding a non-loopback host (it has no real security)",
    )
    args = parser.parse_args(argv)
    if args.host not in LOOPBACK and not args.allow_remote:
        parser.error(f"refusing to bind {args.host}: loopback only unless --allow-remote")
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    app = Emulator(store=Store(Clock(), args.state))
    server = make_server(args.host, args.port, app, threaded=True)
    xsd.warm_up_in_background()  # compile the XSD while the first client connects
    base = f"http://{args.host}:{server.port}"
    print(f"QuickBooks emulator on {base}", flush=True)  # noqa: T201
    print(f"  discovery     {base}/.well-known/openid_sandbox_configuration/")  # noqa: T201
    print(f"  client_id     {DEFAULT_CLIENT_ID}")  # noqa: T201
    print(f"  client_secret {DEFAULT_CLIENT_SECRET}")  # noqa: T201
    print(f"  API base      {base}/v3   admin {base}/_emulator/", flush=True)  # noqa: T201
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        app.chaos.release.set()
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`make bench`: run every benchmark module in bench/ and write bench/results/<name>.json.

A benchmark is a module `bench/<name>.py` with `run() -> dict` returning its inputs and
measurements. This runner adds the git revision, the machine and the time. Performance is
measured here, never by timed assertions in tests.
"""

from __future__ import annotations

import importlib
import json
import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"


def discover() -> list[str]:
    return sorted(
        path.stem for path in BENCH_DIR.glob("*.py") if path.stem not in {"__init__", "run"}
    )


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
    }


def git_revision() -> str:
    result = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=BENCH_DIR, capture_output=True, text=True, check=False
    )
    return result.stdout.strip() or "unknown"


def run_one(name: str) -> Path:
    module = importlib.import_module(f"bench.{name}")
    started = datetime.now(UTC)
    measurements = module.run()
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    record = {
        "benchmark": name,
        "started_at": started.isoformat(),
        "git_revision": git_revision(),
        "machine": machine(),
        **measurements,
    }
    path.write_text(json.dumps(record, indent=2) + "\n")
    return path


def main(argv: list[str]) -> int:
    names = argv or discover()
    if not names:
        print("No benchmarks yet: add bench/<name>.py with a run() function.")
        return 0
    for name in names:
        print(f"{name}: {run_one(name)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

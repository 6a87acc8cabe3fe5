"""The README's Partner API examples run, as written, with curl against a live server."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from unittest import mock

import pytest

from syncs import tasks
from syncs.models import OutboxDocument, SyncRun
from tests.api.conftest import ApiWorld
from tests.shared import REPO_ROOT


def _blocks() -> list[str]:
    readme = (REPO_ROOT / "README.md").read_text()
    section = readme.split("\n## Partner API\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL)


def test_it_finds_the_examples_and_each_curl_fails_on_an_http_error() -> None:
    blocks = _blocks()
    assert len(blocks) >= 6
    calls = re.findall(r"curl [^\n]*", "\n".join(blocks))
    assert len(calls) >= 8
    assert all(" -fsS " in call for call in calls), calls


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_it_runs_the_readme_examples_against_a_live_server(live_server, api: ApiWorld) -> None:  # type: ignore[no-untyped-def]
    env = {
        "PATH": os.environ["PATH"],
        "TIEOUT_URL": live_server.url,
        "TIEOUT_KEY": api.a_rw,
        "TIEOUT_ORG": api.a.slug,
    }
    # The examples start a backfill; the worker's part is tested elsewhere.
    with mock.patch.object(tasks.run_sync, "delay", autospec=True) as enqueued:
        for block in _blocks():
            if "export TIEOUT_" in block:
                continue  # the block that sets the variables this test sets
            result = subprocess.run(
                ["bash", "-euo", "pipefail", "-c", block],
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert result.returncode == 0, (block, result.stdout, result.stderr)
            assert result.stdout.strip(), block
    run = SyncRun.objects.get(tenant=api.a.tenant, trigger=SyncRun.Trigger.API)
    assert (run.kind, run.status) == (SyncRun.Kind.BACKFILL, SyncRun.Status.QUEUED)
    enqueued.assert_called_once_with(run.pk)
    api.a.document.refresh_from_db()
    assert api.a.document.status == OutboxDocument.Status.PLANNED  # the retried error

from __future__ import annotations

import logging

from celery import shared_task

from syncs import services

logger = logging.getLogger(__name__)


@shared_task(time_limit=30 * 60, soft_time_limit=29 * 60)
def run_sync(sync_run_id: int) -> None:
    if not services.sync_run_claim(run_id=sync_run_id):
        logger.info("sync run %s is gone or already claimed", sync_run_id)
        return
    try:
        services.sync_run_execute(run_id=sync_run_id)
    except Exception as error:
        # The top of a task may catch broadly: record what happened on the row, then re-raise.
        services.sync_run_fail(run_id=sync_run_id, error=error)
        raise

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


@shared_task(time_limit=30 * 60, soft_time_limit=29 * 60)
def post_outbox(quickbooks_id: int) -> None:
    """Post what is due for one QuickBooks company; a second copy finds the lease taken."""
    report = services.outbox_post(quickbooks_id=quickbooks_id)
    logger.info("posting for connection %s: %s", quickbooks_id, report)


@shared_task(time_limit=60, soft_time_limit=50)
def sweep_outbox() -> None:
    """Beat: ring the doorbell for every company with due or unresolved documents, so a lost
    or doubled queue message is harmless (the rows, not the queue, say what is left)."""
    for quickbooks_id in services.companies_with_work():
        post_outbox.delay(quickbooks_id)


@shared_task(time_limit=60, soft_time_limit=50)
def schedule_safety_net_scans() -> None:
    """Beat: re-read recent Stripe history for every connected account (webhooks can be lost).
    First, runs whose worker died mid-run are queued again (they resume at their cursor)."""
    for run_id in services.sync_runs_resume_abandoned():
        logger.info("sync run %s was abandoned by its worker; resumed", run_id)
    for run_id in services.safety_net_scans_request():
        logger.info("safety-net scan %s queued", run_id)

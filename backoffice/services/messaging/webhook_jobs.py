"""RQ jobs of outgoing webhooks: one attempt per job, the retry scheduled with backoff.

The database holds the truth (status, attempts, next_attempt_at); Redis only carries the
wake-ups. `enqueue_due` runs after every event dispatch and on the minute tick, so a
retry whose scheduled job Redis lost is still sent.
"""

from __future__ import annotations

from datetime import timedelta

from redis import Redis
from rq import Queue, get_current_job

from backoffice.db import session_scope
from backoffice.queue import connect
from backoffice.services.messaging.webhooks import attempt_delivery, due_deliveries
from backoffice.settings import get_settings


def _queue(connection: Redis | None = None) -> Queue:
    job = get_current_job()
    conn = connection or (job.connection if job is not None else connect())
    return Queue("default", connection=conn)


def deliver_webhook(delivery_id: int, attempts: int) -> str:
    """Attempt number `attempts + 1` of one delivery; schedules the next one on failure."""
    outcome = attempt_delivery(delivery_id, attempts)
    if outcome is None:
        return "skipped"
    if outcome.retry_in is not None:
        _queue().enqueue_in(
            timedelta(seconds=outcome.retry_in),
            deliver_webhook,
            delivery_id,
            attempts + 1,
            job_id=f"webhook-{delivery_id}-{attempts + 1}",
        )
    return outcome.status.value


def enqueue_due(connection: Redis | None = None) -> int:
    """Queue one job per due delivery (a duplicate job finds the row claimed and stops)."""
    if connection is None and get_current_job() is None and not get_settings().redis_url:
        return 0  # no queue here (unit tests, CLI): the worker's tick will send them
    with session_scope() as session:
        due = due_deliveries(session)
    if not due:
        return 0
    queue = _queue(connection)
    for delivery_id, attempts in due:
        queue.enqueue(
            deliver_webhook, delivery_id, attempts, job_id=f"webhook-{delivery_id}-{attempts}"
        )
    return len(due)

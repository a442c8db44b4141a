"""RQ job functions: advance a batch of runs, dispatch events, the minute tick, delivery.

Workers import this module; nothing here touches Reflex.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import cast

from redis import Redis
from rq import Queue, get_current_job

from backoffice.db import on_events_committed, session_scope
from backoffice.models.base import utcnow
from backoffice.queue import connect
from backoffice.services.messaging.messages import deliver, pending_messages
from backoffice.services.messaging.webhook_jobs import enqueue_due
from backoffice.settings import get_settings
from backoffice.workflows.engine import advance, due_runs, stale_running
from backoffice.workflows.executor import RQExecutor
from backoffice.workflows.triggers import dispatch_events as dispatch
from backoffice.workflows.triggers import fire_time_triggers

TICK_EVERY = timedelta(seconds=60)


def _executor() -> RQExecutor:
    job = get_current_job()
    return RQExecutor(job.connection if job is not None else connect())


def advance_runs(run_ids: list[int]) -> dict[str, int]:
    executor = _executor()
    report = advance(run_ids, wake_later=executor.wake_later)
    deliver_messages()
    return {"steps": report.steps, "finished": report.finished, "waiting": len(report.waiting)}


INLINE_RUNS = 50  # a handful of runs from one event: advance them here, one hop sooner


def dispatch_events() -> int:
    """Domain events → runs. Enqueued after a commit that emitted events, and every tick."""
    job = get_current_job()
    if job is not None:  # from here on, a new commit's wake enqueues the next dispatch
        job.connection.delete(DISPATCH_PENDING)
    total = 0
    while True:
        with session_scope() as session:
            run_ids = dispatch(session)
        enqueue_due()  # webhook deliveries the dispatch just created (and any due retries)
        if not run_ids:
            return total
        executor = _executor()
        if len(run_ids) <= INLINE_RUNS:
            advance(run_ids, wake_later=executor.wake_later)
            deliver_messages()
        else:
            executor.submit(run_ids)
        total += len(run_ids)


def tick() -> dict[str, int]:
    """Every minute: time triggers, due waits, lost work, leftover events; then again."""
    now = utcnow()
    job = get_current_job()
    connection = job.connection if job is not None else None
    last = None
    if connection is not None:
        # redis-py types get() for sync and async clients alike; this client is sync
        raw = cast("bytes | None", connection.get("backoffice:last_tick"))
        last = None if raw is None else datetime.fromisoformat(raw.decode())
        connection.set("backoffice:last_tick", now.isoformat())
    with session_scope() as session:
        started = fire_time_triggers(session, now, last)
        due = due_runs(session, now)
        lost = stale_running(
            session, now - timedelta(seconds=get_settings().workflow_stale_seconds)
        )
    executor = _executor()
    executor.submit(started + due + lost)
    dispatched = dispatch_events()
    if connection is not None:
        Queue("default", connection=connection).enqueue_at(
            now + TICK_EVERY, tick, job_id=f"tick-{int((now + TICK_EVERY).timestamp()) // 60}"
        )
    return {
        "started": len(started),
        "woken": len(due),
        "recovered": len(lost),
        "dispatched": dispatched,
    }


def recover_lost_runs(older_than_seconds: int = 600) -> int:
    """Runs left "running" by a dead worker go back to a queue (the tick does this too)."""
    with session_scope() as session:
        lost = stale_running(session, utcnow() - timedelta(seconds=older_than_seconds))
    _executor().submit(lost)
    return len(lost)


def deliver_messages() -> int:
    count = 0
    with session_scope() as session:
        for message in pending_messages(session):
            deliver(session, message)
            count += 1
    return count


_shared: Redis | None = None


# Set while a dispatch job waits in the queue; the job clears it as it starts. It expires on
# its own in case that job is lost (the minute tick dispatches leftover events anyway).
DISPATCH_PENDING = "backoffice:dispatch-pending"
DISPATCH_PENDING_SECONDS = 60


def wake_dispatcher() -> None:
    """Make sure a dispatch job is waiting; silently nothing without Redis (tests, CLI without
    REDIS_URL). One waiting job is enough, as it reads every event committed before it
    starts: a burst of sales enqueues one job, not one per sale."""
    global _shared
    if not get_settings().redis_url:
        return
    try:
        if _shared is None:
            _shared = connect()
        if _shared.set(DISPATCH_PENDING, 1, nx=True, ex=DISPATCH_PENDING_SECONDS):
            Queue("default", connection=_shared).enqueue(dispatch_events)
    except Exception:  # noqa: BLE001  (the minute tick will dispatch; a sale must not fail)
        _shared = None


# Importing the jobs (the app, the API, every worker and CLI command that enqueues does)
# connects committed domain events to the dispatcher; looked up at call time, so a test can
# replace it.
on_events_committed(lambda: wake_dispatcher())

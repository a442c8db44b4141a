"""RQ job functions: advance a batch of runs, dispatch events, the minute tick, delivery.

Workers import this module; nothing here touches Reflex.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from rq import Queue, get_current_job

from backoffice.db import session_scope
from backoffice.models.base import utcnow
from backoffice.settings import get_settings

TICK_EVERY = timedelta(seconds=60)


def _executor():  # noqa: ANN202
    from backoffice.queue import connect
    from backoffice.workflows.executor import RQExecutor

    job = get_current_job()
    return RQExecutor(job.connection if job is not None else connect())


def advance_runs(run_ids: list[int]) -> dict[str, int]:
    from backoffice.workflows.engine import advance

    executor = _executor()
    report = advance(run_ids, wake_later=executor.wake_later)
    deliver_messages()
    return {"steps": report.steps, "finished": report.finished, "waiting": len(report.waiting)}


INLINE_RUNS = 50  # a handful of runs from one event: advance them here, one hop sooner


def dispatch_events() -> int:
    """Domain events → runs. Enqueued after a commit that emitted events, and every tick."""
    from backoffice.queue import DISPATCH_PENDING
    from backoffice.services.messaging.webhook_jobs import enqueue_due
    from backoffice.workflows.engine import advance
    from backoffice.workflows.triggers import dispatch_events as dispatch

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
    from backoffice.workflows.engine import due_runs, stale_running
    from backoffice.workflows.triggers import fire_time_triggers

    now = utcnow()
    job = get_current_job()
    connection = job.connection if job is not None else None
    last = None
    if connection is not None:
        raw = connection.get("backoffice:last_tick")
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
    from backoffice.workflows.engine import stale_running

    with session_scope() as session:
        lost = stale_running(session, utcnow() - timedelta(seconds=older_than_seconds))
    _executor().submit(lost)
    return len(lost)


def deliver_messages() -> int:
    from backoffice.services.messaging.messages import deliver, pending_messages

    count = 0
    with session_scope() as session:
        for message in pending_messages(session):
            deliver(session, message)
            count += 1
    return count

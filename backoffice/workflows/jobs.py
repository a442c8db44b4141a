"""RQ job functions: advance a batch of runs, dispatch events, deliver messages.

Workers import this module; nothing here touches Reflex.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta

from redis import Redis
from rq import Queue, get_current_job
from sqlmodel import col, select

from backoffice.db import on_events_committed, read_scope, session_scope
from backoffice.logs import bind
from backoffice.models import WorkflowRun
from backoffice.models.base import utcnow
from backoffice.queue import connect
from backoffice.services.messaging.delivery import (
    ChannelPacer,
    deliver_due,
    next_retry_at,
    queued_count,
)
from backoffice.services.messaging.webhook_jobs import enqueue_due
from backoffice.settings import get_settings
from backoffice.workflows.engine import advance
from backoffice.workflows.executor import RQExecutor, hold_runs
from backoffice.workflows.triggers import dispatch_events as dispatch


def _executor() -> RQExecutor:
    job = get_current_job()
    return RQExecutor(job.connection if job is not None else connect())


log = logging.getLogger("backoffice.engine")


def _workflows_of(run_ids: list[int]) -> list[int]:
    with read_scope() as session:
        return sorted(
            int(w)
            for w in session.exec(
                select(WorkflowRun.workflow_id)
                .where(col(WorkflowRun.id).in_(run_ids or [-1]))
                .distinct()
            ).all()
        )


def advance_runs(run_ids: list[int]) -> dict[str, int]:
    """A batch of runs through the graph; one log line for the batch (not one per run)."""
    started = time.perf_counter()
    workflows = _workflows_of(run_ids)
    bind(
        workflow=",".join(map(str, workflows)),
        runs=f"{min(run_ids, default=0)}-{max(run_ids, default=0)}",
    )
    executor = _executor()
    report = advance(run_ids, wake_later=executor.wake_later)
    wake_delivery()
    log.info(
        "batch advanced",
        extra={
            "batch_size": len(run_ids),
            "steps": report.steps,
            "finished": report.finished,
            "waiting": len(report.waiting),
            "seconds": round(time.perf_counter() - started, 3),
        },
    )
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
            if job is not None:  # this job holds them now (the reconciler watches it)
                hold_runs(run_ids, job.id)
            advance(run_ids, wake_later=executor.wake_later)
            wake_delivery()
        else:
            executor.submit(run_ids)
        total += len(run_ids)


# Set while a delivery job waits in the queue (as DISPATCH_PENDING is for dispatch).
DELIVERY_PENDING = "backoffice:delivery-pending"


def deliver_outbox(max_messages: int = 5000) -> dict[str, int]:
    """Deliver what is due, claimed message by message (services/messaging/delivery.py);
    when more is left than one job takes, the next job is queued."""
    job = get_current_job()
    connection = job.connection if job is not None else None
    if connection is not None:
        connection.delete(DELIVERY_PENDING)
    report = deliver_due(pacer=ChannelPacer(connection), max_messages=max_messages)
    tried = report.sent + report.retrying + report.failed
    if connection is not None and tried >= max_messages:
        wake_delivery(force=True)
    elif connection is not None:
        with session_scope() as session:
            retry_at = next_retry_at(session)
        if retry_at is not None:  # a retry waits for its time: a job is there at that time
            at = (retry_at + timedelta(seconds=1)).replace(microsecond=0)
            Queue("default", connection=connection).enqueue_at(
                at, deliver_outbox, job_id=f"delivery-retry-{int(at.timestamp())}"
            )
    return {"sent": report.sent, "retrying": report.retrying, "failed": report.failed}


def wake_delivery(force: bool = False) -> bool:
    """Queue a delivery job when messages are due and none waits; its own job, so a batch
    or a dispatch never waits on a gateway. Without Redis, nothing (the scheduler's tick
    delivers). Returns whether a job was queued."""
    if not get_settings().redis_url:
        return False
    if not force:
        with session_scope() as session:
            if not queued_count(session, utcnow()):
                return False
    return _enqueue_once(DELIVERY_PENDING, deliver_outbox)


_shared: Redis | None = None


# Set while a dispatch job waits in the queue; the job clears it as it starts. It expires on
# its own in case that job is lost (the minute tick dispatches leftover events anyway).
DISPATCH_PENDING = "backoffice:dispatch-pending"
DISPATCH_PENDING_SECONDS = 60


def wake_dispatcher() -> None:
    """Make sure a dispatch job is waiting; silently nothing without Redis (tests, CLI without
    REDIS_URL). One waiting job is enough, as it reads every event committed before it
    starts: a burst of sales enqueues one job, not one per sale."""
    if get_settings().redis_url:
        _enqueue_once(DISPATCH_PENDING, dispatch_events)


def _enqueue_once(flag: str, job: Callable[[], object]) -> bool:
    """Enqueue `job` unless one already waits (its `flag` is set; the job clears it as it
    starts). A Redis error is swallowed: the minute tick does the work, and the sale or
    batch that asked must not fail. Returns whether a job was queued."""
    global _shared
    try:
        if _shared is None:
            _shared = connect()
        if _shared.set(flag, 1, nx=True, ex=DISPATCH_PENDING_SECONDS):
            Queue("default", connection=_shared).enqueue(job)
            return True
    except Exception:  # noqa: BLE001  (see the docstring)
        _shared = None
    return False


# Importing the jobs (the app, the API, every worker and CLI command that enqueues does)
# connects committed domain events to the dispatcher; looked up at call time, so a test can
# replace it.
on_events_committed(lambda: wake_dispatcher())

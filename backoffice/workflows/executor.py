"""How runs get advanced: right here (tests, dry runs) or on RQ workers. One interface."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Protocol

from redis import Redis
from rq import Queue, Retry
from sqlalchemy import update
from sqlmodel import col

from backoffice.db import session_scope
from backoffice.models import WorkflowRun
from backoffice.settings import get_settings
from backoffice.workflows.engine import WaveReport, advance

# The job that advances a batch of runs, named rather than imported: the jobs module
# submits through this executor (tests/unit/test_workflow_engine.py checks the name).
ADVANCE_RUNS = "backoffice.workflows.jobs.advance_runs"


def batch_size() -> int:
    """Runs per job (WORKFLOW_BATCH): one RQ job per member per step would not scale."""
    return get_settings().workflow_batch


class Executor(Protocol):
    def submit(self, run_ids: list[int]) -> None: ...


class SyncExecutor:
    """Advances runs in the calling process; waits are recorded for the test to wake."""

    def __init__(self) -> None:
        self.waiting: dict[int, datetime] = {}
        self.reports: list[WaveReport] = []

    def submit(self, run_ids: list[int]) -> None:
        size = batch_size()
        for start in range(0, len(run_ids), size):
            self.reports.append(
                advance(run_ids[start : start + size], wake_later=self.waiting.__setitem__)
            )


class RQExecutor:
    """Batches of runs become RQ jobs; waits become scheduled jobs (the reconciler backs
    them up if Redis loses one)."""

    def __init__(self, connection: Redis) -> None:
        self.queue = Queue("default", connection=connection)

    def submit(self, run_ids: list[int]) -> None:
        size = batch_size()
        for start in range(0, len(run_ids), size):
            batch = run_ids[start : start + size]
            job_id = f"runs-{uuid.uuid4().hex}"
            hold_runs(batch, job_id)  # first: a job lost right after enqueue is still seen
            self.queue.enqueue(
                ADVANCE_RUNS, batch, job_id=job_id, retry=Retry(max=3, interval=[2, 10, 30])
            )

    def wake_later(self, run_id: int, at: datetime) -> None:
        # RQ schedules to the whole second: round up so the job never runs before wake_at.
        at = (at + timedelta(seconds=1)).replace(microsecond=0)
        self.queue.enqueue_at(
            at, ADVANCE_RUNS, [run_id], job_id=f"wake-{run_id}-{uuid.uuid4().hex[:12]}"
        )


def hold_runs(run_ids: list[int], job_id: str) -> None:
    """Record which RQ job holds these runs, so the scheduler can tell a lost batch (its job
    gone, failed or silent) from one that is waiting in the queue or working."""
    if not run_ids:
        return
    with session_scope() as session:
        for start in range(0, len(run_ids), 900):
            session.execute(
                update(WorkflowRun)
                .where(col(WorkflowRun.id).in_(run_ids[start : start + 900]))
                .values(job_id=job_id)
            )

"""How runs get advanced: right here (tests, dry runs) or on RQ workers. One interface."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Protocol

from redis import Redis
from rq import Queue, Retry

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
            self.queue.enqueue(
                ADVANCE_RUNS,
                run_ids[start : start + size],
                retry=Retry(max=3, interval=[2, 10, 30]),
            )

    def wake_later(self, run_id: int, at: datetime) -> None:
        # RQ schedules to the whole second: round up so the job never runs before wake_at.
        at = (at + timedelta(seconds=1)).replace(microsecond=0)
        self.queue.enqueue_at(
            at, ADVANCE_RUNS, [run_id], job_id=f"wake-{run_id}-{uuid.uuid4().hex[:12]}"
        )

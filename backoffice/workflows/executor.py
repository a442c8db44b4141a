"""How runs get advanced: right here (tests, dry runs) or on RQ workers. One interface."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from backoffice.workflows.engine import WaveReport, advance

BATCH = 1000  # runs per job: one RQ job per member per step would not scale


class Executor(Protocol):
    def submit(self, run_ids: list[int]) -> None: ...


class SyncExecutor:
    """Advances runs in the calling process; waits are recorded for the test to wake."""

    def __init__(self) -> None:
        self.waiting: dict[int, datetime] = {}
        self.reports: list[WaveReport] = []

    def submit(self, run_ids: list[int]) -> None:
        for start in range(0, len(run_ids), BATCH):
            self.reports.append(
                advance(run_ids[start : start + BATCH], wake_later=self.waiting.__setitem__)
            )


class RQExecutor:
    """Batches of runs become RQ jobs; waits become scheduled jobs (the reconciler backs
    them up if Redis loses one)."""

    def __init__(self, connection) -> None:  # noqa: ANN001
        from rq import Queue

        self.queue = Queue("default", connection=connection)

    def submit(self, run_ids: list[int]) -> None:
        from rq import Retry

        from backoffice.workflows import jobs

        for start in range(0, len(run_ids), BATCH):
            self.queue.enqueue(
                jobs.advance_runs,
                run_ids[start : start + BATCH],
                retry=Retry(max=3, interval=[2, 10, 30]),
            )

    def wake_later(self, run_id: int, at: datetime) -> None:
        from backoffice.workflows import jobs

        self.queue.enqueue_at(
            at, jobs.advance_runs, [run_id], job_id=f"wake-{run_id}-{int(at.timestamp())}"
        )

"""The RQ worker process (`backoffice worker`)."""

from __future__ import annotations

from rq import Queue, Worker

# The job modules (and everything they use) are imported before work horses fork, so each
# job starts in milliseconds instead of re-importing the domain per job.
import backoffice.workflows.housekeeping  # noqa: F401
import backoffice.workflows.jobs  # noqa: F401
import backoffice.workflows.triggers  # noqa: F401
from backoffice.queue import QUEUE_NAMES, connect


def run_worker(url: str | None = None, burst: bool = False) -> int:
    connection = connect(url)
    queues = [Queue(name, connection=connection) for name in QUEUE_NAMES]
    worker = Worker(queues, connection=connection)
    worker.work(with_scheduler=True, burst=burst)
    return 0

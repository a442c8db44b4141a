"""The RQ worker process (`backoffice worker`), which outlives a Redis outage.

RQ's worker exits when Redis goes away mid-job (its work-horse monitor raises a connection
error). This process then waits for Redis to come back and starts working again; the batch
that was in flight is re-queued by the scheduler once its job stops beating (the effects
are keyed, so nothing is done twice).
"""

from __future__ import annotations

import logging
import threading
import time

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rq import Queue, Worker
from rq.executions import Execution
from rq.job import Job

# The job modules (and everything they use) are imported before work horses fork, so each
# job starts in milliseconds instead of re-importing the domain per job.
import backoffice.workflows.alerting  # noqa: F401
import backoffice.workflows.housekeeping  # noqa: F401
import backoffice.workflows.jobs  # noqa: F401
import backoffice.workflows.scheduler  # noqa: F401
import backoffice.workflows.triggers  # noqa: F401
from backoffice.logs import bind, unbind
from backoffice.queue import QUEUE_NAMES, connect
from backoffice.settings import get_settings
from backoffice.workflows.alerting import watch_scheduler
from backoffice.workflows.engine.warmup import fresh_pools_in_work_horses, rehearse

log = logging.getLogger("backoffice.worker")

# Heartbeats every 10 s (RQ's default is 30): the scheduler tells a dead worker's batch
# from a slow one within a minute.
JOB_MONITORING_INTERVAL = 10
REDIS_DOWN = (RedisConnectionError, RedisTimeoutError, ConnectionError, OSError)


class BackofficeWorker(Worker):
    """RQ's worker, with the job's id and function on every log line the job writes."""

    def perform_job(self, job: Job, queue: Queue, execution: Execution) -> bool:
        bind(job_id=job.id, function=job.func_name or "")
        try:
            return bool(super().perform_job(job, queue, execution))
        finally:
            unbind("job_id", "function")


def run_worker(url: str | None = None, burst: bool = False, max_wait: float = 30.0) -> int:
    fresh_pools_in_work_horses()
    rehearse()  # before the first fork: every work horse starts warm
    stop = threading.Event()
    if not burst:  # the scheduler cannot report its own silence: the workers watch it
        watch_scheduler(lambda: connect(url), stop)
    try:
        return _work(url, burst, max_wait)
    finally:
        stop.set()


def _work(url: str | None, burst: bool, max_wait: float) -> int:
    delay = 1.0
    # RQ sets its loggers' level when it starts working; ours is RQ_LOG_LEVEL (or LOG_LEVEL).
    settings = get_settings()
    rq_level = (settings.rq_log_level or settings.log_level).upper()
    while True:
        try:
            connection = connect(url)
            connection.ping()
            queues = [Queue(name, connection=connection) for name in QUEUE_NAMES]
            worker = BackofficeWorker(
                queues, connection=connection, job_monitoring_interval=JOB_MONITORING_INTERVAL
            )
            delay = 1.0
            worker.work(with_scheduler=True, burst=burst, logging_level=rq_level)
            return 0
        except REDIS_DOWN as exc:
            log.warning("Redis unreachable (%s); working again once it is back", exc)
            time.sleep(delay)
            delay = min(max_wait, delay * 2)

"""Failed RQ jobs as operators see them, and what they may do with one: retry it (back on
its queue, as it was) or discard it (deleted). Both need `operations.manage` and are audited;
the caller's transaction holds the audit row.

RQ 3's FailedJobRegistry does the work (`requeue`, `remove(delete_job=True)`); a job id that
is not in a registry of ours is refused, so a browser cannot touch other jobs by id."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from redis import Redis
from rq.job import Job
from rq.registry import FailedJobRegistry
from rq.results import Result
from sqlmodel import Session

from backoffice.errors import DomainError, NotFound
from backoffice.queue import QUEUE_NAMES
from backoffice.services.org import audit
from backoffice.services.org.access import Actor, require


@dataclass(frozen=True)
class FailedJob:
    id: str
    queue: str
    function: str
    failed_at: datetime | None
    error: str  # the last line of the traceback: what a person reads first
    traceback: str


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _error_of(job: Job) -> str:
    result = job.latest_result()
    if result is not None and result.type == Result.Type.FAILED and result.exc_string:
        return result.exc_string
    return ""


def recent_failed_jobs(redis: Redis, limit: int = 50) -> list[FailedJob]:
    """The newest failed jobs of every queue, newest first."""
    found: list[FailedJob] = []
    for name in QUEUE_NAMES:
        registry = FailedJobRegistry(name, connection=redis)
        ids = registry.get_job_ids(0, limit - 1, desc=True)
        for job in Job.fetch_many(ids, connection=redis):
            if job is None:
                continue
            trace = _error_of(job)
            lines = [line for line in trace.strip().splitlines() if line.strip()]
            found.append(
                FailedJob(
                    id=job.id,
                    queue=name,
                    function=job.func_name or "",
                    failed_at=_aware(job.ended_at),
                    error=(lines[-1] if lines else "")[:300],
                    traceback=trace[-4000:],
                )
            )
    found.sort(key=lambda j: j.failed_at or datetime.min.replace(tzinfo=UTC), reverse=True)
    return found[:limit]


def failure_times(redis: Redis, limit: int = 500) -> list[datetime]:
    """When the newest failed jobs ended (the job-failure alert counts them in its window)."""
    times: list[datetime] = []
    for name in QUEUE_NAMES:
        ids = FailedJobRegistry(name, connection=redis).get_job_ids(0, limit - 1, desc=True)
        times += [
            at
            for job in Job.fetch_many(ids, connection=redis)
            if job is not None and (at := _aware(job.ended_at)) is not None
        ]
    return times


def _registry_holding(redis: Redis | None, job_id: str) -> FailedJobRegistry:
    if redis is None:
        raise DomainError("error.redis_unavailable")
    for name in QUEUE_NAMES:
        registry = FailedJobRegistry(name, connection=redis)
        if job_id in registry:
            return registry
    raise NotFound("error.failed_job_not_found")


def retry_failed_job(session: Session, actor: Actor, redis: Redis | None, job_id: str) -> str:
    """Put a failed job back on its queue, as it was; returns the queue's name."""
    require(actor, "operations.manage")
    registry = _registry_holding(redis, job_id)
    job = Job.fetch(job_id, connection=registry.connection)
    # The audit row first: if Redis refuses, the exception rolls it back with the call.
    audit.record(
        session,
        actor,
        "operations.job_retried",
        target_type="job",
        target_id=job_id,
        changes={"function": job.func_name or "", "queue": registry.name},
    )
    session.flush()
    registry.requeue(job)
    return registry.name


def discard_failed_job(session: Session, actor: Actor, redis: Redis | None, job_id: str) -> None:
    """Delete a failed job for good (what it did before failing stays done)."""
    require(actor, "operations.manage")
    registry = _registry_holding(redis, job_id)
    job = Job.fetch(job_id, connection=registry.connection)
    audit.record(
        session,
        actor,
        "operations.job_discarded",
        target_type="job",
        target_id=job_id,
        changes={"function": job.func_name or "", "queue": registry.name},
    )
    session.flush()
    registry.remove(job, delete_job=True)

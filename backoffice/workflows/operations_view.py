"""What the operations page shows, for those allowed to see it (`operations.manage`): the
snapshot (workflows/operations), the newest failed jobs, the open alerts, and the last
nightly and backup results. Retry and discard live in workflows/failed_jobs."""

from __future__ import annotations

from dataclasses import dataclass, field

from redis import Redis
from sqlmodel import Session

from backoffice.models import OperationsAlert
from backoffice.services.operations.alerts import open_alerts
from backoffice.services.org.access import Actor, require
from backoffice.workflows.failed_jobs import FailedJob, recent_failed_jobs
from backoffice.workflows.housekeeping import read_state
from backoffice.workflows.operations import Snapshot, configured_redis, take_snapshot


@dataclass
class Overview:
    snapshot: Snapshot
    failed_jobs: list[FailedJob] = field(default_factory=list)
    alerts: list[OperationsAlert] = field(default_factory=list)
    nightly_error: str = ""
    last_backup: str = ""
    backup_error: str = ""


def operations_overview(session: Session, actor: Actor, redis: Redis | None = None) -> Overview:
    require(actor, "operations.manage")
    redis = redis if redis is not None else configured_redis()
    overview = Overview(snapshot=take_snapshot(redis))
    if redis is not None and overview.snapshot.redis_ok:
        overview.failed_jobs = recent_failed_jobs(redis)
    overview.alerts = open_alerts(session, actor)
    overview.nightly_error = read_state(session, _task_error("nightly"))
    overview.last_backup = read_state(session, "backup.last")
    overview.backup_error = read_state(session, _task_error("backup"))
    return overview


def _task_error(task: str) -> str:
    """The scheduler's record of a task's last error (Scheduler._record_error)."""
    return f"error.{task}"


def operations_redis() -> Redis | None:
    """The Redis the page's retry and discard act on (REDIS_URL or the embedded one)."""
    return configured_redis()

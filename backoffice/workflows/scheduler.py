"""The scheduler process (`backoffice scheduler`): everything time-based, owned by one leader.

Every few seconds the leader (a lock with expiry in Redis, renewed while it lives; a second
scheduler says it is standing by and takes over when the lock runs out):
- ticks each new minute: time triggers over (last tick, now], so a scheduler that was down
  catches up on what it missed (up to SCHEDULER_CATCHUP_HOURS), each occurrence once; runs
  whose wait is over; runs whose job was lost; events and messages left waiting;
- queues the nightly loyalty run once per local day after NIGHTLY_HOUR;
- queues the session purge every six hours.
What it has done lives in the database (SchedulerState), never only in Redis. A task that
fails is logged and recorded, and the next pass runs it again; the loop itself never stops
on an error. Its heartbeat in Redis is what /readyz, the operations page and alerts read.

RQ's own cron is not used: it takes no lock between two instances and skips what it missed
(../shared/STACK.md).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from redis import Redis
from rq import Queue, get_current_job
from rq.job import Job, JobStatus
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from backoffice.db import session_scope
from backoffice.models import RunStatus, WorkflowRun
from backoffice.models.base import as_utc, utcnow
from backoffice.queue import connect
from backoffice.settings import get_settings
from backoffice.workflows import alerting, housekeeping, jobs
from backoffice.workflows.engine import due_runs
from backoffice.workflows.executor import RQExecutor
from backoffice.workflows.heartbeat import HEARTBEAT_KEY
from backoffice.workflows.housekeeping import read_state, write_state
from backoffice.workflows.triggers import fire_time_triggers

log = logging.getLogger("backoffice.scheduler")

LEADER_KEY = "backoffice:scheduler:leader"
LEASE_SECONDS = 30
PASS_SECONDS = 5
NIGHTLY_HOUR = 3  # local time of the nightly loyalty run
BACKUP_HOUR = 2  # local time of the nightly backup (before the loyalty run changes much)
SESSION_PURGE_EVERY = timedelta(hours=6)
# A job that has not beaten for this long (workers beat every 10 s) lost its runs.
JOB_SILENT = timedelta(seconds=45)
LOST_JOB_STATUSES = {JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED}

_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""


def _instant(raw: str) -> datetime | None:
    if not raw:
        return None
    value = datetime.fromisoformat(raw)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# ---- the minute tick ------------------------------------------------------------------------


def tick_minute(now: datetime, engine: Engine | None = None) -> tuple[list[int], datetime]:
    """Time triggers over (last tick, now], and the cursor moved to `now` in the same
    transaction: the runs exist exactly when the minute counts as ticked."""
    window = timedelta(hours=get_settings().scheduler_catchup_hours)
    with session_scope(engine) as session:
        last = _instant(read_state(session, "tick.last"))
        since = now - timedelta(minutes=1) if last is None else max(last, now - window)
        started = fire_time_triggers(session, now, since)
        write_state(session, "tick.last", now.isoformat())
    return started, since


def lost_runs(session: Session, now: datetime, redis: Redis | None) -> list[int]:
    """Runs left "running" by a lost job: its job is gone from Redis (a restart without
    persistence), failed, stopped, or has not beaten for JOB_SILENT (its worker's whole
    process tree died). Runs held by no job count as lost after WORKFLOW_STALE_SECONDS."""
    settings = get_settings()
    rows = session.exec(
        select(WorkflowRun.id, WorkflowRun.job_id, WorkflowRun.started_at)
        .where(
            WorkflowRun.status == RunStatus.RUNNING, col(WorkflowRun.started_at) < now - JOB_SILENT
        )
        .order_by(col(WorkflowRun.id))
        .limit(50_000)
    ).all()
    stale_before = now - timedelta(seconds=settings.workflow_stale_seconds)
    by_job: dict[str, list[int]] = {}
    lost: list[int] = []
    for run_id, job_id, started_at in rows:
        if job_id:
            by_job.setdefault(job_id, []).append(int(run_id or 0))
        elif as_utc(started_at) < stale_before:
            lost.append(int(run_id or 0))
    if redis is not None and by_job:
        ids = list(by_job)
        waiting = set(Queue("default", connection=redis).get_job_ids())
        for job_id, job in zip(ids, Job.fetch_many(ids, connection=redis), strict=True):
            if job_lost(job, now, waiting):
                lost += by_job[job_id]
    return sorted(lost)


def job_lost(job: Job | None, now: datetime, waiting: set[str] | None = None) -> bool:
    """Gone, failed, silent while started, or "queued" though in no queue: a worker killed
    after taking the job off the queue and before starting it leaves it so (RQ's own
    clean-up of that comes only with its next maintenance, minutes later)."""
    if job is None:
        return True
    status = job.get_status(refresh=False)
    if status in LOST_JOB_STATUSES:
        return True
    if status == JobStatus.QUEUED and waiting is not None and job.id not in waiting:
        queued_at = job.enqueued_at or job.created_at
        return queued_at is None or as_utc(queued_at) < now - JOB_SILENT
    if status == JobStatus.STARTED:
        beat = job.last_heartbeat or job.started_at
        return beat is None or as_utc(beat) < now - JOB_SILENT
    return False


def run_tick(now: datetime, redis: Redis, engine: Engine | None = None) -> dict[str, int]:
    """One minute's work: time triggers (with catch-up), runs whose wait is over, runs whose
    job was lost; then wake the dispatcher and delivery for anything no wake-up reached
    (e.g. committed while Redis was down)."""
    started, _since = tick_minute(now, engine)
    with session_scope(engine) as session:
        due = due_runs(session, now)
        lost = lost_runs(session, now, redis)
    RQExecutor(redis).submit(started + due + lost)
    jobs.wake_dispatcher()
    jobs.wake_delivery()
    if lost:
        log.warning("re-queued %d runs whose job was lost", len(lost))
    return {"started": len(started), "woken": len(due), "recovered": len(lost)}


def tick_job() -> dict[str, int]:
    """The tick as an RQ job (tests and `backoffice` operators may queue one by hand)."""
    job = get_current_job()
    return run_tick(utcnow(), job.connection if job is not None else connect())


# ---- the leader and its passes --------------------------------------------------------------


@dataclass
class PassReport:
    leader: bool
    ticked: int = 0  # minutes ticked in this pass
    started: int = 0
    woken: int = 0
    recovered: int = 0
    errors: int = 0


class Scheduler:
    """One scheduler process. `run()` loops until `stop` is set; `one_pass()` is one turn."""

    def __init__(
        self,
        redis: Redis,
        engine: Engine | None = None,
        clock: Callable[[], datetime] = utcnow,
        lease_seconds: int = LEASE_SECONDS,
    ) -> None:
        self.redis = redis
        self.engine = engine
        self.clock = clock
        self.lease_ms = lease_seconds * 1000
        self.identity = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._renew = redis.register_script(_RENEW)
        self.leading = False
        self.stop = threading.Event()
        self.last_error = ""
        self.started_at = clock()
        self._alerts_at: datetime | None = None

    # leadership

    def try_lead(self) -> bool:
        """Take the lock if free, or renew it if ours; False while another leads."""
        try:
            if self._renew(keys=[LEADER_KEY], args=[self.identity, self.lease_ms]):
                self.leading = True
            else:
                self.leading = bool(
                    self.redis.set(LEADER_KEY, self.identity, nx=True, px=self.lease_ms)
                )
        except Exception as exc:  # noqa: BLE001  (Redis away: nobody can lead, try again)
            self._record_error("lead", exc)
            self.leading = False
        return self.leading

    def resign(self) -> None:
        """Give the lock back at shutdown, so a standby takes over at once."""
        try:
            if self.redis.get(LEADER_KEY) == self.identity.encode():
                self.redis.delete(LEADER_KEY)
        except Exception:  # noqa: BLE001
            pass
        self.leading = False

    # one turn

    def one_pass(self) -> PassReport:
        now = self.clock()
        report = PassReport(leader=self.try_lead())
        if report.leader:
            self._guarded("tick", lambda: self._tick(now, report), report)
            self._guarded("nightly", lambda: self._nightly(now), report)
            self._guarded("sessions", lambda: self._sessions(now), report)
            self._guarded("backup", lambda: self._backup(now), report)
            self._guarded("alerts", lambda: self._alerts(now), report)
        self._heartbeat(now, report)
        return report

    def run(self) -> None:
        log.info("scheduler %s started", self.identity)
        was_leading = None
        while not self.stop.is_set():
            report = self.one_pass()
            if report.leader != was_leading:
                log.info(
                    "scheduler %s %s",
                    self.identity,
                    "leads" if report.leader else "stands by: another scheduler leads",
                )
                was_leading = report.leader
            self.stop.wait(PASS_SECONDS)
        self.resign()
        log.info("scheduler %s stopped", self.identity)

    # the tasks

    def _tick(self, now: datetime, report: PassReport) -> None:
        minute = now.replace(second=0, microsecond=0)
        with session_scope(self.engine) as session:
            last = _instant(read_state(session, "tick.last"))
        if last is not None and last.replace(second=0, microsecond=0) >= minute:
            return
        counts = run_tick(now, self.redis, self.engine)
        report.ticked = 1
        report.started, report.woken, report.recovered = (
            counts["started"],
            counts["woken"],
            counts["recovered"],
        )

    def _nightly(self, now: datetime) -> None:
        tz = ZoneInfo(get_settings().default_timezone)
        local = now.astimezone(tz)
        if local.hour < NIGHTLY_HOUR:
            return
        today = local.date().isoformat()
        with session_scope(self.engine) as session:
            if read_state(session, "nightly.last") == today:
                return
        job_id = f"nightly-loyalty-{today}"
        job = Job.fetch_many([job_id], connection=self.redis)[0]
        if job is not None and job.get_status(refresh=False) not in LOST_JOB_STATUSES:
            return  # queued, running, or finished and about to be recorded
        Queue("default", connection=self.redis).enqueue(
            housekeeping.nightly_loyalty, today, job_id=job_id, job_timeout=3 * 3600
        )
        log.info("queued the nightly loyalty run for %s", today)

    def _backup(self, now: datetime) -> None:
        """With BACKUP_DIR set: one backup a local day from BACKUP_HOUR, kept BACKUP_KEEP."""
        if not get_settings().backup_dir:
            return
        local = now.astimezone(ZoneInfo(get_settings().default_timezone))
        if local.hour < BACKUP_HOUR:
            return
        today = local.date().isoformat()
        with session_scope(self.engine) as session:
            if read_state(session, "backup.last") == today:
                return
        job_id = f"backup-{today}"
        job = Job.fetch_many([job_id], connection=self.redis)[0]
        if job is not None and job.get_status(refresh=False) not in LOST_JOB_STATUSES:
            return
        Queue("default", connection=self.redis).enqueue(
            housekeeping.backup_tonight, today, job_id=job_id, job_timeout=3 * 3600
        )

    def _alerts(self, now: datetime) -> None:
        """Once a minute, every alert rule (services/operations/alerts)."""
        if self._alerts_at is not None and now - self._alerts_at < timedelta(minutes=1):
            return
        self._alerts_at = now
        alerting.evaluate_tick(self.redis, now, self.started_at, self.engine)

    def _sessions(self, now: datetime) -> None:
        with session_scope(self.engine) as session:
            last = _instant(read_state(session, "sessions.last"))
            if last is not None and now - last < SESSION_PURGE_EVERY:
                return
            write_state(session, "sessions.last", now.isoformat())
        Queue("default", connection=self.redis).enqueue(
            housekeeping.purge_expired_sessions, job_id=f"sessions-{now:%Y%m%d%H}"
        )

    # errors and the heartbeat

    def _guarded(self, task: str, work: Callable[[], None], report: PassReport) -> None:
        try:
            work()
        except Exception as exc:  # noqa: BLE001  (one task's failure never stops the others)
            report.errors += 1
            self._record_error(task, exc)

    def _record_error(self, task: str, exc: Exception) -> None:
        self.last_error = f"{task}: {type(exc).__name__}: {exc}"[:1000]
        log.exception("scheduler task %s failed", task)
        try:
            with session_scope(self.engine) as session:
                write_state(session, f"error.{task}", f"{utcnow().isoformat()} {self.last_error}")
        except Exception:  # noqa: BLE001  (the database itself may be what failed)
            pass

    def _heartbeat(self, now: datetime, report: PassReport) -> None:
        if not report.leader:
            return  # the leader's heartbeat is the one that counts
        beat = {
            "at": now.isoformat(),
            "identity": self.identity,
            "leader": report.leader,
            "last_error": self.last_error,
        }
        with contextlib.suppress(Exception):  # Redis away: readiness will say so
            self.redis.set(HEARTBEAT_KEY, json.dumps(beat), ex=600)

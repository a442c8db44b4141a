"""How the automation is doing, in one snapshot: the scheduler's heartbeat and last tick,
queues, workers, failed jobs, runs stuck or waiting, the message backlog per channel and
the last nightly run. `backoffice status`, `/readyz` and `/metrics` all read it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from redis import Redis
from rq import Queue, Worker
from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry
from sqlalchemy import text
from sqlmodel import Session, col, func, select

from backoffice.db import read_scope
from backoffice.models import MessageStatus, OutboxMessage, RunStatus, Sale, WorkflowRun
from backoffice.models.base import as_utc, utcnow
from backoffice.queue import QUEUE_NAMES, connect
from backoffice.settings import get_settings
from backoffice.workflows.heartbeat import scheduler_heartbeat
from backoffice.workflows.housekeeping import read_state
from backoffice.workflows.scheduler import JOB_SILENT

SCHEDULER_SILENT = timedelta(minutes=3)  # older than this: not ready
WORKER_SILENT = timedelta(seconds=90)


@dataclass
class QueueState:
    name: str
    queued: int
    started: int
    scheduled: int
    failed: int


@dataclass
class WorkerState:
    name: str
    state: str
    last_heartbeat: datetime | None
    current_job: str


@dataclass
class Snapshot:
    now: datetime
    database_ok: bool = False
    redis_ok: bool = False
    scheduler_at: datetime | None = None
    scheduler_error: str = ""
    last_tick: datetime | None = None
    last_nightly: str = ""
    queues: list[QueueState] = field(default_factory=list)
    workers: list[WorkerState] = field(default_factory=list)
    runs: dict[str, int] = field(default_factory=dict)
    stuck_runs: int = 0  # running for longer than a job may stay silent
    messages: dict[tuple[str, str], int] = field(default_factory=dict)  # (channel, status)
    sales: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def scheduler_age(self) -> timedelta | None:
        return None if self.scheduler_at is None else self.now - self.scheduler_at

    @property
    def live_workers(self) -> list[WorkerState]:
        return [
            w
            for w in self.workers
            if w.last_heartbeat is not None and self.now - w.last_heartbeat < WORKER_SILENT
        ]

    @property
    def ready(self) -> bool:
        return not self.problems


def configured_redis() -> Redis | None:
    """The Redis of REDIS_URL, or None when this process has none configured."""
    return connect() if get_settings().redis_url else None


def take_snapshot(redis: Redis | None, now: datetime | None = None) -> Snapshot:
    """Everything the operations views show; each part that cannot be read is a problem,
    never an exception."""
    snap = Snapshot(now=now or utcnow())
    try:
        with read_scope() as session:
            _database_part(session, snap)
        snap.database_ok = True
    except Exception as exc:  # noqa: BLE001  (a health check reports, it does not raise)
        snap.problems.append(f"database: {type(exc).__name__}: {exc}"[:300])
    if redis is None:
        snap.problems.append("redis: not configured")
        return snap
    try:
        _redis_part(redis, snap)
        snap.redis_ok = True
    except Exception as exc:  # noqa: BLE001
        snap.problems.append(f"redis: {type(exc).__name__}: {exc}"[:300])
        return snap
    age = snap.scheduler_age
    if age is None or age > SCHEDULER_SILENT:
        snap.problems.append("scheduler: no heartbeat in the last 3 minutes")
    if not snap.live_workers:
        snap.problems.append("workers: none alive")
    return snap


def _database_part(session: Session, snap: Snapshot) -> None:
    session.execute(text("SELECT 1"))
    raw_tick = read_state(session, "tick.last")
    snap.last_tick = as_utc(datetime.fromisoformat(raw_tick)) if raw_tick else None
    snap.last_nightly = read_state(session, "nightly.last")
    snap.runs = {
        str(status): int(n)
        for status, n in session.exec(
            select(WorkflowRun.status, func.count()).group_by(WorkflowRun.status)
        ).all()
    }
    snap.stuck_runs = int(
        session.exec(
            select(func.count())
            .select_from(WorkflowRun)
            .where(
                col(WorkflowRun.status) == RunStatus.RUNNING,
                col(WorkflowRun.started_at) < snap.now - JOB_SILENT * 4,
            )
        ).one()
    )
    snap.messages = {
        (str(channel), str(status)): int(n)
        for channel, status, n in session.exec(
            select(OutboxMessage.channel, OutboxMessage.status, func.count()).group_by(
                OutboxMessage.channel, OutboxMessage.status
            )
        ).all()
    }
    snap.sales = int(session.exec(select(func.count()).select_from(Sale)).one())


def _redis_part(redis: Redis, snap: Snapshot) -> None:
    redis.ping()
    beat = scheduler_heartbeat(redis)
    if beat is not None:
        snap.scheduler_at = as_utc(datetime.fromisoformat(str(beat["at"])))
        snap.scheduler_error = str(beat.get("last_error") or "")
    for name in QUEUE_NAMES:
        queue = Queue(name, connection=redis)
        snap.queues.append(
            QueueState(
                name=name,
                queued=queue.count,
                started=len(StartedJobRegistry(name, connection=redis)),
                scheduled=len(ScheduledJobRegistry(name, connection=redis)),
                failed=len(FailedJobRegistry(name, connection=redis)),
            )
        )
    for worker in Worker.all(connection=redis):
        job = worker.get_current_job()
        snap.workers.append(
            WorkerState(
                name=worker.name,
                state=str(worker.get_state()),
                last_heartbeat=as_utc(worker.last_heartbeat) if worker.last_heartbeat else None,
                current_job=job.id if job is not None else "",
            )
        )


def readiness(snap: Snapshot) -> dict[str, Any]:
    """`/readyz`'s body: ready, and each check with what it found."""
    age = snap.scheduler_age
    return {
        "ready": snap.ready,
        "checks": {
            "database": snap.database_ok,
            "redis": snap.redis_ok,
            "scheduler_heartbeat_seconds": None if age is None else round(age.total_seconds()),
            "workers_alive": len(snap.live_workers),
        },
        "problems": snap.problems,
    }


class SnapshotCollector(Collector):
    """Prometheus metrics read from a fresh snapshot at each scrape."""

    def __init__(self, redis: Redis | None) -> None:
        self.redis = redis

    def collect(self) -> Iterator[GaugeMetricFamily]:
        snap = take_snapshot(self.redis)
        runs = GaugeMetricFamily(
            "backoffice_workflow_runs", "Workflow runs by status", labels=["status"]
        )
        for status in RunStatus:
            runs.add_metric([status.value], snap.runs.get(str(status), 0))
        yield runs
        yield GaugeMetricFamily(
            "backoffice_workflow_runs_stuck",
            "Runs running for over 3 minutes",
            value=snap.stuck_runs,
        )
        depth = GaugeMetricFamily(
            "backoffice_queue_jobs", "RQ jobs by queue and state", labels=["queue", "state"]
        )
        for q in snap.queues:
            for state, n in (
                ("queued", q.queued),
                ("started", q.started),
                ("scheduled", q.scheduled),
                ("failed", q.failed),
            ):
                depth.add_metric([q.name, state], n)
        yield depth
        yield GaugeMetricFamily(
            "backoffice_workers_alive",
            "Workers with a recent heartbeat",
            value=len(snap.live_workers),
        )
        messages = GaugeMetricFamily(
            "backoffice_messages",
            "Outbox messages by channel and status",
            labels=["channel", "status"],
        )
        for (channel, message_status), n in sorted(snap.messages.items()):
            messages.add_metric([channel, message_status], n)
        yield messages
        age = snap.scheduler_age
        yield GaugeMetricFamily(
            "backoffice_scheduler_heartbeat_age_seconds",
            "Seconds since the scheduler's last heartbeat (-1: none)",
            value=-1 if age is None else age.total_seconds(),
        )
        lag = -1.0 if snap.last_tick is None else (snap.now - snap.last_tick).total_seconds()
        yield GaugeMetricFamily(
            "backoffice_tick_lag_seconds", "Seconds since the last minute tick", value=lag
        )
        yield GaugeMetricFamily("backoffice_sales", "Sales recorded", value=snap.sales)
        yield GaugeMetricFamily(
            "backoffice_ready", "1 when /readyz answers ready", value=int(snap.ready)
        )


def status_lines(snap: Snapshot) -> list[str]:
    """`backoffice status`: the snapshot as lines a person reads."""
    age = snap.scheduler_age
    lines = [
        f"ready: {'yes' if snap.ready else 'NO'}",
        f"database: {'ok' if snap.database_ok else 'DOWN'}   redis: {'ok' if snap.redis_ok else 'DOWN'}",
        "scheduler: "
        + ("no heartbeat" if age is None else f"heartbeat {int(age.total_seconds())} s ago")
        + (f", last tick {snap.last_tick:%Y-%m-%d %H:%M} UTC" if snap.last_tick else "")
        + (f", last nightly {snap.last_nightly}" if snap.last_nightly else "")
        + (f", last error: {snap.scheduler_error}" if snap.scheduler_error else ""),
    ]
    for q in snap.queues:
        lines.append(
            f"queue {q.name}: {q.queued} queued, {q.started} started, "
            f"{q.scheduled} scheduled, {q.failed} failed"
        )
    for w in snap.workers:
        beat = (
            "never"
            if w.last_heartbeat is None
            else f"{int((snap.now - w.last_heartbeat).total_seconds())} s ago"
        )
        lines.append(
            f"worker {w.name}: {w.state}, heartbeat {beat}"
            + (f", job {w.current_job}" if w.current_job else "")
        )
    runs = ", ".join(f"{n} {s}" for s, n in sorted(snap.runs.items())) or "none"
    lines.append(f"runs: {runs}; stuck: {snap.stuck_runs}")
    by_channel: dict[str, list[str]] = {}
    for (channel, status), n in sorted(snap.messages.items()):
        by_channel.setdefault(channel, []).append(f"{n} {status}")
    for channel, parts in by_channel.items():
        lines.append(f"messages {channel}: {', '.join(parts)}")
    lines += [f"problem: {p}" for p in snap.problems]
    return lines


def backlog(snap: Snapshot) -> int:
    """Messages waiting to be sent (queued or being sent)."""
    return sum(
        n
        for (_channel, status), n in snap.messages.items()
        if status in (MessageStatus.QUEUED, MessageStatus.SENDING)
    )

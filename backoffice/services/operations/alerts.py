"""Operations alerts: the rules (a silent scheduler, failing jobs, a failing channel) as
plain functions of what was measured, and each alert's state in the database.

The rules decide; `record_findings` opens and closes the rows so that, whichever process
evaluates (the scheduler's tick, a worker's watch, the web app), an alert opens once and
its opening is announced once (the caller announces only the keys it opened)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from backoffice.i18n import t
from backoffice.models import Channel, MessageStatus, OperationsAlert, OutboxMessage
from backoffice.models.base import utcnow
from backoffice.services.org.access import Actor, require

SCHEDULER_SILENT = "scheduler_silent"
JOB_FAILURES = "job_failures"
CHANNEL_FAILURES = "channel_failures"


@dataclass(frozen=True)
class Finding:
    """A rule that holds now, for one subject (a channel; "" for the whole product)."""

    rule: str
    subject: str = ""
    detail: str = ""

    @property
    def key(self) -> str:
        return f"{self.rule}:{self.subject}" if self.subject else self.rule


def _detail(key: str, **params: int) -> str:
    """A finding's detail is stored as a catalog key with its numbers, so the banner reads
    it in each person's language and the email in English (`detail_text`)."""
    return json.dumps({"key": key, **params})


def detail_text(detail: str, lang: str) -> str:
    """The stored detail in `lang` (a detail stored as plain text before comes back as is)."""
    try:
        data = json.loads(detail)
    except ValueError:
        return detail
    if not isinstance(data, dict) or "key" not in data:
        return detail
    key = str(data.pop("key"))
    return t(lang, key, **data)


# ---- the rules --------------------------------------------------------------------------


def scheduler_silent(
    heartbeat_at: datetime | None, now: datetime, silent: timedelta, watching_since: datetime
) -> Finding | None:
    """No scheduler heartbeat for `silent`. With no heartbeat at all (it expires from Redis),
    silent once the watcher itself has watched that long: a fresh start is not an alert."""
    if heartbeat_at is not None:
        if now - heartbeat_at < silent:
            return None
        age = int((now - heartbeat_at).total_seconds())
        return Finding(SCHEDULER_SILENT, detail=_detail("alert.detail.heartbeat_age", age=age))
    if now - watching_since < silent:
        return None
    return Finding(SCHEDULER_SILENT, detail=_detail("alert.detail.no_heartbeat"))


def job_failures(
    failed_at: Iterable[datetime], now: datetime, threshold: int, window: timedelta
) -> Finding | None:
    """`threshold` or more jobs failed in the last `window`."""
    recent = sum(1 for at in failed_at if now - window <= at <= now)
    if threshold <= 0 or recent < threshold:
        return None
    minutes = int(window.total_seconds() // 60)
    detail = _detail("alert.detail.jobs_failed", count=recent, minutes=minutes)
    return Finding(JOB_FAILURES, detail=detail)


def channel_failures(
    outcomes: dict[str, tuple[int, int]], rate: float, min_sample: int
) -> list[Finding]:
    """Channels whose share of failed messages, among those finished (sent or failed) in
    the window, is over `rate`; a channel with fewer than `min_sample` finished is judged
    on nothing and never alerts."""
    found = []
    for channel, (sent, failed) in sorted(outcomes.items()):
        finished = sent + failed
        if finished < max(1, min_sample) or failed / finished <= rate:
            continue
        share = round(100 * failed / finished)
        detail = _detail("alert.detail.channel", failed=failed, finished=finished, share=share)
        found.append(Finding(CHANNEL_FAILURES, channel, detail))
    return found


def channel_outcomes(session: Session, since: datetime) -> dict[str, tuple[int, int]]:
    """(sent, failed) per provider channel for messages created since `since`."""
    rows = session.exec(
        select(OutboxMessage.channel, OutboxMessage.status, func.count())
        .where(
            col(OutboxMessage.created_at) >= since,
            col(OutboxMessage.channel) != Channel.OUTBOX,
            col(OutboxMessage.status).in_([MessageStatus.SENT, MessageStatus.FAILED]),
        )
        .group_by(OutboxMessage.channel, OutboxMessage.status)
    ).all()
    outcomes: dict[str, tuple[int, int]] = {}
    for channel, status, n in rows:
        sent, failed = outcomes.get(str(channel), (0, 0))
        if status == MessageStatus.SENT:
            sent += int(n)
        else:
            failed += int(n)
        outcomes[str(channel)] = (sent, failed)
    return outcomes


# ---- the state --------------------------------------------------------------------------


def record_findings(
    session: Session, rule: str, findings: list[Finding], now: datetime | None = None
) -> list[OperationsAlert]:
    """Open the alerts of `rule` that hold and close the ones that no longer do; returns the
    alerts this call opened (an alert already open, or opened by another process at the
    same moment, is not returned: its opening is someone else's to announce)."""
    now = now or utcnow()
    opened = [a for f in findings if (a := _open(session, f, now)) is not None]
    keys = [f.key for f in findings]
    session.execute(
        update(OperationsAlert)
        .where(
            col(OperationsAlert.rule) == rule,
            col(OperationsAlert.closed_at).is_(None),
            col(OperationsAlert.key).not_in(keys),
        )
        .values(closed_at=now, updated_at=now)
    )
    return opened


def _open(session: Session, finding: Finding, now: datetime) -> OperationsAlert | None:
    row = session.get(OperationsAlert, finding.key)
    if row is None:
        row = OperationsAlert(
            key=finding.key,
            rule=finding.rule,
            subject=finding.subject,
            detail=finding.detail[:500],
            opened_at=now,
            updated_at=now,
        )
        try:
            with session.begin_nested():
                session.add(row)
            return row
        except IntegrityError:
            return None  # another process inserted it first
    if row.closed_at is None:
        row.detail, row.updated_at = finding.detail[:500], now
        session.add(row)
        return None
    reopened = session.execute(
        update(OperationsAlert)
        .where(col(OperationsAlert.key) == finding.key, col(OperationsAlert.closed_at).is_not(None))
        .values(
            opened_at=now,
            closed_at=None,
            notified_at=None,
            notify_error="",
            detail=finding.detail[:500],
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if getattr(reopened, "rowcount", 0) != 1:
        return None
    session.refresh(row)
    return row


def mark_notified(session: Session, key: str, opened_at: datetime, error: str = "") -> None:
    """Record the announcement of one opening (or why it failed)."""
    row = session.get(OperationsAlert, key)
    if row is None or row.opened_at != opened_at:
        return
    if error:
        row.notify_error = error[:500]
    else:
        row.notified_at, row.notify_error = utcnow(), ""
    session.add(row)


def open_alerts(session: Session, actor: Actor) -> list[OperationsAlert]:
    """The alerts open now, oldest first: the banner and the operations page."""
    require(actor, "operations.manage")
    return list(
        session.exec(
            select(OperationsAlert)
            .where(col(OperationsAlert.closed_at).is_(None))
            .order_by(col(OperationsAlert.opened_at))
        ).all()
    )

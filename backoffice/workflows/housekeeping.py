"""The periodic jobs beside the campaigns, queued by the scheduler: the session purge and
the nightly loyalty run; and the scheduler's state in the database."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, delete

from backoffice.db import get_engine, session_scope
from backoffice.models import SchedulerState, StaffSession
from backoffice.models.base import utcnow
from backoffice.services.loyalty.nightly import run_nightly
from backoffice.services.members.uploads import sweep_uploads
from backoffice.services.operations.nightly_backups import nightly_backup
from backoffice.services.org.audit_checkpoints import write_checkpoint
from backoffice.services.org.sign_in_guard import purge_attempts
from backoffice.settings import get_settings


def purge_expired_sessions() -> int:
    """Delete sign-in sessions that ended more than a day ago, and old uploads (the
    scheduler queues this every six hours)."""
    cutoff = utcnow() - timedelta(days=1)
    sweep_uploads()  # member CSVs of abandoned imports: gone within a day
    with session_scope() as session:
        purge_attempts(session)  # sign-in attempts no lockout rule reads any more
        result = session.execute(delete(StaffSession).where(col(StaffSession.expires_at) < cutoff))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]  # a DML result has it


def nightly_loyalty(day: str | None = None) -> dict[str, int]:
    """Birthday points, expiring notices, expiry, coupon expiry, downgrades; the local day
    is then recorded as done in the same transaction, so the scheduler queues it once."""
    with session_scope() as session:
        report = run_nightly(session)
        write_state(session, "nightly.last", day or local_today().isoformat())
    with session_scope() as session:  # the audit chain's head, signed outside the database
        write_checkpoint(session)
    return asdict(report)


def backup_tonight(day: str) -> str:
    """The nightly backup (BACKUP_DIR, keeping BACKUP_KEEP), recorded as done for the day."""
    settings = get_settings()
    file = nightly_backup(get_engine(), Path(settings.backup_dir), day, settings.backup_keep)
    with session_scope() as session:
        write_state(session, "backup.last", day)
    return str(file)


def local_today() -> date:
    return utcnow().astimezone(ZoneInfo(get_settings().default_timezone)).date()


def read_state(session: Session, name: str) -> str:
    row = session.get(SchedulerState, name)
    return row.value if row is not None else ""


def write_state(session: Session, name: str, value: str) -> None:
    """The scheduler's record of what it has done (the database is the truth)."""
    row = session.get(SchedulerState, name) or SchedulerState(name=name)
    row.value, row.updated_at = value[:1000], utcnow()
    session.add(row)

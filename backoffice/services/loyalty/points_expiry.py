"""Points expiry: nightly, lots past their date expire (one ledger entry per member), and
members whose lots expire soon are told once (split out of points.py, unchanged)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, insert, update
from sqlmodel import Session, col, func, select

from backoffice.models import DomainEvent, PointsAccount, PointsEntry, PointsKind
from backoffice.models.base import utcnow
from backoffice.services.loyalty.policy import current_settings
from backoffice.services.org import audit
from backoffice.services.reports import daily_stats


@dataclass
class ExpiryReport:
    members: int
    points: int


def expire_points(session: Session, now: datetime | None = None, batch: int = 5000) -> ExpiryReport:
    """Nightly: every lot past its date expires; one ledger entry per member.

    One aggregate query finds what is due, then accounts and entries change in bulk
    statements per chunk (no ORM object per member), so 1M members stay in minutes.
    """
    now = now or utcnow()
    due = session.execute(
        select(PointsEntry.member_id, func.sum(PointsEntry.remaining))
        .where(PointsEntry.remaining > 0, col(PointsEntry.expires_at) <= now)
        .group_by(col(PointsEntry.member_id))
    ).all()
    if not due:
        return ExpiryReport(members=0, points=0)
    conn = session.connection()
    accounts = PointsAccount.__table__  # type: ignore[attr-defined]  # SQLModel's stubs lack __table__
    entries = PointsEntry.__table__  # type: ignore[attr-defined]  # SQLModel's stubs lack __table__
    for start in range(0, len(due), batch):
        chunk = [(int(m), int(a)) for m, a in due[start : start + batch]]
        conn.execute(
            update(accounts)
            .where(accounts.c.member_id == bindparam("m"))
            .values(balance=accounts.c.balance - bindparam("a")),
            [{"m": m, "a": a} for m, a in chunk],
        )
        balances = dict(
            conn.execute(
                select(accounts.c.member_id, accounts.c.balance).where(
                    accounts.c.member_id.in_([m for m, _ in chunk])
                )
            ).all()
        )
        conn.execute(
            insert(entries),
            [
                {
                    "member_id": m,
                    "store_id": None,
                    "kind": PointsKind.EXPIRE,
                    "delta": -a,
                    "balance_after": balances[m],
                    "cause_type": "expiry",
                    "cause_id": now.date().isoformat(),
                    "note": "",
                    "expires_at": None,
                    "remaining": 0,
                    "notified_expiring": False,
                    "actor_id": None,
                    "created_at": now,
                }
                for m, a in chunk
            ],
        )
        daily_stats.points_entries(
            session, [(m, None, PointsKind.EXPIRE, -a) for m, a in chunk], now
        )
    conn.execute(
        update(entries)
        .where(entries.c.remaining > 0, entries.c.expires_at <= now)
        .values(remaining=0)
    )
    total = sum(int(a) for _, a in due)
    audit.record(
        session,
        None,
        "points.expire",
        actor_name="system",
        changes={"members": len(due), "points": total},
    )
    return ExpiryReport(members=len(due), points=total)


def notify_expiring_points(session: Session, now: datetime | None = None, batch: int = 5000) -> int:
    """Emit `points.expiring` once per member for lots expiring within the notice window."""
    now = now or utcnow()
    horizon = now + timedelta(days=current_settings(session).expiring_notice_days)
    window = (
        PointsEntry.remaining > 0,
        col(PointsEntry.expires_at) > now,
        col(PointsEntry.expires_at) <= horizon,
    )
    rows = session.execute(
        select(
            PointsEntry.member_id, func.sum(PointsEntry.remaining), func.min(PointsEntry.expires_at)
        )
        .where(*window, col(PointsEntry.notified_expiring).is_(False))
        .group_by(col(PointsEntry.member_id))
    ).all()
    if not rows:
        return 0
    conn = session.connection()
    events_table = DomainEvent.__table__  # type: ignore[attr-defined]  # SQLModel's stubs lack __table__
    for start in range(0, len(rows), batch):
        conn.execute(
            insert(events_table),
            [
                {
                    "name": "points.expiring",
                    "member_id": int(m),
                    "store_id": None,
                    "payload": {"points": int(a), "expires_at": str(first)},
                    "created_at": now,
                    "dispatched_at": None,
                }
                for m, a, first in rows[start : start + batch]
            ],
        )
    entries = PointsEntry.__table__  # type: ignore[attr-defined]  # SQLModel's stubs lack __table__
    conn.execute(
        update(entries)
        .where(
            entries.c.remaining > 0,
            entries.c.expires_at > now,
            entries.c.expires_at <= horizon,
            entries.c.notified_expiring.is_(False),
        )
        .values(notified_expiring=True)
    )
    return len(rows)

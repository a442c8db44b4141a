"""Points (积分): an append-only ledger, a balance changed only by conditional updates, and
earn entries kept as lots that spending and expiry consume first-in-first-out."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, func, select

from backoffice.errors import ValidationFailed
from backoffice.models import PointsAccount, PointsEntry, PointsKind
from backoffice.models.base import utcnow
from backoffice.services.batching import chunks
from backoffice.services.loyalty.points_expiry import (
    ExpiryReport,
    expire_points,
    notify_expiring_points,
)
from backoffice.services.loyalty.policy import current_settings
from backoffice.services.org import audit
from backoffice.services.org.access import Actor, member_in_scope, require
from backoffice.services.reports import daily_stats
from backoffice.settings import get_settings


def expiry_for(earned_at: datetime, months: int) -> datetime:
    """End of the Nth month after the month of earning, in the organisation's time zone."""
    tz = ZoneInfo(get_settings().default_timezone)
    local = earned_at.astimezone(tz)
    month_index = local.month - 1 + months
    year, month = local.year + month_index // 12, month_index % 12 + 1
    last_day = calendar.monthrange(year, month)[1]
    end = datetime.combine(
        local.replace(year=year, month=month, day=last_day).date(), time(23, 59, 59), tzinfo=tz
    )
    return end.astimezone(UTC)


def _change_balance(session: Session, member_id: int, delta: int) -> int | None:
    """One conditional UPDATE … RETURNING: the new balance, or None if it would go negative."""
    stmt = update(PointsAccount).where(col(PointsAccount.member_id) == member_id)
    if delta < 0:
        stmt = stmt.where(col(PointsAccount.balance) >= -delta)
    stmt = stmt.values(balance=PointsAccount.balance + delta).returning(col(PointsAccount.balance))
    row = session.execute(stmt).first()
    if row is not None:
        return int(row[0])
    if session.get(PointsAccount, member_id) is not None:
        return None
    session.add(PointsAccount(member_id=member_id, balance=0))  # first points ever
    session.flush()
    return _change_balance(session, member_id, delta)


def balance_of(session: Session, member_id: int) -> int:
    account = session.exec(
        select(PointsAccount.balance).where(PointsAccount.member_id == member_id)
    ).first()
    return int(account or 0)


def balances_of(session: Session, member_ids: list[int]) -> dict[int, int]:
    """Each member's points balance (members without an account are left out: 0)."""
    found: dict[int, int] = {}
    for part in chunks(member_ids):
        found.update(
            session.exec(
                select(PointsAccount.member_id, PointsAccount.balance).where(
                    col(PointsAccount.member_id).in_(part)
                )
            ).all()
        )
    return found


def credit(
    session: Session,
    member_id: int,
    points: int,
    kind: PointsKind,
    *,
    cause_type: str,
    cause_id: object = "",
    store_id: int | None = None,
    actor_id: int | None = None,
    note: str = "",
    lot: bool = True,
) -> PointsEntry:
    """Add points in the caller's transaction; earned points become a lot that expires."""
    if points <= 0:
        raise ValueError("credit needs a positive amount")
    balance = _change_balance(session, member_id, points)
    now = utcnow()
    entry = PointsEntry(
        member_id=member_id,
        store_id=store_id,
        kind=kind,
        delta=points,
        balance_after=balance or 0,
        cause_type=cause_type,
        cause_id=str(cause_id),
        note=note[:300],
        actor_id=actor_id,
        created_at=now,
        expires_at=expiry_for(now, current_settings(session).points_expiry_months) if lot else None,
        remaining=points,
    )
    session.add(entry)
    session.flush()
    daily_stats.points_entries(session, [(member_id, store_id, kind, points)], entry.created_at)
    return entry


def credit_many(
    session: Session,
    grants: list[tuple[int, int | None, str]],
    points: int,
    kind: PointsKind,
    *,
    cause_type: str,
    note: str = "",
) -> int:
    """The same credit to many members in a few statements: (member_id, store_id, cause_id).
    A workflow cause already in the ledger is skipped (its partial unique index and ON
    CONFLICT DO NOTHING), so a re-run step never credits twice. Returns entries written."""
    if not grants:
        return 0
    if points <= 0:
        raise ValueError("credit needs a positive amount")
    conn = session.connection()
    ids = sorted({m for m, _, _ in grants})
    balances = _locked_balances(session, ids)
    now = utcnow()
    expires = expiry_for(now, current_settings(session).points_expiry_months)
    rows = []
    for m, store, cause in grants:
        balances[m] += points
        rows.append(
            {
                "member_id": m,
                "store_id": store,
                "kind": kind,
                "delta": points,
                "balance_after": balances[m],
                "cause_type": cause_type,
                "cause_id": cause,
                "note": note[:300],
                "expires_at": expires,
                "remaining": points,
                "notified_expiring": False,
                "actor_id": None,
                "created_at": now,
            }
        )
    written = [int(r[0]) for r in conn.execute(_insert_entries(session), rows)]
    times: dict[int, int] = {}
    for m in written:
        times[m] = times.get(m, 0) + 1
    accounts = PointsAccount.__table__  # type: ignore[attr-defined]  # SQLModel's stubs lack __table__
    for k in sorted(set(times.values())):  # one UPDATE per distinct multiplicity
        members = [m for m, n in times.items() if n == k]
        for part in chunks(members):
            conn.execute(
                update(accounts)
                .where(accounts.c.member_id.in_(part))
                .values(balance=accounts.c.balance + points * k)
            )
    done = set(written)
    daily_stats.points_entries(
        session, [(m, store, kind, points) for m, store, _ in grants if m in done], now
    )
    return len(written)


def _locked_balances(session: Session, member_ids: list[int]) -> dict[int, int]:
    """The members' balances, their accounts created if missing and locked (PostgreSQL row
    locks in id order; SQLite's writer already holds the database) until the commit."""
    conn = session.connection()
    accounts = PointsAccount.__table__  # type: ignore[attr-defined]  # SQLModel's stubs lack __table__
    conn.execute(
        _dialect_insert(session, accounts).on_conflict_do_nothing(index_elements=["member_id"]),
        [{"member_id": m, "balance": 0} for m in member_ids],
    )
    balances: dict[int, int] = {}
    for part in chunks(member_ids):
        balances.update(
            conn.execute(
                select(accounts.c.member_id, accounts.c.balance)
                .where(accounts.c.member_id.in_(part))
                .order_by(accounts.c.member_id)
                .with_for_update()
            ).all()
        )
    return balances


def _dialect_insert(session: Session, table: Any) -> Any:
    make = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    return make(table)


def _insert_entries(session: Session) -> Any:
    """INSERT … ON CONFLICT DO NOTHING RETURNING member_id: a workflow step's entry exists once."""
    entries = PointsEntry.__table__  # type: ignore[attr-defined]  # SQLModel's stubs lack __table__
    return (
        _dialect_insert(session, entries)
        .on_conflict_do_nothing(
            index_elements=["cause_type", "cause_id"],
            index_where=text("cause_type = 'workflow'"),
        )
        .returning(entries.c.member_id)
    )


def debit(
    session: Session,
    member_id: int,
    points: int,
    kind: PointsKind,
    *,
    cause_type: str,
    cause_id: object = "",
    store_id: int | None = None,
    actor_id: int | None = None,
    note: str = "",
    field: str = "points",
) -> PointsEntry:
    """Take points if the balance allows it (one conditional update, so concurrent spends
    cannot overdraw), then consume the oldest lots first."""
    if points <= 0:
        raise ValueError("debit needs a positive amount")
    balance = _change_balance(session, member_id, -points)
    if balance is None:
        raise ValidationFailed({field: "error.points_insufficient"})
    _consume_lots(session, member_id, points)
    entry = PointsEntry(
        member_id=member_id,
        store_id=store_id,
        kind=kind,
        delta=-points,
        balance_after=balance,
        cause_type=cause_type,
        cause_id=str(cause_id),
        note=note[:300],
        actor_id=actor_id,
    )
    session.add(entry)
    session.flush()
    daily_stats.points_entries(session, [(member_id, store_id, kind, -points)], entry.created_at)
    return entry


def _consume_lots(session: Session, member_id: int, points: int, chunk: int = 20) -> None:
    """Oldest-expiring lots first, read a few at a time (a member may hold thousands)."""
    left = points
    while left:
        lots = session.exec(
            select(PointsEntry)
            .where(PointsEntry.member_id == member_id, PointsEntry.remaining > 0)
            .order_by(col(PointsEntry.expires_at).asc(), col(PointsEntry.id).asc())
            .limit(chunk)
            .with_for_update()
        ).all()
        if not lots:  # the balance said yes, so the lots must cover it
            raise RuntimeError(f"points lots of member {member_id} are short by {left}")
        for lot in lots:
            used = min(lot.remaining, left)
            lot.remaining -= used
            left -= used
            session.add(lot)
            if left == 0:
                break
        session.flush()


def adjust_points(
    session: Session, actor: Actor, member_id: int, delta: int, reason: str
) -> PointsEntry:
    """Staff add or deduct points by hand; the reason is kept on the ledger and audit."""
    require(actor, "points.adjust")
    member = member_in_scope(session, actor, member_id)
    if not reason.strip():
        raise ValidationFailed({"reason": "error.reason_required"})
    if delta == 0 or abs(delta) > 10_000_000:
        raise ValidationFailed({"points": "error.points_amount"})
    kwargs: dict[str, Any] = dict(
        cause_type="staff",
        cause_id=actor.staff_id,
        store_id=member.home_store_id,
        actor_id=actor.staff_id,
        note=reason.strip(),
    )
    entry = (
        credit(session, member_id, delta, PointsKind.ADJUST, **kwargs)
        if delta > 0
        else debit(session, member_id, -delta, PointsKind.ADJUST, **kwargs)
    )
    audit.record(
        session,
        actor,
        "points.adjust",
        target_type="member",
        target_id=member_id,
        store_id=member.home_store_id,
        changes={"points": delta, "reason": reason.strip(), "balance": entry.balance_after},
    )
    return entry


@dataclass
class LedgerPage:
    rows: list[PointsEntry]
    total: int


def points_ledger(
    session: Session, actor: Actor, member_id: int, page: int = 1, page_size: int = 20
) -> LedgerPage:
    require(actor, "sales.read")
    member_in_scope(session, actor, member_id)
    stmt = select(PointsEntry).where(PointsEntry.member_id == member_id)
    total = session.exec(select(func.count()).select_from(stmt.subquery())).one()
    rows = session.exec(
        stmt.order_by(col(PointsEntry.id).desc())
        .offset((max(1, page) - 1) * page_size)
        .limit(page_size)
    ).all()
    return LedgerPage(rows=list(rows), total=int(total))


__all__ = ["ExpiryReport", "expire_points", "notify_expiring_points"]  # kept where they were

"""Recompute the report tables from the source rows: the backfill for data that existed
before them (`backoffice reports rebuild`, run once by `backoffice migrate` when needed), a
repair, and the check the tests use to prove the incremental tables exact.

The same attribution rules as the hooks in services/reports/daily_stats.py: a day is the store's
local day; sales and refunds count at the sale's store, ledger rows at their store or else
the member's home store; coupons, messages and tier moves at the member's home store.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import delete, insert, literal_column
from sqlmodel import Session, col, func, select

from backoffice.models import (
    Coupon,
    CouponStatus,
    DomainEvent,
    Member,
    MessageStatus,
    OutboxMessage,
    PointsEntry,
    PointsKind,
    Sale,
    SaleRefund,
    SaleStatus,
    WalletEntry,
)
from backoffice.models.reports import (
    STAFF_FIGURES,
    STORE_FIGURES,
    DailyStaffStats,
    DailyStoreStats,
    MemberSalesSummary,
)
from backoffice.services.reports.daily_stats import (
    POINTS_FIGURE,
    Progress,
    _wallet_figures,
    _zones,
    local_day,
    summary_values,
)


def _bucket(session: Session, column: Any, minutes: bool) -> Any:
    """The UTC hour (or minute) of a timestamp as text: grouping by it keeps the rebuild in SQL,
    and each bucket maps to exactly one local day of a store."""
    if session.get_bind().dialect.name == "postgresql":
        fmt = "YYYY-MM-DD HH24:MI" if minutes else "YYYY-MM-DD HH24"
        return func.to_char(func.timezone("UTC", column), fmt)
    return func.substr(column, 1, 16 if minutes else 13)


def _needs_minutes(session: Session) -> bool:
    """Zones with half- or quarter-hour offsets (India, Nepal) need minute buckets."""
    probe = datetime(2026, 1, 15, tzinfo=UTC)
    summer = datetime(2026, 7, 15, tzinfo=UTC)
    for zone in _zones(session).values():
        for when in (probe, summer):
            offset = when.astimezone(zone).utcoffset()
            if offset is not None and offset.total_seconds() % 3600:
                return True
    return False


class _Days:
    """Bucket text → local day, cached per (bucket, store)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.cache: dict[tuple[str, int], date] = {}

    def __call__(self, bucket: str, store_id: int) -> date:
        key = (bucket, store_id)
        if key not in self.cache:
            fmt = "%Y-%m-%d %H:%M" if len(bucket) > 13 else "%Y-%m-%d %H"
            when = datetime.strptime(bucket, fmt).replace(tzinfo=UTC)
            self.cache[key] = local_day(self.session, store_id, when)
        return self.cache[key]


StoreRows = dict[tuple[date, int], dict[str, int]]
StaffRows = dict[tuple[date, int, int], dict[str, int]]


class _Tally:
    """The rows being summed and how a timestamp maps to a store's local day."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.minutes = _needs_minutes(session)
        self.days = _Days(session)
        self.stores: StoreRows = defaultdict(lambda: defaultdict(int))
        self.staff: StaffRows = defaultdict(lambda: defaultdict(int))

    def b(self, column: Any) -> Any:
        return _bucket(self.session, column, self.minutes).label("b")


def _members(t: _Tally) -> None:
    """New members per home store; members created per clerk."""
    for store, bucket, creator, n in t.session.exec(
        select(
            Member.home_store_id, t.b(Member.joined_at), Member.created_by, func.count()
        ).group_by(col(Member.home_store_id), literal_column("b"), col(Member.created_by))
    ).all():
        day = t.days(bucket, store)
        t.stores[(day, store)]["new_members"] += n
        if creator:
            t.staff[(day, store, creator)]["members_created"] += n


def _sales(t: _Tally) -> None:
    """Sales per store and clerk; repeat sales are all sales less each member's first."""
    for store, bucket, clerk, n, gross, due in t.session.exec(
        select(  # type: ignore[call-overload]  # sqlmodel types select() for up to 4 columns
            Sale.store_id,
            t.b(Sale.created_at),
            Sale.staff_id,
            func.count(),
            func.sum(Sale.gross_cents),
            func.sum(Sale.due_cents),
        ).group_by(col(Sale.store_id), literal_column("b"), col(Sale.staff_id))
    ).all():
        day = t.days(bucket, store)
        row = t.stores[(day, store)]
        row["sales_count"] += n
        row["repeat_sales"] += n  # first purchases are taken off below
        row["sales_gross_cents"] += int(gross)
        row["sales_due_cents"] += int(due)
        if clerk:
            t.staff[(day, store, clerk)]["sales_count"] += n
            t.staff[(day, store, clerk)]["sales_due_cents"] += int(due)
    firsts = select(func.min(Sale.id).label("id")).group_by(col(Sale.member_id)).subquery()
    for store, bucket, n in t.session.exec(
        select(Sale.store_id, t.b(Sale.created_at), func.count())
        .join(firsts, firsts.c.id == Sale.id)
        .group_by(col(Sale.store_id), literal_column("b"))
    ).all():
        t.stores[(t.days(bucket, store), store)]["repeat_sales"] -= n


def _refunds(t: _Tally) -> None:
    """Refunds at the sale's store."""
    for store, bucket, n, amount in t.session.exec(
        select(
            Sale.store_id,
            t.b(SaleRefund.created_at),
            func.count(),
            func.sum(SaleRefund.amount_cents),
        )
        .join(Sale, col(Sale.id) == SaleRefund.sale_id)
        .group_by(col(Sale.store_id), literal_column("b"))
    ).all():
        row = t.stores[(t.days(bucket, store), store)]
        row["refunds_count"] += n
        row["refund_cents"] += int(amount)


def _points(t: _Tally) -> None:
    """Points by kind at the entry's store, else the member's home store."""
    where = func.coalesce(PointsEntry.store_id, Member.home_store_id)
    for store, bucket, kind, total in t.session.exec(
        select(where, t.b(PointsEntry.created_at), PointsEntry.kind, func.sum(PointsEntry.delta))
        .join(Member, col(Member.id) == PointsEntry.member_id)
        .group_by(where, literal_column("b"), PointsEntry.kind)
    ).all():
        figure, sign = POINTS_FIGURE[PointsKind(kind)]
        t.stores[(t.days(bucket, store), store)][figure] += sign * int(total)


def _stored_value(t: _Tally) -> None:
    """Stored-value figures at the entry's store, else the member's home store."""
    where = func.coalesce(WalletEntry.store_id, Member.home_store_id)
    for store, bucket, kind, principal, bonus in t.session.exec(
        select(  # type: ignore[call-overload]  # sqlmodel types select() for up to 4 columns
            where,
            t.b(WalletEntry.created_at),
            WalletEntry.kind,
            func.sum(WalletEntry.principal_delta),
            func.sum(WalletEntry.bonus_delta),
        )
        .join(Member, col(Member.id) == WalletEntry.member_id)
        .group_by(where, literal_column("b"), WalletEntry.kind)
    ).all():
        row = t.stores[(t.days(bucket, store), store)]
        for figure, value in _wallet_figures(kind, int(principal), int(bonus)).items():
            row[figure] += value


def _coupons(t: _Tally) -> None:
    """Coupons issued (home store) and used (the sale's store)."""
    for store, bucket, n in t.session.exec(
        select(Member.home_store_id, t.b(Coupon.issued_at), func.count())
        .join(Member, col(Member.id) == Coupon.member_id)
        .group_by(col(Member.home_store_id), literal_column("b"))
    ).all():
        t.stores[(t.days(bucket, store), store)]["coupons_issued"] += n
    for store, bucket, n in t.session.exec(
        select(Sale.store_id, t.b(Coupon.used_at), func.count())
        .join(Sale, col(Sale.id) == Coupon.used_sale_id)
        .where(Coupon.status == CouponStatus.USED)
        .group_by(col(Sale.store_id), literal_column("b"))
    ).all():
        t.stores[(t.days(bucket, store), store)]["coupons_used"] += n


def _messages(t: _Tally) -> None:
    """Messages sent, at the member's home store."""
    for store, bucket, n in t.session.exec(
        select(Member.home_store_id, t.b(OutboxMessage.sent_at), func.count())
        .join(Member, col(Member.id) == OutboxMessage.member_id)
        .where(OutboxMessage.status == MessageStatus.SENT, col(OutboxMessage.sent_at).is_not(None))
        .group_by(col(Member.home_store_id), literal_column("b"))
    ).all():
        t.stores[(t.days(bucket, store), store)]["messages_sent"] += n


def _tier_moves(t: _Tally) -> None:
    """Tier moves up and down, at the event's store."""
    for event_store, created, payload in t.session.exec(
        select(DomainEvent.store_id, DomainEvent.created_at, DomainEvent.payload).where(
            DomainEvent.name == "tier.changed", col(DomainEvent.store_id).is_not(None)
        )
    ).all():
        assert event_store is not None  # the query keeps only events with a store
        figure = "tier_up" if (payload or {}).get("direction") == "up" else "tier_down"
        t.stores[(local_day(t.session, int(event_store), created), int(event_store))][figure] += 1


_STEPS = (
    ("members", _members),
    ("sales", _sales),
    ("refunds", _refunds),
    ("points", _points),
    ("stored value", _stored_value),
    ("coupons", _coupons),
    ("messages", _messages),
    ("tier moves", _tier_moves),
)


def compute_daily_stats(
    session: Session, progress: Progress | None = None
) -> tuple[StoreRows, StaffRows]:
    """Every figure recomputed from the source rows: (store rows, staff rows)."""
    tally = _Tally(session)
    steps = len(_STEPS) + 1
    say = progress or (lambda _s, _d, _t: None)
    for done, (label, step) in enumerate(_STEPS):
        say(label, done, steps)
        step(tally)
    say("daily tables", steps - 1, steps)
    return tally.stores, tally.staff


def rebuild_daily_stats(session: Session, progress: Progress | None = None) -> dict[str, int]:
    """Replace the report tables with a recomputation from source rows (backfill, repair)."""
    stores, staff = compute_daily_stats(session, progress)
    conn = session.connection()
    for table in (DailyStoreStats, DailyStaffStats, MemberSalesSummary):
        conn.execute(delete(table.__table__))  # type: ignore[union-attr]  # SQLModel's stubs lack __table__
    store_rows = [
        {"day": d, "store_id": s, **{f: v.get(f, 0) for f in STORE_FIGURES}}
        for (d, s), v in stores.items()
        if any(v.values())
    ]
    staff_rows = [
        {"day": d, "store_id": s, "staff_id": p, **{f: v.get(f, 0) for f in STAFF_FIGURES}}
        for (d, s, p), v in staff.items()
        if any(v.values())
    ]
    for rows, table in ((store_rows, DailyStoreStats), (staff_rows, DailyStaffStats)):
        for start in range(0, len(rows), 5000):
            conn.execute(
                insert(table.__table__),  # type: ignore[union-attr]  # SQLModel's stubs lack __table__
                rows[start : start + 5000],
            )
    summaries = rebuild_member_summaries(session, progress)
    if progress:
        progress("done", 9, 9)
    return {"store_days": len(store_rows), "staff_days": len(staff_rows), "members": summaries}


def rebuild_member_summaries(
    session: Session, progress: Progress | None = None, batch: int = 20_000
) -> int:
    """Every member's purchase summary, in member-id chunks (bounded memory on 10M sales)."""
    conn = session.connection()
    table = MemberSalesSummary.__table__  # type: ignore[attr-defined]  # SQLModel's stubs lack __table__
    top = int(session.exec(select(func.coalesce(func.max(Sale.member_id), 0))).one())
    written, step = 0, 200_000
    for low in range(0, top + 1, step):
        rows = session.exec(
            select(  # type: ignore[call-overload]  # sqlmodel types select() for up to 4 columns
                Sale.member_id,
                func.min(Member.home_store_id),
                func.count(),
                func.sum(Sale.due_cents - Sale.refunded_cents),
                func.min(Sale.created_at),
                func.max(Sale.created_at),
            )
            .join(Member, col(Member.id) == Sale.member_id)
            .where(
                Sale.status != SaleStatus.REFUNDED,
                col(Sale.member_id) > low,
                col(Sale.member_id) <= low + step,
            )
            .group_by(col(Sale.member_id))
        ).all()
        values = [
            summary_values(int(m), int(h), int(n), int(s), f, last) for m, h, n, s, f, last in rows
        ]
        for start in range(0, len(values), batch):
            conn.execute(insert(table), values[start : start + batch])
        written += len(values)
        if progress:
            progress("member summaries", min(low + step, top), max(top, 1))
    return written


def needs_backfill(session: Session) -> bool:
    """Members exist but the report tables are empty: data from before they existed."""
    has_members = session.exec(select(Member.id).limit(1)).first() is not None
    has_stats = session.exec(select(col(DailyStoreStats.day)).limit(1)).first() is not None
    return has_members and not has_stats


def current_daily_stats(
    session: Session,
) -> tuple[dict[tuple[date, int], dict[str, int]], dict[tuple[date, int, int], dict[str, int]]]:
    """The tables as they stand, in compute_daily_stats' shape (for checks and tests)."""
    stores = {
        (r.day, r.store_id): {f: getattr(r, f) for f in STORE_FIGURES if getattr(r, f)}
        for r in session.exec(select(DailyStoreStats)).all()
    }
    staff = {
        (r.day, r.store_id, r.staff_id): {f: getattr(r, f) for f in STAFF_FIGURES if getattr(r, f)}
        for r in session.exec(select(DailyStaffStats)).all()
    }
    return (
        {k: v for k, v in stores.items() if v},
        {k: v for k, v in staff.items() if v},
    )


def normalised(
    stats: dict[Any, dict[str, int]],
) -> dict[Any, dict[str, int]]:
    """Drop zero figures and empty rows, so two computations compare equal when they agree."""
    out = {}
    for key, figures in stats.items():
        kept = {k: int(v) for k, v in figures.items() if v}
        if kept:
            out[key] = kept
    return out

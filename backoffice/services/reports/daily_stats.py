"""The exact report tables: one hook per write path, called inside that path's transaction
(services/report_rebuild.py recomputes everything from the source rows).

A day is the calendar day in the store's own time zone. Figures are attributed to the store
where the thing happened (a sale's store, a ledger entry's store); rows without a store (a
nightly expiry, a coupon, a message) count at the member's home store. The rebuild uses the
same rules, so the incremental tables and a recomputation agree row for row (tested).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, delete, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, func, select

from backoffice.models import (
    Coupon,
    Member,
    PointsKind,
    Sale,
    SaleRefund,
    SaleStatus,
    Store,
    WalletEntry,
    WalletKind,
)
from backoffice.models.reports import (
    STAFF_FIGURES,
    STORE_FIGURES,
    DailyStaffStats,
    DailyStoreStats,
    MemberSalesSummary,
)
from backoffice.settings import get_settings

Progress = Callable[[str, int, int], None]

# ---- days ---------------------------------------------------------------------------------


def _zones(session: Session) -> dict[int, ZoneInfo]:
    """Store id → time zone, read once per session (stores change rarely)."""
    zones = session.info.get("report_zones")
    if zones is None:
        zones = {
            int(sid or 0): _zone(tz)
            for sid, tz in session.exec(select(Store.id, Store.timezone)).all()
        }
        session.info["report_zones"] = zones
    return zones


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or get_settings().default_timezone)
    except Exception:  # noqa: BLE001  (an unknown zone name falls back to the organisation's)
        return ZoneInfo(get_settings().default_timezone)


def store_zone(session: Session, store_id: int) -> ZoneInfo:
    zones = _zones(session)
    if store_id not in zones:
        session.info.pop("report_zones", None)
        zones = _zones(session)
    return zones.get(store_id) or _zone("")


def local_day(session: Session, store_id: int, when: datetime) -> date:
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(store_zone(session, store_id)).date()


def epoch_day(when: datetime) -> int:
    """Whole days since 1970-01-01 UTC."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return int(when.timestamp() // 86400)


# ---- upserts ------------------------------------------------------------------------------


# Built once per (dialect, table, figures changed): constructing an upsert costs more than
# running it, and every sale runs several.
_STATEMENTS: dict[tuple[str, str, tuple[str, ...], tuple[str, ...]], Any] = {}


def _upsert_statement(
    dialect: str,
    table: Any,
    keys: tuple[str, ...],
    changed: tuple[str, ...],
    figures: tuple[str, ...],
) -> Any:
    cache_key = (dialect, table.name, keys, changed)
    stmt = _STATEMENTS.get(cache_key)
    if stmt is None:
        make = pg_insert if dialect == "postgresql" else sqlite_insert
        base = make(table).values({c: bindparam(c) for c in (*keys, *figures)})
        excluded = base.excluded
        stmt = base.on_conflict_do_update(
            index_elements=list(keys), set_={f: table.c[f] + excluded[f] for f in changed}
        )
        _STATEMENTS[cache_key] = stmt
    return stmt


def _upsert(
    session: Session,
    table: Any,
    keys: dict[str, Any],
    deltas: dict[str, int],
    figures: tuple[str, ...],
) -> None:
    deltas = {k: int(v) for k, v in deltas.items() if v}
    if not deltas:
        return
    unknown = set(deltas) - set(figures)
    if unknown:
        raise ValueError(f"unknown report figures {sorted(unknown)}")
    stmt = _upsert_statement(
        session.get_bind().dialect.name, table, tuple(keys), tuple(sorted(deltas)), figures
    )
    session.execute(stmt, {**keys, **{f: deltas.get(f, 0) for f in figures}})


def bump_store(session: Session, day: date, store_id: int, **deltas: int) -> None:
    _upsert(
        session,
        DailyStoreStats.__table__,  # type: ignore[attr-defined]  # SQLModel's stubs lack __table__
        {"day": day, "store_id": store_id},
        deltas,
        STORE_FIGURES,
    )


def bump_staff(session: Session, day: date, store_id: int, staff_id: int, **deltas: int) -> None:
    _upsert(
        session,
        DailyStaffStats.__table__,  # type: ignore[attr-defined]  # SQLModel's stubs lack __table__
        {"day": day, "store_id": store_id, "staff_id": staff_id},
        deltas,
        STAFF_FIGURES,
    )


# ---- hooks called by the services -----------------------------------------------------------


def member_created(session: Session, member: Member) -> None:
    day = local_day(session, member.home_store_id, member.joined_at)
    bump_store(session, day, member.home_store_id, new_members=1)
    if member.created_by:
        bump_staff(session, day, member.home_store_id, member.created_by, members_created=1)


def member_moved(
    session: Session, member: Member, old_store_id: int, old_joined_at: datetime
) -> None:
    """An edit changed the home store or the joining date: the member counts where they are."""
    if old_store_id != member.home_store_id:
        table = MemberSalesSummary.__table__  # type: ignore[attr-defined]  # SQLModel's stubs lack __table__
        session.execute(
            update(table)
            .where(table.c.member_id == member.id)
            .values(home_store_id=member.home_store_id)
        )
    old_day = local_day(session, old_store_id, old_joined_at)
    new_day = local_day(session, member.home_store_id, member.joined_at)
    if (old_day, old_store_id) == (new_day, member.home_store_id):
        return
    bump_store(session, old_day, old_store_id, new_members=-1)
    bump_store(session, new_day, member.home_store_id, new_members=1)
    if member.created_by:
        bump_staff(session, old_day, old_store_id, member.created_by, members_created=-1)
        bump_staff(session, new_day, member.home_store_id, member.created_by, members_created=1)


def sale_recorded(session: Session, sale: Sale) -> None:
    """After the sale row is flushed (it has its id)."""
    earlier = session.exec(
        select(Sale.id).where(Sale.member_id == sale.member_id, col(Sale.id) < sale.id).limit(1)
    ).first()
    day = local_day(session, sale.store_id, sale.created_at)
    bump_store(
        session,
        day,
        sale.store_id,
        sales_count=1,
        repeat_sales=int(earlier is not None),
        sales_gross_cents=sale.gross_cents,
        sales_due_cents=sale.due_cents,
    )
    if sale.staff_id:
        bump_staff(
            session,
            day,
            sale.store_id,
            sale.staff_id,
            sales_count=1,
            sales_due_cents=sale.due_cents,
        )
    refresh_member_summary(session, sale.member_id)


def sale_refunded(session: Session, sale: Sale, refund: SaleRefund) -> None:
    day = local_day(session, sale.store_id, refund.created_at)
    bump_store(session, day, sale.store_id, refunds_count=1, refund_cents=refund.amount_cents)
    refresh_member_summary(session, sale.member_id)


POINTS_FIGURE = {
    PointsKind.EARN: ("points_earned", 1),
    PointsKind.SPEND: ("points_spent", -1),
    PointsKind.REDEEM: ("points_spent", -1),
    PointsKind.EXPIRE: ("points_expired", -1),
    PointsKind.ADJUST: ("points_adjusted", 1),
    PointsKind.REFUND: ("points_refunded", 1),
}


def points_entries(
    session: Session,
    entries: Iterable[tuple[int, int | None, PointsKind | str, int]],
    when: datetime,
) -> None:
    """Points ledger entries written at `when`: (member_id, store_id or None, kind, delta)."""
    rows = list(entries)
    homes = home_stores(session, [m for m, s, _, _ in rows if s is None])
    totals: dict[tuple[date, int], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for member_id, store_id, kind, delta in rows:
        store = store_id if store_id is not None else homes.get(member_id)
        if store is None:
            continue
        figure, sign = POINTS_FIGURE[PointsKind(kind)]
        totals[(local_day(session, store, when), store)][figure] += sign * delta
    for (day, store), deltas in sorted(totals.items()):  # one lock order for every writer
        bump_store(session, day, store, **deltas)


def home_stores(session: Session, member_ids: list[int]) -> dict[int, int]:
    out: dict[int | None, int] = {}
    ids = sorted(set(member_ids))
    for start in range(0, len(ids), 900):
        out.update(
            session.exec(
                select(Member.id, Member.home_store_id).where(
                    col(Member.id).in_(ids[start : start + 900])
                )
            ).all()
        )
    return {int(k or 0): int(v) for k, v in out.items()}


def _wallet_figures(kind: WalletKind | str, principal: int, bonus: int) -> dict[str, int]:
    kind = WalletKind(kind)
    if kind == WalletKind.TOPUP:
        return {"wallet_topup_cents": principal, "wallet_bonus_cents": bonus}
    if kind == WalletKind.PAY:
        return {"wallet_spent_cents": -(principal + bonus)}
    return {"wallet_returned_cents": principal + bonus}


def wallet_entry(session: Session, entry: WalletEntry) -> None:
    store = entry.store_id
    if store is None:
        store = home_stores(session, [entry.member_id]).get(entry.member_id)
    if store is None:
        return
    day = local_day(session, store, entry.created_at)
    bump_store(
        session, day, store, **_wallet_figures(entry.kind, entry.principal_delta, entry.bonus_delta)
    )


def coupon_issued(session: Session, coupon: Coupon) -> None:
    store = home_stores(session, [coupon.member_id]).get(coupon.member_id)
    if store is not None:
        bump_store(session, local_day(session, store, coupon.issued_at), store, coupons_issued=1)


def coupon_used(session: Session, store_id: int, used_at: datetime, change: int) -> None:
    """+1 when a sale uses a coupon; -1 (at the original day and store) when a refund restores it."""
    bump_store(session, local_day(session, store_id, used_at), store_id, coupons_used=change)


def messages_sent(session: Session, sent: Iterable[tuple[int, datetime]]) -> None:
    """(member_id, sent_at) of messages that reached the SENT status."""
    rows = list(sent)
    homes = home_stores(session, [m for m, _ in rows])
    totals: dict[tuple[date, int], int] = defaultdict(int)
    for member_id, when in rows:
        store = homes.get(member_id)
        if store is not None:
            totals[(local_day(session, store, when), store)] += 1
    for (day, store), count in sorted(totals.items()):  # one lock order for every writer
        bump_store(session, day, store, messages_sent=count)


def tier_moved(session: Session, member: Member, direction: str, when: datetime) -> None:
    figure = "tier_up" if direction == "up" else "tier_down"
    bump_store(
        session, local_day(session, member.home_store_id, when), member.home_store_id, **{figure: 1}
    )


def refresh_member_summary(session: Session, member_id: int) -> None:
    """Recompute one member's purchase summary from their sales (a handful of indexed rows)."""
    count, spend, first, last = session.exec(
        select(
            func.count(),
            func.coalesce(func.sum(Sale.due_cents - Sale.refunded_cents), 0),
            func.min(Sale.created_at),
            func.max(Sale.created_at),
        ).where(Sale.member_id == member_id, Sale.status != SaleStatus.REFUNDED)
    ).one()
    table = MemberSalesSummary.__table__  # type: ignore[attr-defined]  # SQLModel's stubs lack __table__
    if not count:
        session.execute(delete(table).where(table.c.member_id == member_id))
        return
    member = session.get(Member, member_id)  # usually in the session already
    home = member.home_store_id if member is not None else 0
    values = summary_values(member_id, int(home), int(count), int(spend), first, last)
    session.execute(_summary_upsert(session.get_bind().dialect.name), values)


_SUMMARY_COLUMNS = (
    "member_id",
    "home_store_id",
    "sales_count",
    "spend_cents",
    "first_sale_at",
    "last_sale_at",
    "last_sale_day",
    "gap_days",
)


def _summary_upsert(dialect: str) -> Any:
    cache_key = (dialect, "membersalessummary", ("member_id",), ())
    stmt = _STATEMENTS.get(cache_key)
    if stmt is None:
        table = MemberSalesSummary.__table__  # type: ignore[attr-defined]  # SQLModel's stubs lack __table__
        make = pg_insert if dialect == "postgresql" else sqlite_insert
        base = make(table).values({c: bindparam(c) for c in _SUMMARY_COLUMNS})
        excluded = base.excluded
        stmt = base.on_conflict_do_update(
            index_elements=["member_id"],
            set_={c: excluded[c] for c in _SUMMARY_COLUMNS if c != "member_id"},
        )
        _STATEMENTS[cache_key] = stmt
    return stmt


def _aware(value: datetime | str) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def summary_values(
    member_id: int,
    home_store_id: int,
    count: int,
    spend: int,
    first: datetime | str,
    last: datetime | str,
) -> dict[str, Any]:
    first, last = _aware(first), _aware(last)
    gap = (last - first).total_seconds() / 86400 / (count - 1) if count > 1 else 0.0
    return {
        "member_id": member_id,
        "home_store_id": home_store_id,
        "sales_count": count,
        "spend_cents": spend,
        "first_sale_at": first,
        "last_sale_at": last,
        "last_sale_day": epoch_day(last),
        "gap_days": round(gap, 4),
    }

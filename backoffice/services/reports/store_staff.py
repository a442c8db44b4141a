"""Store comparison and staff performance over a date range, from the exact daily tables."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session, col, func, select

from backoffice.models import Staff
from backoffice.models.base import utcnow
from backoffice.models.reports import DailyStaffStats, MemberSalesSummary
from backoffice.services.org.access import Actor
from backoffice.services.reports.dashboard import ReportFilter, by_store, daily_rows, report_stores


@dataclass
class StoreRow:
    store_id: int
    code: str
    name: str
    sales_count: int
    net_cents: int
    avg_ticket_cents: int
    new_members: int
    active_90: int  # home-store members who bought in the last 90 days (now)
    topup_cents: int
    coupons_used: int
    previous_net_cents: int

    @property
    def growth(self) -> float | None:
        """Net sales against the previous period (None when there was nothing to compare)."""
        if not self.previous_net_cents:
            return None
        return (self.net_cents - self.previous_net_cents) / abs(self.previous_net_cents)


def store_comparison(session: Session, actor: Actor, f: ReportFilter) -> list[StoreRow]:
    stores = report_stores(session, actor, f.store_ids)
    prev = f.previous()
    rows = daily_rows(session, stores, prev.start, f.end)
    now_rows = by_store(session, [r for r in rows if r.day >= f.start], stores)
    before = {
        s.store_id: s for s in by_store(session, [r for r in rows if r.day < f.start], stores)
    }
    summary = MemberSalesSummary
    active_stmt = (
        select(summary.home_store_id, func.count())
        .where(summary.last_sale_at >= utcnow() - timedelta(days=90))
        .group_by(col(summary.home_store_id))
    )
    if stores is not None:
        active_stmt = active_stmt.where(col(summary.home_store_id).in_(stores or [-1]))
    active = {int(s): int(n) for s, n in session.exec(active_stmt).all()}
    return [
        StoreRow(
            store_id=s.store_id,
            code=s.code,
            name=s.name,
            sales_count=s.sales_count,
            net_cents=s.net_cents,
            avg_ticket_cents=s.avg_ticket_cents,
            new_members=s.new_members,
            active_90=active.get(s.store_id, 0),
            topup_cents=s.wallet_topup_cents,
            coupons_used=s.coupons_used,
            previous_net_cents=before[s.store_id].net_cents if s.store_id in before else 0,
        )
        for s in sorted(now_rows, key=lambda s: -s.net_cents)
    ]


@dataclass
class StaffRow:
    staff_id: int
    username: str
    display_name: str
    sales_count: int
    sales_cents: int
    members_created: int

    @property
    def avg_ticket_cents(self) -> int:
        return self.sales_cents // self.sales_count if self.sales_count else 0


def staff_performance(session: Session, actor: Actor, f: ReportFilter) -> list[StaffRow]:
    """Sales recorded and members registered per staff account at the stores in view."""
    stores = report_stores(session, actor, f.store_ids)
    stmt = (
        select(
            DailyStaffStats.staff_id,
            func.sum(DailyStaffStats.sales_count),
            func.sum(DailyStaffStats.sales_due_cents),
            func.sum(DailyStaffStats.members_created),
        )
        .where(DailyStaffStats.day >= f.start, DailyStaffStats.day <= f.end)
        .group_by(col(DailyStaffStats.staff_id))
    )
    if stores is not None:
        stmt = stmt.where(col(DailyStaffStats.store_id).in_(stores or [-1]))
    totals = {int(s): (int(a), int(b), int(c)) for s, a, b, c in session.exec(stmt).all()}
    people = {
        p.id: p
        for p in session.exec(select(Staff).where(col(Staff.id).in_(list(totals) or [-1]))).all()
    }
    rows = [
        StaffRow(
            staff_id=sid,
            username=people[sid].username if sid in people else str(sid),
            display_name=people[sid].display_name if sid in people else "",
            sales_count=n,
            sales_cents=cents,
            members_created=created,
        )
        for sid, (n, cents, created) in totals.items()
        if n or cents or created
    ]
    return sorted(rows, key=lambda r: (-r.sales_cents, -r.members_created, r.username))

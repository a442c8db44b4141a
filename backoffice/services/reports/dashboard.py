"""The dashboard: a date range's figures for the stores in scope, beside the previous period of
the same length. Range figures come from the exact daily tables (services/reports/daily_stats.py);
figures that describe "now" (active members, tiers) come from indexed snapshots."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from backoffice.errors import ValidationFailed
from backoffice.models import (
    Member,
    Store,
    Workflow,
    WorkflowRun,
)
from backoffice.models.base import utcnow
from backoffice.models.reports import STORE_FIGURES, DailyStoreStats
from backoffice.services.org.access import Actor, require, restrict, scoped_store_ids
from backoffice.services.reports.attribution import attribute_runs
from backoffice.services.reports.snapshots import (
    _members_in,
    activity,
    liabilities,
    tier_distribution,
)
from backoffice.settings import get_settings

MAX_RANGE_DAYS = 731
GRAINS = ("day", "week", "month")


@dataclass
class ReportFilter:
    """What every report takes: a date range (inclusive, store-local days) and stores."""

    start: date
    end: date
    store_ids: list[int] | None = None  # None: every store in scope
    compare: bool = True
    grain: str = "day"

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> ReportFilter:
        """The period of equal length right before this one."""
        end = self.start - timedelta(days=1)
        return ReportFilter(end - timedelta(days=self.days - 1), end, self.store_ids, False)


def parse_filter(
    start: str,
    end: str,
    store_ids: list[int] | None = None,
    compare: bool = True,
    grain: str = "day",
) -> ReportFilter:
    """From the page's text inputs; bad input names the field."""
    errors: dict[str, str] = {}
    try:
        first = date.fromisoformat(start)
    except ValueError:
        errors["start"] = "error.date"
    try:
        last = date.fromisoformat(end)
    except ValueError:
        errors["end"] = "error.date"
    if grain not in GRAINS:
        errors["grain"] = "error.choice"
    if errors:
        raise ValidationFailed(errors)
    if last < first:
        raise ValidationFailed({"end": "error.report_range_order"})
    if (last - first).days + 1 > MAX_RANGE_DAYS:
        raise ValidationFailed({"end": "error.report_range_long"})
    return ReportFilter(first, last, store_ids, compare, grain)


def default_filter(days: int = 30) -> ReportFilter:
    today = datetime.now(ZoneInfo(get_settings().default_timezone)).date()
    return ReportFilter(today - timedelta(days=days - 1), today)


def report_stores(session: Session, actor: Actor, wanted: list[int] | None) -> list[int] | None:
    """The stores a report covers: the request narrowed to the scope; None = all stores."""
    require(actor, "reports.read")
    return scoped_store_ids(actor, wanted)


def _utc_bounds(f: ReportFilter) -> tuple[datetime, datetime]:
    """The range as UTC instants in the organisation's zone (for source-row figures)."""
    zone = ZoneInfo(get_settings().default_timezone)
    start = datetime.combine(f.start, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(f.end + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return start, end


# ---- range figures from the daily table ---------------------------------------------------


def daily_rows(
    session: Session, stores: list[int] | None, first: date, last: date
) -> list[DailyStoreStats]:
    stmt = select(DailyStoreStats).where(DailyStoreStats.day >= first, DailyStoreStats.day <= last)
    if stores is not None:
        stmt = stmt.where(col(DailyStoreStats.store_id).in_(stores or [-1]))
    return list(session.exec(stmt).all())


def _sum(rows: list[DailyStoreStats]) -> dict[str, int]:
    out = dict.fromkeys(STORE_FIGURES, 0)
    for row in rows:
        for figure in STORE_FIGURES:
            out[figure] += getattr(row, figure)
    return out


def derived(totals: dict[str, int]) -> dict[str, float | int]:
    """Figures computed from the additive ones (rates are 0..1, money in cents)."""
    sales, used, issued = totals["sales_count"], totals["coupons_used"], totals["coupons_issued"]
    net = totals["sales_due_cents"] - totals["refund_cents"]
    return {
        "net_sales_cents": net,
        "avg_ticket_cents": totals["sales_due_cents"] // sales if sales else 0,
        "repeat_sale_rate": totals["repeat_sales"] / sales if sales else 0.0,
        "coupon_use_rate": used / issued if issued else 0.0,
        "points_issued": totals["points_earned"] + max(totals["points_adjusted"], 0),
    }


def _bucket_start(day: date, grain: str) -> date:
    if grain == "week":
        return day - timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    return day


SERIES_FIGURES = (
    "new_members",
    "sales_count",
    "sales_due_cents",
    "refund_cents",
    "points_earned",
    "points_spent",
    "points_expired",
    "wallet_topup_cents",
    "wallet_spent_cents",
    "coupons_issued",
    "coupons_used",
    "messages_sent",
    "tier_up",
    "tier_down",
)


def series(rows: list[DailyStoreStats], f: ReportFilter) -> list[dict[str, Any]]:
    """Figures per day, week or month, every bucket present (zeros where nothing happened)."""
    buckets: dict[date, dict[str, int]] = {}
    day = f.start
    while day <= f.end:
        buckets.setdefault(_bucket_start(day, f.grain), dict.fromkeys(SERIES_FIGURES, 0))
        day += timedelta(days=1)
    for row in rows:
        if f.start <= row.day <= f.end:
            bucket = buckets[_bucket_start(row.day, f.grain)]
            for figure in SERIES_FIGURES:
                bucket[figure] += getattr(row, figure)
    return [{"period": k.isoformat(), **v} for k, v in sorted(buckets.items())]


@dataclass
class StoreFigures:
    store_id: int
    code: str
    name: str
    sales_count: int = 0
    sales_due_cents: int = 0
    refund_cents: int = 0
    new_members: int = 0
    wallet_topup_cents: int = 0
    points_earned: int = 0
    coupons_used: int = 0

    @property
    def net_cents(self) -> int:
        return self.sales_due_cents - self.refund_cents

    @property
    def avg_ticket_cents(self) -> int:
        return self.sales_due_cents // self.sales_count if self.sales_count else 0


def by_store(
    session: Session, rows: list[DailyStoreStats], stores: list[int] | None
) -> list[StoreFigures]:
    stmt = select(Store).where(col(Store.is_hq).is_(False)).order_by(Store.code)
    if stores is not None:
        stmt = stmt.where(col(Store.id).in_(stores or [-1]))
    out = {s.id or 0: StoreFigures(s.id or 0, s.code, s.name) for s in session.exec(stmt).all()}
    for row in rows:
        target = out.get(row.store_id)
        if target is None:
            continue
        for name in (
            "sales_count",
            "sales_due_cents",
            "refund_cents",
            "new_members",
            "wallet_topup_cents",
            "points_earned",
            "coupons_used",
        ):
            setattr(target, name, getattr(target, name) + getattr(row, name))
    return list(out.values())


@dataclass
class Campaigns:
    messages_sent: int = 0
    entered: int = 0  # members who entered a campaign with a sales goal in the period
    converted: int = 0  # of them, with a sale within the goal window
    revenue_cents: int = 0

    @property
    def rate(self) -> float:
        return self.converted / self.entered if self.entered else 0.0


def campaign_conversions(
    session: Session, actor: Actor, stores: list[int] | None, f: ReportFilter
) -> Campaigns:
    """The builder's goal rule (Workflow.goal_kind "sale" within goal_days of entering), for
    runs started in the range by members of the filtered stores."""
    out = Campaigns()
    if not (actor.can("workflows.read") or actor.can("workflows.design")):
        return out
    start, end = _utc_bounds(f)
    stmt = (
        select(WorkflowRun.member_id, WorkflowRun.started_at, Workflow.goal_days)
        .join(Workflow, col(Workflow.id) == WorkflowRun.workflow_id)
        .join(Member, col(Member.id) == WorkflowRun.member_id)
        .where(
            Workflow.goal_kind == "sale",
            col(WorkflowRun.dry_run).is_(False),
            WorkflowRun.started_at >= start,
            WorkflowRun.started_at < end,
        )
    )
    runs = session.exec(_members_in(stmt, stores)).all()
    found = attribute_runs(
        session, [(None, int(m), started, days) for m, started, days in runs], start
    ).get(None)
    if found is not None:
        out.entered, out.converted = found.entered, found.converted
        out.revenue_cents = found.revenue_cents
    return out


# ---- the dashboard -------------------------------------------------------------------------


@dataclass
class Dashboard:
    filter: ReportFilter
    stores: list[int] | None
    totals: dict[str, int]
    kpis: dict[str, float | int]
    previous_totals: dict[str, int] | None
    previous_kpis: dict[str, float | int] | None
    series: list[dict[str, Any]]
    previous_series: list[dict[str, Any]] | None
    by_store: list[StoreFigures]
    tiers: list[dict[str, Any]]
    activity: dict[str, int]
    liabilities: dict[str, int]
    previous_liabilities: dict[str, int] | None
    campaigns: Campaigns
    previous_campaigns: Campaigns | None
    # Every sale belongs to a member (Sale.member_id is required): the share is 100 %.
    member_sales_share: float = 1.0
    notes: list[str] = field(default_factory=list)


def dashboard(session: Session, actor: Actor, f: ReportFilter) -> Dashboard:
    """All dashboard figures for the range (and the previous period when asked)."""
    stores = report_stores(session, actor, f.store_ids)
    prev = f.previous()
    rows = daily_rows(session, stores, prev.start if f.compare else f.start, f.end)
    current = [r for r in rows if r.day >= f.start]
    totals = _sum(current)
    earlier = [r for r in rows if r.day < f.start] if f.compare else None
    now = utcnow()
    return Dashboard(
        filter=f,
        stores=stores,
        totals=totals,
        kpis=derived(totals),
        previous_totals=_sum(earlier) if earlier is not None else None,
        previous_kpis=derived(_sum(earlier)) if earlier is not None else None,
        series=series(current, f),
        previous_series=series(earlier, ReportFilter(prev.start, prev.end, grain=f.grain))
        if earlier is not None
        else None,
        by_store=by_store(session, current, stores),
        tiers=tier_distribution(session, stores),
        activity=activity(session, stores, now),
        liabilities=liabilities(session, stores, f.end),
        previous_liabilities=liabilities(session, stores, prev.end) if f.compare else None,
        campaigns=Campaigns(
            messages_sent=totals["messages_sent"],
            **_conversion_fields(campaign_conversions(session, actor, stores, f)),
        ),
        previous_campaigns=Campaigns(
            messages_sent=_sum(earlier)["messages_sent"],
            **_conversion_fields(campaign_conversions(session, actor, stores, prev)),
        )
        if earlier is not None
        else None,
        notes=["report.note.member_share"],
    )


def _conversion_fields(c: Campaigns) -> dict[str, int]:
    return {"entered": c.entered, "converted": c.converted, "revenue_cents": c.revenue_cents}


def store_choices(session: Session, actor: Actor) -> list[tuple[int, str]]:
    """The shops a report filter may offer: non-HQ stores in scope."""
    require(actor, "reports.read")
    stmt = select(Store.id, Store.code, Store.name).where(col(Store.is_hq).is_(False))
    stmt = restrict(stmt, actor, Store.id)
    return [(int(i or 0), f"{c} {n}") for i, c, n in session.exec(stmt.order_by(Store.code)).all()]

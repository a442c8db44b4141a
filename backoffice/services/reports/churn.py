"""Churn warning: members whose time since their last visit exceeds their own usual interval
(the mean gap between their visits) by a factor, most valuable first, and the one-click
win-back: tag them, and optionally start a published manual-trigger workflow for them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import case
from sqlmodel import Session, col, func, select

from backoffice.errors import ValidationFailed
from backoffice.models import Member, MemberStatus, Store
from backoffice.models.base import utcnow
from backoffice.models.reports import MemberSalesSummary
from backoffice.services.org.access import Actor
from backoffice.services.reports.daily_stats import epoch_day
from backoffice.services.reports.dashboard import report_stores


@dataclass
class ChurnRule:
    factor: float = 2.0  # gap since the last visit > factor × usual gap
    min_visits: int = 2  # one visit has no usual interval

    def check(self) -> ChurnRule:
        errors = {}
        if not 1.0 <= self.factor <= 20.0:
            errors["factor"] = "error.churn_factor"
        if not 2 <= self.min_visits <= 1000:
            errors["min_visits"] = "error.churn_visits"
        if errors:
            raise ValidationFailed(errors)
        return self


@dataclass
class ChurnRow:
    member_id: int
    member_no: str
    name: str
    store: str
    last_sale_at: datetime
    days_since: int
    usual_gap_days: float
    visits: int
    spend_cents: int

    @property
    def overdue_factor(self) -> float:
        return round(self.days_since / self.usual_gap_days, 1) if self.usual_gap_days else 0.0


@dataclass
class ChurnPage:
    rows: list[ChurnRow] = field(default_factory=list)
    total: int = 0
    value_cents: int = 0  # what these members spent so far


def _usual_gap() -> Any:
    """The member's mean gap between visits, at least one day (two visits on one day do not
    make a one-hour rhythm)."""
    gap = col(MemberSalesSummary.gap_days)
    return case((gap < 1, 1.0), else_=gap)


def _statement(stores: list[int] | None, rule: ChurnRule, today: int) -> Any:
    since = today - MemberSalesSummary.last_sale_day
    stmt = (
        select(MemberSalesSummary, Member.member_no, Member.name, Store.name)
        .join(Member, col(Member.id) == MemberSalesSummary.member_id)
        .join(Store, col(Store.id) == Member.home_store_id)
        .where(
            Member.status == MemberStatus.ACTIVE,
            MemberSalesSummary.sales_count >= rule.min_visits,
            since > _usual_gap() * rule.factor,
        )
    )
    if stores is not None:
        stmt = stmt.where(col(MemberSalesSummary.home_store_id).in_(stores or [-1]))
    return stmt


def churn_list(
    session: Session,
    actor: Actor,
    store_ids: list[int] | None,
    rule: ChurnRule,
    limit: int | None = 100,
) -> ChurnPage:
    """Members overdue against their own rhythm, highest spend first (a page, and the total)."""
    stores = report_stores(session, actor, store_ids)
    rule.check()
    today = epoch_day(utcnow())
    stmt = _statement(stores, rule, today)
    sub = stmt.subquery()
    total, value = session.exec(
        select(func.count(), func.coalesce(func.sum(sub.c.spend_cents), 0))
    ).one()
    ordered = stmt.order_by(col(MemberSalesSummary.spend_cents).desc(), col(Member.id))
    if limit:
        ordered = ordered.limit(limit)
    rows = [
        ChurnRow(
            member_id=s.member_id,
            member_no=no,
            name=name,
            store=store,
            last_sale_at=s.last_sale_at,
            days_since=today - s.last_sale_day,
            usual_gap_days=round(max(s.gap_days, 1.0), 1),
            visits=s.sales_count,
            spend_cents=s.spend_cents,
        )
        for s, no, name, store in session.exec(ordered).all()
    ]
    return ChurnPage(rows=rows, total=int(total), value_cents=int(value))


def churn_member_ids(
    session: Session, actor: Actor, store_ids: list[int] | None, rule: ChurnRule
) -> list[int]:
    stores = report_stores(session, actor, store_ids)
    rule.check()
    sub = _statement(stores, rule, epoch_day(utcnow())).subquery()
    return [int(m) for m in session.exec(select(sub.c.member_id)).all()]

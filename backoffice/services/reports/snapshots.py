"""Figures about one moment: points and stored value outstanding, active and repeat buyers,
members per tier (the dashboard shows them beside the range's figures)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import case
from sqlmodel import Session, col, func, select

from backoffice.models import (
    Member,
    MemberStatus,
    Tier,
)
from backoffice.models.reports import DailyStoreStats, MemberSalesSummary


def liabilities(session: Session, stores: list[int] | None, as_of: date) -> dict[str, int]:
    """Points and stored value outstanding at the end of `as_of`: every ledger change ever,
    summed per store where it happened (over all stores this equals the account balances)."""
    stmt = select(
        func.coalesce(
            func.sum(
                DailyStoreStats.points_earned
                - DailyStoreStats.points_spent
                - DailyStoreStats.points_expired
                + DailyStoreStats.points_adjusted
                + DailyStoreStats.points_refunded
            ),
            0,
        ),
        func.coalesce(
            func.sum(DailyStoreStats.wallet_topup_cents - DailyStoreStats.wallet_spent_cents),
            0,
        ),
        func.coalesce(
            func.sum(DailyStoreStats.wallet_bonus_cents + DailyStoreStats.wallet_returned_cents),
            0,
        ),
    ).where(DailyStoreStats.day <= as_of)
    if stores is not None:
        stmt = stmt.where(col(DailyStoreStats.store_id).in_(stores or [-1]))
    points_out, principal_and_spend, bonus_and_back = session.exec(stmt).one()
    return {
        "points_outstanding": int(points_out),
        "wallet_outstanding_cents": int(principal_and_spend) + int(bonus_and_back),
    }


# ---- snapshots ---------------------------------------------------------------------------


def _members_in(stmt: Any, stores: list[int] | None) -> Any:
    if stores is None:
        return stmt
    return stmt.where(col(Member.home_store_id).in_(stores or [-1]))


def activity(session: Session, stores: list[int] | None, now: datetime) -> dict[str, int]:
    """Members who bought in the last 30 / 90 days, buyers ever and repeat buyers (now),
    in one pass over the summaries' (home store, last sale, visits) index."""
    s = MemberSalesSummary
    stmt = select(
        func.count(),
        func.coalesce(
            func.sum(case((col(s.last_sale_at) >= now - timedelta(days=30), 1), else_=0)), 0
        ),
        func.coalesce(
            func.sum(case((col(s.last_sale_at) >= now - timedelta(days=90), 1), else_=0)), 0
        ),
        func.coalesce(func.sum(case((col(s.sales_count) >= 2, 1), else_=0)), 0),
    )
    if stores is not None:
        stmt = stmt.where(col(s.home_store_id).in_(stores or [-1]))
    buyers, active_30, active_90, repeat = session.exec(stmt).one()
    return {
        "active_30": int(active_30),
        "active_90": int(active_90),
        "buyers": int(buyers),
        "repeat_buyers": int(repeat),
    }


def tier_distribution(session: Session, stores: list[int] | None) -> list[dict[str, Any]]:
    """Active members per tier now (members never moved sit in the entry tier)."""
    tiers = list(session.exec(select(Tier).order_by(col(Tier.rank))).all())
    entry = next((t for t in tiers if t.active), None)
    stmt = _members_in(
        select(Member.tier_id, func.count())
        .where(Member.status == MemberStatus.ACTIVE)
        .group_by(col(Member.tier_id)),
        stores,
    )
    counts: dict[int | None, int] = {k: int(v) for k, v in session.exec(stmt).all()}
    if entry is not None:
        counts[entry.id] = counts.get(entry.id, 0) + counts.pop(None, 0)
    out = [{"tier": t.name, "code": t.code, "members": counts.get(t.id, 0)} for t in tiers]
    if counts.get(None):
        out.append({"tier": "-", "code": "", "members": counts[None]})
    return out

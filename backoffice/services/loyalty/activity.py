"""A member's activity in the last N days, in one place: spend (paid, net of refunds), visits
(sales not refunded) and points earned. Tier upgrades, nightly downgrades, tier progress and
campaign conditions all measure it here, for one member, a batch, or inside a member query.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, func, select

from backoffice.models import PointsEntry, PointsKind, Sale, SaleStatus, TierMetric


def _measure(kind: str, since: datetime) -> tuple[Any, Any, list[Any]]:
    """(the member column, the aggregate, the conditions) of one kind of activity."""
    if kind == TierMetric.POINTS:
        return (
            PointsEntry.member_id,
            func.coalesce(func.sum(PointsEntry.delta), 0),
            [PointsEntry.kind == PointsKind.EARN, PointsEntry.created_at >= since],
        )
    if kind == TierMetric.VISITS:
        return (
            Sale.member_id,
            func.count(col(Sale.id)),
            [Sale.created_at >= since, Sale.status != SaleStatus.REFUNDED],
        )
    return (
        Sale.member_id,
        func.coalesce(func.sum(Sale.due_cents - Sale.refunded_cents), 0),
        [Sale.created_at >= since],
    )


def activity_totals(
    session: Session, kind: str, member_ids: list[int], since: datetime
) -> dict[int, int]:
    """Each member's activity since `since` (members with none are left out: 0)."""
    member, value, conditions = _measure(kind, since)
    totals: dict[int, int] = {}
    for start in range(0, len(member_ids), 900):
        stmt = (
            select(member, value)
            .where(col(member).in_(member_ids[start : start + 900]), *conditions)
            .group_by(member)
        )
        totals.update({int(m): int(v or 0) for m, v in session.exec(stmt).all()})
    return totals


def activity_of(session: Session, kind: str, member_id: int, since: datetime) -> int:
    return activity_totals(session, kind, [member_id], since).get(member_id, 0)


def activity_subquery(kind: str, member_column: Any, since: datetime) -> ColumnElement[Any]:
    """The activity of the member in `member_column`'s row, as a correlated scalar subquery
    (a campaign condition over a whole member query)."""
    member, value, conditions = _measure(kind, since)
    return select(value).where(member == member_column, *conditions).scalar_subquery()

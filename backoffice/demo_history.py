"""Demo data only: spread the demo members' sales over the past months, so the dashboard, the
RFM groups and the churn warning have a history to show on the first `make run`.

The sales are recorded through the services (today); this moves each sale and the ledger
rows it caused back in time together, each member at their own rhythm (some stopped coming),
then recomputes the report tables from the moved rows, exactly as `backoffice reports
rebuild` does."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from backoffice.models import Coupon, Member, PointsEntry, Sale, WalletEntry
from backoffice.models.base import utcnow
from backoffice.services.reports.rebuild import rebuild_daily_stats


def spread_sales_history(session: Session, seed: int = 11) -> int:
    """Move every sale into the past (never before the member joined); returns sales moved."""
    rng = random.Random(seed)
    session.flush()
    now = utcnow()
    by_member: dict[int, list[int]] = {}
    for sale_id, member_id in session.exec(select(Sale.id, Sale.member_id).order_by(Sale.id)).all():
        by_member.setdefault(int(member_id), []).append(int(sale_id))
    joined = {
        int(m): j
        for m, j in session.exec(
            select(Member.id, Member.joined_at).where(col(Member.id).in_(list(by_member)))
        ).all()
    }
    moved = 0
    for member_id, sale_ids in by_member.items():
        gap = rng.randint(7, 45)  # this member's rhythm
        last = rng.choice([0, 0, 1, 3, 5, 10, 20, 40, 60, 90, 120, 150])  # days since last visit
        earliest = joined.get(member_id) or now
        member_days = max(0, (now - earliest).days)
        if last + len(sale_ids) * gap > member_days:  # a recent member: fit the visits in
            last = rng.randint(0, member_days // (len(sale_ids) + 1)) if member_days else 0
            gap = max(1, (member_days - last) // (len(sale_ids) + 1))
        for back, sale_id in enumerate(reversed(sale_ids)):
            when = now - timedelta(days=last + back * gap, hours=rng.randint(0, 8))
            _move_sale(session, sale_id, min(now, max(when, earliest)))
            moved += 1
    rebuild_daily_stats(session)
    return moved


def _move_sale(session: Session, sale_id: int, when) -> None:  # noqa: ANN001
    session.exec(update(Sale).where(col(Sale.id) == sale_id).values(created_at=when))
    for table in (PointsEntry, WalletEntry):
        session.exec(
            update(table)
            .where(col(table.cause_type) == "sale", col(table.cause_id) == str(sale_id))
            .values(created_at=when)
        )
    session.exec(update(Coupon).where(col(Coupon.used_sale_id) == sale_id).values(used_at=when))

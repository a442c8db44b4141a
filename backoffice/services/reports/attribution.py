"""Goal attribution, in one place: which campaign runs led to a sale within their goal
window, and the revenue that counts. The builder's goal figures and the dashboard's
campaign conversions both read it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlmodel import Session, col, select

from backoffice.models import Sale, SaleStatus


@dataclass
class Conversion:
    entered: int = 0  # members who entered (runs started) in the period
    converted: int = 0  # of them, with a sale within the goal window
    revenue_cents: int = 0  # net of refunds, sales inside the windows

    @property
    def rate(self) -> float:
        return self.converted / self.entered if self.entered else 0.0


def attribute_runs(
    session: Session, runs: list[tuple[Any, int, Any, int]], since: Any
) -> dict[Any, Conversion]:
    """The goal rule, in one place: a run (key, member, started, goal_days) converts when its
    member buys within goal_days of entering; revenue (net of refunds) counts each sale once
    per key even when two runs' windows hold it. Sales are read once for all members."""
    sales: dict[int, list[tuple[Any, int, int]]] = {}
    members = sorted({m for _, m, _, _ in runs})
    for start in range(0, len(members), 900):
        for sale_id, member_id, created, due, refunded in session.exec(
            select(  # type: ignore[call-overload]  # sqlmodel types select() for up to 4 columns
                Sale.id, Sale.member_id, Sale.created_at, Sale.due_cents, Sale.refunded_cents
            ).where(
                col(Sale.member_id).in_(members[start : start + 900]),
                Sale.created_at >= since,
                Sale.status != SaleStatus.REFUNDED,
            )
        ).all():
            sales.setdefault(int(member_id), []).append(
                (created, int(sale_id), int(due - refunded))
            )
    out: dict[Any, Conversion] = {}
    counted: dict[Any, set[int]] = {}
    for key, member_id, started, days in runs:
        result = out.setdefault(key, Conversion())
        seen = counted.setdefault(key, set())
        window = timedelta(days=days or 7)
        hit = False
        for created, sale_id, net in sales.get(member_id, []):
            if started <= created < started + window:
                hit = True
                if sale_id not in seen:
                    seen.add(sale_id)
                    result.revenue_cents += net
        result.entered += 1
        result.converted += int(hit)
    return out

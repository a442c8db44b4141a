"""RFM segmentation (recency, frequency, monetary) over members who have bought.

Each dimension is "high" or "low" against a threshold (by default the average over the
stores in view), giving the eight classic groups (重要价值客户 … 一般挽留客户/hibernating).
A group saved as a workflow segment keeps its thresholds as numbers in the condition
language (rule kind "rfm"), so the segment stays live: members move in and out as they buy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import case
from sqlmodel import Session, col, func, select

from backoffice.errors import ValidationFailed
from backoffice.models import Member, Store
from backoffice.models.base import utcnow
from backoffice.models.reports import MemberSalesSummary
from backoffice.services.reports.daily_stats import epoch_day
from backoffice.services.reports.dashboard import report_stores

# (recency high, frequency high, monetary high) → group key
GROUPS: dict[tuple[bool, bool, bool], str] = {
    (True, True, True): "important_value",
    (True, False, True): "important_development",
    (False, True, True): "important_retention",
    (False, False, True): "important_winback",
    (True, True, False): "general_value",
    (True, False, False): "general_development",
    (False, True, False): "general_retention",
    (False, False, False): "hibernating",
}
GROUP_KEYS = tuple(GROUPS.values())


@dataclass
class RfmThresholds:
    recency_days: int  # bought within this many days: recency is high
    frequency: int  # at least this many purchases: frequency is high
    monetary_cents: int  # spent at least this much: monetary is high

    def check(self) -> RfmThresholds:
        errors = {}
        if not 0 <= self.recency_days <= 3650:
            errors["recency_days"] = "error.range_0_3650"
        if not 1 <= self.frequency <= 100_000:
            errors["frequency"] = "error.positive"
        if self.monetary_cents < 0:
            errors["monetary_cents"] = "error.not_negative"
        if errors:
            raise ValidationFailed(errors)
        return self


@dataclass
class RfmGroup:
    key: str
    members: int
    spend_cents: int
    avg_recency_days: float
    avg_frequency: float

    @property
    def avg_spend_cents(self) -> int:
        return self.spend_cents // self.members if self.members else 0


def _in_stores(stmt: Any, stores: list[int] | None) -> Any:
    if stores is None:
        return stmt
    return stmt.where(col(MemberSalesSummary.home_store_id).in_(stores or [-1]))


def _recency(today: int) -> Any:
    return today - MemberSalesSummary.last_sale_day


def default_thresholds(
    session: Session, actor: Any, store_ids: list[int] | None = None
) -> RfmThresholds:
    """The averages over the buyers in view (rounded), a common starting point."""
    stores = report_stores(session, actor, store_ids)
    today = epoch_day(utcnow())
    stmt = select(
        func.avg(_recency(today)),
        func.avg(MemberSalesSummary.sales_count),
        func.avg(MemberSalesSummary.spend_cents),
    )
    r, f, m = session.exec(_in_stores(stmt, stores)).one()
    return RfmThresholds(
        recency_days=max(0, round(r or 0)),
        frequency=max(1, round(f or 1)),
        monetary_cents=max(0, round(m or 0)),
    )


def _flags(t: RfmThresholds, today: int) -> tuple[Any, Any, Any]:
    return (
        _recency(today) <= t.recency_days,
        MemberSalesSummary.sales_count >= t.frequency,
        MemberSalesSummary.spend_cents >= t.monetary_cents,
    )


def rfm_groups(
    session: Session, actor: Any, store_ids: list[int] | None, t: RfmThresholds
) -> list[RfmGroup]:
    """Members, spend and averages per group (all eight, zeros included)."""
    stores = report_stores(session, actor, store_ids)
    t.check()
    today = epoch_day(utcnow())
    r, f, m = (case((flag, 1), else_=0) for flag in _flags(t, today))
    stmt = select(  # type: ignore[call-overload]  # sqlmodel types select() for up to 4 columns
        r.label("r"),
        f.label("f"),
        m.label("m"),
        func.count(),
        func.coalesce(func.sum(MemberSalesSummary.spend_cents), 0),
        func.avg(_recency(today)),
        func.avg(MemberSalesSummary.sales_count),
    )
    stmt = _in_stores(stmt, stores)
    found = {
        GROUPS[(bool(rr), bool(ff), bool(mm))]: RfmGroup(
            GROUPS[(bool(rr), bool(ff), bool(mm))],
            int(n),
            int(spend),
            round(float(rec or 0), 1),
            round(float(freq or 0), 2),
        )
        for rr, ff, mm, n, spend, rec, freq in session.exec(stmt.group_by("r", "f", "m")).all()
    }
    return [found.get(k) or RfmGroup(k, 0, 0, 0.0, 0.0) for k in GROUP_KEYS]


def _group_where(group: str, t: RfmThresholds, today: int) -> list[Any]:
    if group not in GROUP_KEYS:
        raise ValidationFailed({"group": "error.choice"})
    want = next(k for k, v in GROUPS.items() if v == group)
    return [flag if high else ~flag for flag, high in zip(_flags(t, today), want, strict=True)]


@dataclass
class RfmMember:
    member_id: int
    member_no: str
    name: str
    store: str
    recency_days: int
    frequency: int
    spend_cents: int


def rfm_members(
    session: Session,
    actor: Any,
    store_ids: list[int] | None,
    t: RfmThresholds,
    group: str,
    limit: int | None = 100,
) -> list[RfmMember]:
    """A group's members, highest spend first."""
    stores = report_stores(session, actor, store_ids)
    t.check()
    today = epoch_day(utcnow())
    stmt = (
        select(  # type: ignore[call-overload]  # sqlmodel types select() for up to 4 columns
            Member.id,
            Member.member_no,
            Member.name,
            Store.name,
            _recency(today),
            MemberSalesSummary.sales_count,
            MemberSalesSummary.spend_cents,
        )
        .join(Member, col(Member.id) == MemberSalesSummary.member_id)
        .join(Store, col(Store.id) == Member.home_store_id)
        .where(*_group_where(group, t, today))
        .order_by(col(MemberSalesSummary.spend_cents).desc(), col(Member.id))
    )
    stmt = _in_stores(stmt, stores)
    if limit:
        stmt = stmt.limit(limit)
    return [
        RfmMember(int(a), b, c, d, int(e), int(f), int(g))
        for a, b, c, d, e, f, g in session.exec(stmt).all()
    ]


def group_condition(group: str, t: RfmThresholds) -> dict[str, Any]:
    """The group as a condition of the workflow condition language (live, exact)."""
    _group_where(group, t, 0)  # validates the key
    r_high, f_high, m_high = next(k for k, v in GROUPS.items() if v == group)
    return {
        "match": "all",
        "rules": [
            {
                "kind": "rfm",
                "field": "recency_days",
                "op": "lte" if r_high else "gt",
                "value": t.recency_days,
            },
            {
                "kind": "rfm",
                "field": "frequency",
                "op": "gte" if f_high else "lt",
                "value": t.frequency,
            },
            {
                "kind": "rfm",
                "field": "monetary",
                "op": "gte" if m_high else "lt",
                "value": t.monetary_cents,
            },
        ],
    }

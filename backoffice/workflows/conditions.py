"""The condition language shared by condition nodes and segments: rules in AND/OR groups,
compiled to one SQL expression over members (never `eval`). Evaluating a condition for
one member, a batch or a whole segment is the same query with a different member filter."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field
from sqlalchemy import ColumnClause, and_, exists, false, literal_column, not_, or_, true
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session, col, select

from backoffice.models import (
    Coupon,
    CouponStatus,
    FormField,
    Member,
    MemberConsent,
    MemberStatus,
    MemberTag,
    Tier,
)
from backoffice.models.base import utcnow
from backoffice.models.reports import MemberSalesSummary
from backoffice.services.loyalty.activity import activity_subquery
from backoffice.services.members.custom_field_index import value_sql
from backoffice.services.reports.daily_stats import epoch_day
from backoffice.settings import get_settings

MEMBER_FIELDS = (
    "name",
    "gender",
    "birthday",
    "email",
    "status",
    "home_store_id",
    "joined_at",
    "member_no",
)
# Purchase summary measures (reports' MemberSalesSummary): days since the last purchase,
# purchases and net spend in cents, over the member's whole history. No purchase: no match.
# Member fields holding a date or an instant: a rule's text value is parsed first, because
# PostgreSQL will not compare a DATE column with a VARCHAR parameter (SQLite would, as text).
DATE_FIELDS = {"birthday": date, "joined_at": datetime}
RFM_FIELDS = ("recency_days", "frequency", "monetary")
Op = Literal["eq", "ne", "gt", "gte", "lt", "lte", "contains", "in", "empty", "not_empty"]


class Rule(BaseModel):
    kind: Literal[
        "field",
        "custom_field",
        "tier_in",
        "store_in",
        "tag",
        "activity",
        "has_coupon",
        "consent",
        "rfm",
    ]
    field: str = ""  # member field, custom key, activity metric (spend|visits|points), channel
    op: Op = "eq"
    value: Any = None
    days: int = Field(default=30, ge=1, le=3650)


class Group(BaseModel):
    match: Literal["all", "any"] = "all"
    rules: list[Rule | Group] = []


def problems(group: Group, session: Session) -> list[str]:
    """Catalog keys of what is wrong with a condition (unknown fields, bad values)."""
    out: list[str] = []
    custom = set(session.exec(select(FormField.key)).all())
    for rule in _walk(group):
        if rule.kind == "field" and rule.field not in MEMBER_FIELDS:
            out.append("error.condition_field")
        if rule.kind == "field" and rule.field in DATE_FIELDS and _date_value(rule) is _BAD:
            out.append("error.date")
        if rule.kind == "custom_field" and rule.field not in custom:
            out.append("error.field_unknown")
        if rule.kind == "activity" and rule.field not in ("spend", "visits", "points"):
            out.append("error.condition_metric")
        if rule.kind in ("tier_in", "store_in") and not isinstance(rule.value, list):
            out.append("error.condition_list")
        if rule.kind == "activity" and not isinstance(rule.value, int | float):
            out.append("error.number")
        if rule.kind == "rfm" and rule.field not in RFM_FIELDS:
            out.append("error.condition_metric")
        if rule.kind == "rfm" and not isinstance(rule.value, int | float):
            out.append("error.number")
    return out


def _walk(group: Group) -> Iterator[Rule]:
    for item in group.rules:
        if isinstance(item, Group):
            yield from _walk(item)
        else:
            yield item


_BAD = object()


def _date_value(rule: Rule) -> Any:
    """The rule's value as the date or datetime its column holds (a list for `in`),
    or _BAD when some part of it is not an ISO date."""
    kind = DATE_FIELDS[rule.field]
    if rule.op in ("empty", "not_empty"):
        return None

    def parse(raw: Any) -> Any:
        if isinstance(raw, kind):
            return raw
        try:
            parsed = datetime.fromisoformat(str(raw).strip())
        except ValueError:
            return _BAD
        if kind is date:
            return parsed.date()
        # A day or a wall time without an offset is the chain's, as managers read dates.
        zone = ZoneInfo(get_settings().default_timezone)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)

    if rule.op == "in":
        items = [parse(raw) for raw in (rule.value or [])]
        return _BAD if any(item is _BAD for item in items) else items
    return parse(rule.value)


def _compare(expr: Any, op: Op, value: Any) -> ColumnElement[bool]:
    if op == "eq":
        return expr == value
    if op == "ne":
        return expr != value
    if op == "gt":
        return expr > value
    if op == "gte":
        return expr >= value
    if op == "lt":
        return expr < value
    if op == "lte":
        return expr <= value
    if op == "contains":
        return expr.contains(str(value))
    if op == "in":
        return expr.in_(list(value or []))
    if op == "empty":
        return or_(expr.is_(None), expr == "")
    return and_(expr.is_not(None), expr != "")


def _rule_sql(session: Session, rule: Rule) -> ColumnElement[bool]:
    dialect = session.get_bind().dialect.name
    if rule.kind == "field":
        column = getattr(Member, rule.field)
        value = rule.value
        if rule.field == "status" and isinstance(value, str):
            value = MemberStatus(value)
        if rule.field in DATE_FIELDS:
            value = _date_value(rule)
            if value is _BAD:
                return false()
            if rule.op in ("empty", "not_empty"):
                return column.is_(None) if rule.op == "empty" else column.is_not(None)
        return _compare(column, rule.op, value)
    if rule.kind == "custom_field":
        expr: ColumnClause[Any] = literal_column(
            value_sql(dialect, rule.field).replace("custom", "member.custom", 1)
        )
        return _compare(expr, rule.op, rule.value)
    if rule.kind == "tier_in":
        codes = [str(c) for c in (rule.value or [])]
        ids = select(Tier.id).where(col(Tier.code).in_(codes))
        entry = session.exec(
            select(Tier).where(col(Tier.active).is_(True)).order_by(col(Tier.rank))
        ).first()
        condition: ColumnElement[bool] = col(Member.tier_id).in_(ids)
        if entry is not None and entry.code in codes:
            condition = or_(condition, col(Member.tier_id).is_(None))
        return condition
    if rule.kind == "store_in":
        return col(Member.home_store_id).in_([int(v) for v in rule.value or []])
    if rule.kind == "tag":
        has = exists().where(
            col(MemberTag.member_id) == Member.id, col(MemberTag.tag) == str(rule.value)
        )
        return not_(has) if rule.op == "ne" else has
    if rule.kind == "activity":
        since = utcnow() - timedelta(days=rule.days)
        measure = activity_subquery(rule.field or "spend", Member.id, since)
        return _compare(measure, rule.op, rule.value)
    if rule.kind == "rfm":
        return _compare(_rfm_measure(rule.field), rule.op, rule.value)
    if rule.kind == "has_coupon":
        now = utcnow()
        has = exists().where(
            col(Coupon.member_id) == Member.id,
            col(Coupon.status) == CouponStatus.ISSUED,
            col(Coupon.valid_to) > now,
        )
        return not_(has) if rule.op == "ne" else has
    # consent: opt-out model, a member consents unless they withdrew it for the channel
    withdrawn = exists().where(
        col(MemberConsent.member_id) == Member.id,
        col(MemberConsent.channel) == rule.field,
        col(MemberConsent.granted).is_(False),
    )
    return withdrawn if rule.op == "ne" else not_(withdrawn)


def _rfm_measure(field: str) -> Any:
    summary = MemberSalesSummary
    column = {
        "recency_days": epoch_day(utcnow()) - summary.last_sale_day,
        "frequency": summary.sales_count,
        "monetary": summary.spend_cents,
    }.get(field)
    if column is None:
        return literal_column("NULL")
    return select(column).where(summary.member_id == Member.id).scalar_subquery()


def to_sql(session: Session, group: Group) -> ColumnElement[bool]:
    parts = [
        to_sql(session, item) if isinstance(item, Group) else _rule_sql(session, item)
        for item in group.rules
    ]
    if not parts:
        return true()
    return and_(*parts) if group.match == "all" else or_(*parts)


def matching_ids(session: Session, group: Group, member_ids: list[int]) -> set[int]:
    """Which of these members meet the condition (one query for the whole batch)."""
    if not member_ids:
        return set()
    rows = session.exec(
        select(Member.id).where(col(Member.id).in_(member_ids), to_sql(session, group))
    ).all()
    return {int(r or 0) for r in rows}


def matches(session: Session, group: Group, member_id: int) -> bool:
    return member_id in matching_ids(session, group, [member_id])


def never() -> ColumnElement[bool]:
    return false()

"""Membership tiers (会员等级): definitions, upgrade after a qualifying sale, nightly
downgrade by the retention rule, manual moves with a reason, and progress to the next tier."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlmodel import Session, col, select

from backoffice.errors import NotFound, ValidationFailed
from backoffice.models import Member, Tier
from backoffice.models.base import utcnow
from backoffice.models.loyalty import TierMetric as TierMetric  # re-exported: pages show it
from backoffice.services import events
from backoffice.services.loyalty.activity import activity_of, activity_totals
from backoffice.services.org import audit
from backoffice.services.org.access import Actor, member_in_scope, require
from backoffice.services.reports import daily_stats


class TierInput(BaseModel):
    code: str = ""
    name: str = ""
    rank: int = 0
    metric: str = TierMetric.SPEND.value
    threshold: int = 0
    window_days: int = 365
    retain_threshold: int = 0
    discount_bp: int = 0
    points_multiplier_pct: int = 100
    birthday_bonus_points: int = 0
    perks: str = ""
    active: bool = True


def _validate(data: TierInput) -> dict[str, Any]:
    errors: dict[str, str] = {}
    if not data.code.strip():
        errors["code"] = "error.required"
    if not data.name.strip():
        errors["name"] = "error.required"
    if data.metric not in {m.value for m in TierMetric}:
        errors["metric"] = "error.choice"
    if data.rank < 0:
        errors["rank"] = "error.not_negative"
    if data.threshold < 0:
        errors["threshold"] = "error.not_negative"
    if not 1 <= data.window_days <= 3650:
        errors["window_days"] = "error.range_1_3650"
    if not 0 <= data.retain_threshold <= max(data.threshold, 0):
        errors["retain_threshold"] = "error.retain_above_threshold"
    if not 0 <= data.discount_bp < 10000:
        errors["discount_bp"] = "error.percent"
    if not 0 <= data.points_multiplier_pct <= 1000:
        errors["points_multiplier_pct"] = "error.range_0_1000"
    if data.birthday_bonus_points < 0:
        errors["birthday_bonus_points"] = "error.not_negative"
    if errors:
        raise ValidationFailed(errors)
    values = data.model_dump()
    values.update(
        code=data.code.strip().upper(),
        name=data.name.strip(),
        metric=TierMetric(data.metric),
        perks=data.perks.strip(),
    )
    return values


def list_tiers(session: Session, active_only: bool = False) -> list[Tier]:
    """Tiers by rank (the shape of the programme is not secret: any staff may read it)."""
    stmt = select(Tier)
    if active_only:
        stmt = stmt.where(col(Tier.active).is_(True))
    return list(session.exec(stmt.order_by(col(Tier.rank), col(Tier.id))).all())


def create_tier(session: Session, actor: Actor, data: TierInput) -> Tier:
    require(actor, "loyalty.manage")
    values = _validate(data)
    if session.exec(select(Tier).where(Tier.code == values["code"])).first():
        raise ValidationFailed({"code": "error.code_taken"})
    if session.exec(select(Tier).where(Tier.rank == values["rank"])).first():
        raise ValidationFailed({"rank": "error.rank_taken"})
    tier = Tier(**values)
    session.add(tier)
    session.flush()
    audit.record(
        session,
        actor,
        "tiers.create",
        target_type="tier",
        target_id=tier.id,
        changes=audit.diff({}, values),
    )
    return tier


def update_tier(session: Session, actor: Actor, tier_id: int, data: TierInput) -> Tier:
    require(actor, "loyalty.manage")
    tier = session.get(Tier, tier_id)
    if tier is None:
        raise NotFound("error.not_found")
    values = _validate(data)
    for field, message in (("code", "error.code_taken"), ("rank", "error.rank_taken")):
        clash = session.exec(select(Tier).where(getattr(Tier, field) == values[field])).first()
        if clash is not None and clash.id != tier_id:
            raise ValidationFailed({field: message})
    audit.record_update(session, actor, tier, values, "tiers.update", "tier")
    return tier


def tier_of(session: Session, member: Member) -> Tier | None:
    """The member's tier; members never moved sit in the lowest active tier."""
    if member.tier_id is not None:
        return session.get(Tier, member.tier_id)
    tiers = list_tiers(session, active_only=True)
    return tiers[0] if tiers else None


def metric_value(
    session: Session,
    member_id: int,
    metric: TierMetric,
    window_days: int,
    now: datetime | None = None,
) -> int:
    """Spend (cents), visits or points earned by one member within the rolling window."""
    since = (now or utcnow()) - timedelta(days=window_days)
    return activity_of(session, metric, member_id, since)


def _move(
    session: Session,
    member: Member,
    tier: Tier | None,
    *,
    actor: Actor | None,
    reason: str,
    action: str,
) -> None:
    old = tier_of(session, member)
    member.tier_id = tier.id if tier else None
    member.tier_since = utcnow()
    session.add(member)
    changes = {"tier": [old.code if old else None, tier.code if tier else None], "reason": reason}
    audit.record(
        session,
        actor,
        action,
        target_type="member",
        target_id=member.id,
        store_id=member.home_store_id,
        changes=changes,
        actor_name=None if actor else "system",
    )
    event = events.emit(
        session,
        "tier.changed",
        member_id=member.id,
        store_id=member.home_store_id,
        payload={
            "from": old.code if old else None,
            "to": tier.code if tier else None,
            "direction": "up" if (tier.rank if tier else 0) > (old.rank if old else 0) else "down",
            "reason": reason,
        },
    )
    daily_stats.tier_moved(session, member, event.payload["direction"], event.created_at)


def move_member_tier(session: Session, member: Member, tier: Tier, reason: str) -> None:
    """A move decided by the system (a workflow action): audited as system, emits tier.changed."""
    _move(session, member, tier, actor=None, reason=reason, action="tiers.set")


def evaluate_upgrade(session: Session, member: Member, actor: Actor | None = None) -> Tier | None:
    """After a sale: move up to the highest tier whose rule the member now meets."""
    current = tier_of(session, member)
    current_rank = current.rank if current else -1
    for tier in reversed(list_tiers(session, active_only=True)):
        if tier.rank <= current_rank:
            return None
        if metric_value(session, member.id or 0, tier.metric, tier.window_days) >= tier.threshold:
            _move(session, member, tier, actor=actor, reason="qualified", action="tiers.upgrade")
            return tier
    return None


def set_member_tier(
    session: Session, actor: Actor, member_id: int, tier_id: int, reason: str
) -> Member:
    """Permitted staff move a member up or down by hand, with a reason."""
    require(actor, "tiers.set")
    member = member_in_scope(session, actor, member_id)
    tier = session.get(Tier, tier_id)
    if tier is None or not tier.active:
        raise ValidationFailed({"tier": "error.not_found"})
    if not reason.strip():
        raise ValidationFailed({"reason": "error.reason_required"})
    if member.tier_id == tier.id:
        raise ValidationFailed({"tier": "error.tier_same"})
    _move(session, member, tier, actor=actor, reason=reason.strip(), action="tiers.set")
    return member


@dataclass
class DowngradeReport:
    checked: int
    downgraded: int


def evaluate_downgrades(
    session: Session, now: datetime | None = None, batch: int = 5000
) -> DowngradeReport:
    """Nightly: members whose tier is older than its window and who fell below its retention
    threshold move down to the highest tier they still meet (bulk per tier, not per member)."""
    now = now or utcnow()
    tiers = list_tiers(session, active_only=True)
    checked = downgraded = 0
    for tier in tiers[1:]:
        since = now - timedelta(days=tier.window_days)
        last_id = 0
        while True:
            members = session.exec(
                select(Member)
                .where(
                    Member.tier_id == tier.id,
                    col(Member.id) > last_id,
                    col(Member.tier_since) <= since,
                )
                .order_by(col(Member.id))
                .limit(batch)
            ).all()
            if not members:
                break
            last_id = members[-1].id or 0
            ids = [m.id or 0 for m in members]
            values = activity_totals(session, tier.metric, ids, since)
            lower = [t for t in tiers if t.rank < tier.rank]
            for member in members:
                checked += 1
                value = values.get(member.id or 0, 0)
                if value >= tier.retain_threshold:
                    continue
                target = next(
                    (
                        t
                        for t in reversed(lower)
                        if t.metric == tier.metric and value >= t.threshold
                    ),
                    lower[0],
                )
                _move(
                    session,
                    member,
                    target,
                    actor=None,
                    reason="retention",
                    action="tiers.downgrade",
                )
                downgraded += 1
            session.flush()
    return DowngradeReport(checked=checked, downgraded=downgraded)


@dataclass
class TierProgress:
    tier: Tier | None
    next_tier: Tier | None
    value: int  # the member's metric for the next tier's rule
    needed: int  # the next tier's threshold
    percent: int


def tier_progress(session: Session, member: Member) -> TierProgress:
    current = tier_of(session, member)
    higher = [
        t
        for t in list_tiers(session, active_only=True)
        if t.rank > (current.rank if current else -1)
    ]
    if not higher:
        return TierProgress(current, None, 0, 0, 100)
    nxt = higher[0]
    value = metric_value(session, member.id or 0, nxt.metric, nxt.window_days)
    percent = 100 if nxt.threshold <= 0 else min(100, value * 100 // nxt.threshold)
    return TierProgress(current, nxt, value, nxt.threshold, percent)

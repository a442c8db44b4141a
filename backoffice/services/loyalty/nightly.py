"""The nightly loyalty run: birthday points, expiring-points notices, expiry, coupon expiry,
tier downgrades, visit-card expiry notices and expiry. Each step is idempotent, so a re-run on the same day changes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import extract
from sqlmodel import Session, col, select

from backoffice.models import EarnRuleKind, Member, MemberStatus, PointsEntry, PointsKind
from backoffice.models.base import utcnow
from backoffice.services.loyalty import coupons, points, tiers, visit_card_ledger
from backoffice.services.loyalty.earn_rules import fixed_points
from backoffice.settings import get_settings


@dataclass
class NightlyReport:
    birthday_members: int
    expiring_notified: int
    expired_members: int
    expired_points: int
    coupons_expired: int
    tiers_checked: int
    tiers_downgraded: int
    cards_notified: int = 0
    cards_expired: int = 0


def grant_birthday_points(session: Session, today: date, batch: int = 5000) -> int:
    """Birthday rule points plus the tier's birthday bonus, once per member per year."""
    rule_points = fixed_points(session, EarnRuleKind.BIRTHDAY, None)
    bonus = {t.id: t.birthday_bonus_points for t in tiers.list_tiers(session)}
    entry_tier = tiers.list_tiers(session, active_only=True)
    default_bonus = entry_tier[0].birthday_bonus_points if entry_tier else 0
    cause = f"birthday-{today.year}"
    granted, last_id = 0, 0
    while True:
        members = session.exec(
            select(Member.id, Member.tier_id, Member.home_store_id)
            .where(
                extract("month", col(Member.birthday)) == today.month,
                extract("day", col(Member.birthday)) == today.day,
                Member.status == MemberStatus.ACTIVE,
                col(Member.id) > last_id,
            )
            .order_by(col(Member.id))
            .limit(batch)
        ).all()
        if not members:
            return granted
        last_id = members[-1][0] or 0
        done = set(
            session.exec(
                select(PointsEntry.member_id).where(
                    col(PointsEntry.member_id).in_([m[0] for m in members]),
                    PointsEntry.cause_type == "birthday",
                    PointsEntry.cause_id == cause,
                )
            ).all()
        )
        for member_id, tier_id, store_id in members:
            amount = rule_points + bonus.get(tier_id, default_bonus)
            if amount <= 0 or member_id in done:
                continue
            points.credit(
                session,
                member_id or 0,
                amount,
                PointsKind.EARN,
                cause_type="birthday",
                cause_id=cause,
                store_id=store_id,
            )
            granted += 1


def run_nightly(session: Session, now: datetime | None = None) -> NightlyReport:
    """Everything the loyalty programme does at night, in dependency order."""
    now = now or utcnow()
    today = now.astimezone(ZoneInfo(get_settings().default_timezone)).date()
    birthdays = grant_birthday_points(session, today)
    notified = points.notify_expiring_points(session, now)
    expired = points.expire_points(session, now)
    coupons_expired = coupons.expire_coupons(session, now)
    downgrades = tiers.evaluate_downgrades(session, now)
    cards_notified = visit_card_ledger.notify_expiring_cards(session, now)
    cards_expired = visit_card_ledger.expire_cards(session, now)
    return NightlyReport(
        birthdays,
        notified,
        expired.members,
        expired.points,
        coupons_expired,
        downgrades.checked,
        downgrades.downgraded,
        cards_notified,
        cards_expired,
    )

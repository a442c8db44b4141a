"""The organisation's loyalty policy (one row): expiry, points-as-cash, stored value."""

from __future__ import annotations

from pydantic import BaseModel
from sqlmodel import Session

from backoffice.errors import ValidationFailed
from backoffice.models import LoyaltySettings
from backoffice.models.base import utcnow
from backoffice.services.org import audit
from backoffice.services.org.access import Actor, require


class LoyaltySettingsInput(BaseModel):
    points_expiry_months: int = 12
    expiring_notice_days: int = 30
    points_per_yuan_cash: int = 100
    max_points_share_bp: int = 5000
    bonus_spent_first: bool = False
    low_balance_cents: int = 5000


def current_settings(session: Session) -> LoyaltySettings:
    """The policy row, created with defaults on first use."""
    row = session.get(LoyaltySettings, 1)
    if row is None:
        row = LoyaltySettings(id=1)
        session.add(row)
        session.flush()
    return row


def read_settings(session: Session, actor: Actor) -> LoyaltySettings:
    require(actor, "loyalty.read") if not actor.can("loyalty.manage") else None
    return current_settings(session)


def update_settings(session: Session, actor: Actor, data: LoyaltySettingsInput) -> LoyaltySettings:
    require(actor, "loyalty.manage")
    errors: dict[str, str] = {}
    if not 1 <= data.points_expiry_months <= 120:
        errors["points_expiry_months"] = "error.range_1_120"
    if not 0 <= data.expiring_notice_days <= 365:
        errors["expiring_notice_days"] = "error.range_0_365"
    if not 1 <= data.points_per_yuan_cash <= 100000:
        errors["points_per_yuan_cash"] = "error.positive"
    if not 0 <= data.max_points_share_bp <= 10000:
        errors["max_points_share_bp"] = "error.percent"
    if data.low_balance_cents < 0:
        errors["low_balance_cents"] = "error.not_negative"
    if errors:
        raise ValidationFailed(errors)
    row = current_settings(session)
    before = row.model_dump()
    for key, value in data.model_dump().items():
        setattr(row, key, value)
    row.updated_at = utcnow()
    session.add(row)
    changes = audit.diff({k: before[k] for k in data.model_dump()}, data.model_dump())
    if changes:
        audit.record(session, actor, "loyalty.settings", target_type="loyalty", changes=changes)
    return row

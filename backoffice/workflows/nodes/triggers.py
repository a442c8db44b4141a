"""Trigger nodes: the domain events and the times that start a run."""

from __future__ import annotations

from typing import Any, Literal

from croniter import croniter
from pydantic import BaseModel, Field
from sqlmodel import Session

from backoffice.models import (
    Segment,
)
from backoffice.workflows.nodes.base import Empty, NodeType, register

# ---- triggers ---------------------------------------------------------------------------


class _EventTrigger(NodeType):
    category = "trigger"
    Config = Empty


@register
class MemberCreated(_EventTrigger):
    type, label, help = "trigger.member_created", "node.member_created", "node.member_created.help"
    events = ("member.created",)


class SaleConfig(BaseModel):
    # Whole yuan, as a manager types it ("消费满 300 元"); 0: every sale.
    min_amount_yuan: int = Field(default=0, ge=0, le=1_000_000)


@register
class SaleRecorded(NodeType):
    """A sale starts a run; with a minimum amount, only a sale paying at least that much."""

    type, category = "trigger.sale_recorded", "trigger"
    label, help = "node.sale_recorded", "node.sale_recorded.help"
    Config = SaleConfig
    events = ("sale.recorded",)

    def summary(self, config: SaleConfig, t: Any) -> str:
        if not config.min_amount_yuan:
            return t(self.label)
        return t("summary.sale_min", amount=config.min_amount_yuan)

    def matches_event(self, config: SaleConfig, payload: dict[str, Any]) -> bool:
        paid = payload.get("due_cents")
        if not config.min_amount_yuan:
            return True
        return isinstance(paid, int) and paid >= config.min_amount_yuan * 100


class TierChangedConfig(BaseModel):
    direction: Literal["any", "up", "down"] = "up"


@register
class TierChanged(NodeType):
    type, category = "trigger.tier_changed", "trigger"
    label, help = "node.tier_changed", "node.tier_changed.help"
    Config = TierChangedConfig
    events = ("tier.changed",)

    def matches_event(self, config: TierChangedConfig, payload: dict[str, Any]) -> bool:
        return config.direction == "any" or payload.get("direction") == config.direction


@register
class PointsExpiring(_EventTrigger):
    type, label, help = (
        "trigger.points_expiring",
        "node.points_expiring",
        "node.points_expiring.help",
    )
    events = ("points.expiring",)


@register
class WalletLow(_EventTrigger):
    type, label, help = "trigger.wallet_low", "node.wallet_low", "node.wallet_low.help"
    events = ("wallet.low_balance",)


class CustomFieldConfig(BaseModel):
    key: str = ""


@register
class CustomFieldChanged(NodeType):
    type, category = "trigger.custom_field_changed", "trigger"
    label, help = "node.custom_field_changed", "node.custom_field_changed.help"
    Config = CustomFieldConfig
    events = ("member.updated",)

    def matches_event(self, config: CustomFieldConfig, payload: dict[str, Any]) -> bool:
        return f"custom.{config.key}" in payload.get("fields", [])


class BirthdayConfig(BaseModel):
    days_before: int = Field(default=0, ge=0, le=60)


@register
class Birthday(NodeType):
    """Time-based: found by the scheduler each day, once per member per year."""

    type, category = "trigger.birthday", "trigger"
    label, help = "node.birthday", "node.birthday.help"
    Config = BirthdayConfig

    def summary(self, config: BirthdayConfig, t: Any) -> str:
        if config.days_before:
            return t("node.birthday.before", days=config.days_before)
        return t("node.birthday.on_day")


class DaysConfig(BaseModel):
    days: int = Field(default=60, ge=1, le=3650)


@register
class Anniversary(NodeType):
    type, category = "trigger.anniversary", "trigger"
    label, help = "node.anniversary", "node.anniversary.help"
    Config = Empty


@register
class Inactive(NodeType):
    type, category = "trigger.inactive", "trigger"
    label, help = "node.inactive", "node.inactive.help"
    Config = DaysConfig

    def summary(self, config: DaysConfig, t: Any) -> str:
        return t("node.inactive.summary", days=config.days)


class ScheduleConfig(BaseModel):
    cron: str = "0 10 * * *"
    segment_id: int | None = None


@register
class Schedule(NodeType):
    type, category = "trigger.schedule", "trigger"
    label, help = "node.schedule", "node.schedule.help"
    Config = ScheduleConfig

    def check(self, session: Session, config: ScheduleConfig) -> list[str]:
        out = [] if croniter.is_valid(config.cron) else ["error.cron"]
        if config.segment_id is not None and session.get(Segment, config.segment_id) is None:
            out.append("error.segment_unknown")
        return out


class ManualConfig(BaseModel):
    segment_id: int | None = None


@register
class Manual(NodeType):
    type, category = "trigger.manual", "trigger"
    label, help = "node.manual", "node.manual.help"
    Config = ManualConfig

    def check(self, session: Session, config: ManualConfig) -> list[str]:
        if config.segment_id is not None and session.get(Segment, config.segment_id) is None:
            return ["error.segment_unknown"]
        return []


@register
class CardLow(_EventTrigger):
    """A visit card is down to its last visits (the threshold is a loyalty setting)."""

    type, label, help = "trigger.card_low", "node.card_low", "node.card_low.help"
    events = ("card.low_remaining",)


@register
class CardExpiring(_EventTrigger):
    """A visit card's last valid day is N days away (found by the nightly job)."""

    type, label, help = "trigger.card_expiring", "node.card_expiring", "node.card_expiring.help"
    events = ("card.expiring",)

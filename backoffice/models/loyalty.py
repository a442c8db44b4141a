"""Tiers, loyalty settings, points (account, ledger with FIFO lots) and the redemption catalog."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from backoffice.models.base import utcnow


class TierMetric(StrEnum):
    SPEND = "spend"  # money paid (cents) in the window
    VISITS = "visits"  # sales in the window
    POINTS = "points"  # points earned in the window


class Tier(SQLModel, table=True):
    """A membership level. rank 0 is the entry tier every member starts in."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    name: str = Field(max_length=60)
    rank: int = Field(default=0, index=True)
    metric: TierMetric = Field(default=TierMetric.SPEND, max_length=10)
    threshold: int = 0  # cents, visits or points needed within window_days
    window_days: int = 365
    retain_threshold: int = 0  # below this within window_days the member moves down
    discount_bp: int = 0  # basis points off the bill: 500 = 5 %
    points_multiplier_pct: int = 100  # 150 = 1.5× points
    birthday_bonus_points: int = 0
    perks: str = Field(default="", max_length=1000)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)


class LoyaltySettings(SQLModel, table=True):
    """Organisation-wide loyalty policy (one row, id 1)."""

    id: int = Field(default=1, primary_key=True)
    points_expiry_months: int = 12  # points expire at the end of the Nth month after earning
    expiring_notice_days: int = 30  # `points.expiring` this many days before
    points_per_yuan_cash: int = 100  # points worth ¥1 when paying with points
    max_points_share_bp: int = 5000  # points may pay at most this share of a bill
    bonus_spent_first: bool = False  # stored value: spend bonus before principal?
    low_balance_cents: int = 5000  # `wallet.low_balance` below this
    card_refund_fee_bp: int = 1000  # 退卡: this share of the unused value is kept as a fee
    card_low_visits: int = 1  # `card.low_remaining` when this many visits or fewer are left
    card_expiring_notice_days: int = 7  # `card.expiring` this many days before
    updated_at: datetime = Field(default_factory=utcnow)


class EarnRuleKind(StrEnum):
    SPEND = "spend"  # points per amount paid
    CATEGORY = "category"  # extra points per amount paid on items of a category
    SIGNUP = "signup"  # fixed points when a member joins
    BIRTHDAY = "birthday"  # fixed points on the birthday
    REFERRAL = "referral"  # fixed points to the referrer


class EarnRule(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    kind: EarnRuleKind = Field(max_length=12)
    points: int = 1  # points given (fixed kinds) or per `per_cents` paid
    per_cents: int = 100  # spend/category: `points` per this many cents paid
    category: str = Field(default="", max_length=60)
    store_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)


class PointsAccount(SQLModel, table=True):
    """A member's points balance, changed only by conditional updates beside a ledger entry."""

    member_id: int = Field(foreign_key="member.id", primary_key=True)
    balance: int = 0


class PointsKind(StrEnum):
    EARN = "earn"
    SPEND = "spend"  # points used as cash at checkout
    REDEEM = "redeem"  # catalog item
    EXPIRE = "expire"
    ADJUST = "adjust"
    REFUND = "refund"  # points returned / taken back by a refund


class PointsEntry(SQLModel, table=True):
    """Append-only points ledger. Positive entries are lots consumed first-in-first-out."""

    __table_args__ = (
        Index("ix_points_member_id", "member_id", "id"),
        Index("ix_points_open_lots", "expires_at", "remaining"),
        # One entry per workflow step: bulk grants insert with ON CONFLICT DO NOTHING.
        Index(
            "ux_points_workflow_cause",
            "cause_type",
            "cause_id",
            unique=True,
            sqlite_where=text("cause_type = 'workflow'"),
            postgresql_where=text("cause_type = 'workflow'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id")
    store_id: int | None = None
    kind: PointsKind = Field(max_length=10)
    delta: int
    balance_after: int
    cause_type: str = Field(default="", max_length=20)  # sale, rule, workflow, staff, catalog
    cause_id: str = Field(default="", max_length=60)
    note: str = Field(default="", max_length=300)
    expires_at: datetime | None = None  # lots only
    remaining: int = 0  # lots only: not yet spent or expired
    notified_expiring: bool = False
    actor_id: int | None = None
    created_at: datetime = Field(default_factory=utcnow, index=True)


class CatalogItem(SQLModel, table=True):
    """积分商城: an item members can take for points."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    description: str = Field(default="", max_length=500)
    points_price: int
    stock: int = 0
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)


class Redemption(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("request_id", name="uq_redemption_request"),)

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="catalogitem.id", index=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    store_id: int | None = None
    points: int
    request_id: str | None = Field(default=None, max_length=64)
    actor_id: int | None = None
    created_at: datetime = Field(default_factory=utcnow)

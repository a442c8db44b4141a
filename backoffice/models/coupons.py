"""Coupon templates (优惠券) and the coupons issued from them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from backoffice.models.base import utcnow


class CouponKind(StrEnum):
    AMOUNT_OFF = "amount_off"  # 满减: amount off when the bill reaches the threshold
    PERCENT_OFF = "percent_off"
    FREE_ITEM = "free_item"


class CouponTemplate(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    kind: CouponKind = Field(max_length=12)
    amount_off_cents: int = 0
    threshold_cents: int = 0
    percent_off_bp: int = 0  # 2000 = 20 % off
    free_item: str = Field(default="", max_length=100)
    valid_days: int = 30  # from issue, unless valid_to is set
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    per_member_limit: int = 1  # unused coupons a member may hold at once (0 = no limit)
    store_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    stackable: bool = False  # may combine with the tier discount
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)


class CouponStatus(StrEnum):
    ISSUED = "issued"
    USED = "used"
    EXPIRED = "expired"
    VOID = "void"


class Coupon(SQLModel, table=True):
    __table_args__ = (Index("ix_coupon_member_status", "member_id", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=20, unique=True)
    template_id: int = Field(foreign_key="coupontemplate.id", index=True)
    member_id: int = Field(foreign_key="member.id")
    status: CouponStatus = Field(default=CouponStatus.ISSUED, max_length=10)
    valid_from: datetime
    valid_to: datetime = Field(index=True)
    issued_at: datetime = Field(default_factory=utcnow)
    source: str = Field(default="staff", max_length=40)  # staff, bulk, workflow:<run>
    used_at: datetime | None = None
    used_sale_id: int | None = None
    actor_id: int | None = None

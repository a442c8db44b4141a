"""Sales (消费记录) with everything the checkout applied, and their refunds."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from backoffice.models.base import utcnow


class SaleStatus(StrEnum):
    COMPLETED = "completed"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"


class Sale(SQLModel, table=True):
    __table_args__ = (
        Index("ix_sale_member_created", "member_id", "created_at"),
        Index("ix_sale_store_created", "store_id", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id")
    store_id: int = Field(foreign_key="store.id")
    staff_id: int | None = None
    items: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    gross_cents: int
    tier_discount_cents: int = 0
    coupon_discount_cents: int = 0
    coupon_id: int | None = None
    due_cents: int  # after discounts: what points, stored value and cash/card cover
    points_used: int = 0
    points_cash_cents: int = 0
    wallet_principal_cents: int = 0
    wallet_bonus_cents: int = 0
    paid_cents: int = 0  # cash or card
    pay_method: str = Field(default="cash", max_length=10)
    points_earned: int = 0
    refunded_cents: int = 0  # of due_cents
    status: SaleStatus = Field(default=SaleStatus.COMPLETED, max_length=20)
    request_id: str | None = Field(default=None, max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow)


class SaleRefund(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    sale_id: int = Field(foreign_key="sale.id", index=True)
    amount_cents: int  # share of due_cents refunded
    points_restored: int = 0  # points the sale spent, given back
    points_reversed: int = 0  # points the sale earned, taken back
    points_shortfall: int = 0  # earned points already gone, not taken back
    wallet_principal_restored: int = 0
    wallet_bonus_restored: int = 0
    cash_returned_cents: int = 0
    coupon_restored: bool = False
    reason: str = Field(default="", max_length=300)
    request_id: str | None = Field(default=None, max_length=64, unique=True)
    actor_id: int | None = None
    created_at: datetime = Field(default_factory=utcnow)

"""Stored value (储值): principal and bonus kept apart so refunds and liability are exact."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from backoffice.models.base import utcnow


class WalletAccount(SQLModel, table=True):
    member_id: int = Field(foreign_key="member.id", primary_key=True)
    principal: int = 0  # cents the member paid in
    bonus: int = 0  # cents given by top-up rules


class WalletKind(StrEnum):
    TOPUP = "topup"
    PAY = "pay"
    REFUND = "refund"  # a refunded sale puts the money back
    ADJUST = "adjust"


class WalletEntry(SQLModel, table=True):
    __table_args__ = (Index("ix_wallet_member_id", "member_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id")
    store_id: int | None = Field(default=None, index=True)
    kind: WalletKind = Field(max_length=10)
    principal_delta: int = 0
    bonus_delta: int = 0
    principal_after: int = 0
    bonus_after: int = 0
    cause_type: str = Field(default="", max_length=20)
    cause_id: str = Field(default="", max_length=60)
    # Client-supplied idempotency key: the same top-up or payment twice changes nothing twice.
    request_id: str | None = Field(default=None, max_length=64, unique=True)
    note: str = Field(default="", max_length=300)
    actor_id: int | None = None
    created_at: datetime = Field(default_factory=utcnow, index=True)


class TopupRule(SQLModel, table=True):
    """Top up at least `min_cents` and get `bonus_cents` on top (the best matching rule wins)."""

    id: int | None = Field(default=None, primary_key=True)
    min_cents: int
    bonus_cents: int
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)

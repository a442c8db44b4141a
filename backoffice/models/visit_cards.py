"""Visit cards (次卡 / 计次卡): a card product, the cards members hold, and each card's
ledger. Remaining visits live on the card and change only by one conditional update per
ledger entry, so two tills can never both redeem the last visit."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, Column, Index
from sqlmodel import Field, SQLModel

from backoffice.models.base import utcnow


class CardProduct(SQLModel, table=True):
    """What a shop sells: e.g. 「洗剪吹 10 次卡」 ¥880, 10 visits, valid 365 days."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=60, unique=True)
    services: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    visits: int | None = None  # None: unlimited visits within the validity
    price_cents: int
    valid_days: int
    store_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)


class CardStatus(StrEnum):
    ACTIVE = "active"
    USED_UP = "used_up"
    EXPIRED = "expired"
    REFUNDED = "refunded"


class VisitCard(SQLModel, table=True):
    __table_args__ = (
        CheckConstraint("visits_left IS NULL OR visits_left >= 0", name="ck_visitcard_left"),
        Index("ix_visitcard_member", "member_id", "status"),
        Index("ix_visitcard_expiry", "status", "expires_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    card_no: str = Field(max_length=20, unique=True)
    member_id: int = Field(foreign_key="member.id")
    product_id: int = Field(foreign_key="cardproduct.id")
    store_id: int = Field(foreign_key="store.id")  # where it was sold
    name: str = Field(max_length=60)  # the product's name when sold
    services: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    store_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    visits_total: int | None = None
    visits_left: int | None = None
    visits_used: int = 0
    price_cents: int
    pay_method: str = Field(max_length=12)
    status: CardStatus = Field(default=CardStatus.ACTIVE, max_length=10)
    sold_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    expiry_notified: bool = False  # `card.expiring` sent (once per card)
    request_id: str | None = Field(default=None, max_length=64, unique=True)


class CardEntryKind(StrEnum):
    SOLD = "sold"
    REDEEMED = "redeemed"
    EXPIRED = "expired"
    REFUNDED = "refunded"


class VisitCardEntry(SQLModel, table=True):
    """One change to a card: sold (+visits), redeemed (−1), expired or refunded (−what was
    left). For a counted card, Σ visits_delta is always the visits left."""

    __table_args__ = (Index("ix_visitcardentry_card", "card_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    card_id: int = Field(foreign_key="visitcard.id")
    member_id: int = Field(foreign_key="member.id")
    kind: CardEntryKind = Field(max_length=10)
    visits_delta: int = 0
    visits_left: int | None = None  # after this entry
    service: str = Field(default="", max_length=60)
    store_id: int | None = Field(default=None, index=True)
    amount_cents: int = 0  # paid (sold) or paid back (refunded)
    actor_id: int | None = None
    request_id: str | None = Field(default=None, max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, index=True)

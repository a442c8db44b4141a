"""Message templates, the outbox of rendered messages, and per-channel consent."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from backoffice.models.base import utcnow


class Channel(StrEnum):
    OUTBOX = "outbox"  # stored only: the product works with no provider
    SMS = "sms"
    EMAIL = "email"


class MessageTemplate(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    channel: Channel = Field(default=Channel.OUTBOX, max_length=10)
    subject: str = Field(default="", max_length=200)
    body: str = Field(max_length=2000)
    marketing: bool = True  # counts toward the frequency cap and needs consent
    created_by: int | None = None
    created_at: datetime = Field(default_factory=utcnow)


class MessageStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"  # claimed by a delivery job until lease_until
    SENT = "sent"
    FAILED = "failed"
    BLOCKED = "blocked"  # banned words
    SKIPPED = "skipped"  # no consent, frequency cap


class OutboxMessage(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("idempotency_key", name="uq_outbox_key"),
        Index("ix_outbox_member_created", "member_id", "created_at"),
        Index("ix_outbox_status_due", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id")
    channel: Channel = Field(max_length=10)
    template_id: int | None = None
    subject: str = Field(default="", max_length=200)
    body: str = Field(max_length=4000)
    to: str = Field(default="", max_length=200)
    marketing: bool = True
    status: MessageStatus = Field(default=MessageStatus.QUEUED, max_length=10)
    error: str = Field(default="", max_length=1000)
    attempts: int = 0
    run_id: int | None = Field(default=None, index=True)
    node_id: str = Field(default="", max_length=40)
    idempotency_key: str = Field(max_length=80)
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None
    # Delivery: when a retry is due, and the claim of the job sending it (status SENDING).
    next_attempt_at: datetime | None = None
    lease_until: datetime | None = None
    claim_token: str = Field(default="", max_length=32)


class MemberConsent(SQLModel, table=True):
    """Marketing consent per member per channel (opt-out is respected before any send)."""

    member_id: int = Field(foreign_key="member.id", primary_key=True)
    channel: Channel = Field(primary_key=True, max_length=10)
    granted: bool = True
    updated_at: datetime = Field(default_factory=utcnow)

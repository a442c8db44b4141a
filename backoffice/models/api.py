"""REST API keys, the idempotency records of their writes, and outgoing webhooks."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from backoffice.models.base import utcnow


class ApiKey(SQLModel, table=True):
    """A machine client (POS, mini-program). Only the SHA-256 of the secret is stored: the
    secret is 32 random bytes, so a fast hash is enough (no dictionary to guess from)."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    prefix: str = Field(max_length=16, unique=True, index=True)  # shown in lists and audit
    secret_hash: str = Field(max_length=64, unique=True, index=True)
    permissions: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # None: every store (only an HQ creator can give that). Otherwise the ids in scope.
    store_ids: list[int] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    rate_per_minute: int = 0  # 0: the API_RATE_PER_MINUTE default
    created_by: int = Field(foreign_key="staff.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    revoked_at: datetime | None = None
    revoked_by: int | None = None
    last_used_at: datetime | None = None


class IdempotencyRecord(SQLModel, table=True):
    """The first answer to a write sent with an Idempotency-Key. Inserted (committed) before
    the write runs, so a concurrent twin hits the unique constraint and waits for the answer."""

    __table_args__ = (UniqueConstraint("api_key_id", "key", name="uq_idempotency_key"),)

    id: int | None = Field(default=None, primary_key=True)
    api_key_id: int = Field(foreign_key="apikey.id")
    key: str = Field(max_length=100)
    method_path: str = Field(max_length=300)
    request_hash: str = Field(max_length=64)
    status: int = 0  # 0 while the first request is still running
    response: dict[str, Any] | list[Any] | None = Field(
        default=None, sa_column=Column(JSON, nullable=True)
    )
    created_at: datetime = Field(default_factory=utcnow, index=True)


class WebhookSubscription(SQLModel, table=True):
    """Where to POST domain events: the whole organisation (store_id None) or one store."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    url: str = Field(max_length=500)
    events: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # The HMAC key must stay readable to sign: sealed with the server key (backoffice/sealed.py).
    secret: str = Field(max_length=255)
    store_id: int | None = Field(default=None, foreign_key="store.id", index=True)
    active: bool = True
    consecutive_failures: int = 0
    disabled_reason: str = Field(default="", max_length=200)
    created_by: int | None = None
    created_at: datetime = Field(default_factory=utcnow)


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    RETRYING = "retrying"
    FAILED = "failed"


class WebhookDelivery(SQLModel, table=True):
    """One event for one subscription: every attempt updates it; the log shows the last."""

    __table_args__ = (
        UniqueConstraint("subscription_id", "event_id", name="uq_webhook_delivery_event"),
        Index("ix_webhook_delivery_sub_id", "subscription_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    subscription_id: int = Field(foreign_key="webhooksubscription.id")
    event_id: int = Field(foreign_key="domainevent.id")
    event_name: str = Field(max_length=60)
    status: DeliveryStatus = DeliveryStatus.PENDING
    attempts: int = 0
    response_code: int | None = None
    error: str = Field(default="", max_length=500)
    next_attempt_at: datetime | None = Field(default=None, index=True)
    created_at: datetime = Field(default_factory=utcnow)
    delivered_at: datetime | None = None

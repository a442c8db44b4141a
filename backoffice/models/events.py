"""Domain events written in the same transaction as the change (transactional outbox)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from backoffice.models.base import utcnow


class DomainEvent(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=60, index=True)
    member_id: int | None = Field(default=None, index=True)
    store_id: int | None = None
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    dispatched_at: datetime | None = Field(default=None, index=True)

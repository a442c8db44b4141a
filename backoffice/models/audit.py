"""Append-only, hash-chained audit log of every staff action."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from backoffice.models.base import utcnow


class AuditEntry(SQLModel, table=True):
    __table_args__ = (Index("ix_audit_target", "target_type", "target_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor_id: int | None = Field(default=None, index=True)
    actor_name: str = Field(default="", max_length=100)
    role: str = Field(default="", max_length=40, index=True)
    store_id: int | None = Field(default=None, index=True)
    action: str = Field(max_length=60, index=True)
    target_type: str = Field(default="", max_length=40)
    target_id: str = Field(default="", max_length=60)
    changes: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class AuditHead(SQLModel, table=True):
    """One row holding the chain's last hash; locking it serialises appends."""

    id: int = Field(default=1, primary_key=True)
    last_id: int = 0
    last_hash: str = Field(default="0" * 64, max_length=64)

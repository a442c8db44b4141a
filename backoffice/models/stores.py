"""Stores: head office and franchise shops."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from backoffice.models.base import utcnow


class Store(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True, index=True)
    name: str = Field(max_length=100)
    address: str = Field(default="", max_length=300)
    phone: str = Field(default="", max_length=32)
    timezone: str = Field(default="Asia/Shanghai", max_length=64)
    is_hq: bool = False
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)

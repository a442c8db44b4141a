"""Members (会员) and their tags."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from backoffice.models.base import utcnow


class MemberStatus(StrEnum):
    ACTIVE = "active"
    FROZEN = "frozen"
    CANCELLED = "cancelled"


class Gender(StrEnum):
    UNKNOWN = "unknown"
    FEMALE = "female"
    MALE = "male"


class Member(SQLModel, table=True):
    __table_args__ = (
        Index("ix_member_store_id_desc", "home_store_id", "id"),
        Index("ix_member_status_id", "status", "id"),
        Index("ix_member_store_status_id", "home_store_id", "status", "id"),
        # The dashboard's tier split per store reads this index alone.
        Index("ix_member_store_status_tier", "home_store_id", "status", "tier_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    member_no: str = Field(max_length=20, unique=True, index=True)
    name: str = Field(max_length=100, index=True)
    # E.164, unique across the organization; phone_tail (last 4 digits) serves the
    # reception habit of looking a member up by the end of their number.
    phone: str = Field(max_length=20, unique=True, index=True)
    phone_tail: str = Field(max_length=4, index=True)
    gender: Gender = Field(default=Gender.UNKNOWN, max_length=10)
    birthday: date | None = None
    email: str = Field(default="", max_length=200)
    home_store_id: int = Field(foreign_key="store.id")
    joined_at: datetime = Field(default_factory=utcnow, index=True)
    status: MemberStatus = Field(default=MemberStatus.ACTIVE, max_length=12)
    status_reason: str = Field(default="", max_length=300)
    notes: str = Field(default="", max_length=2000)
    custom: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    tier_id: int | None = Field(default=None, foreign_key="tier.id", index=True)
    tier_since: datetime | None = None
    referrer_id: int | None = Field(default=None, foreign_key="member.id")
    created_by: int | None = Field(default=None, foreign_key="staff.id")
    updated_at: datetime = Field(default_factory=utcnow)


class MemberTag(SQLModel, table=True):
    # The tag filter reads (tag, member_id) from this index alone: no row look-ups.
    __table_args__ = (Index("ix_membertag_tag_member", "tag", "member_id"),)

    member_id: int = Field(foreign_key="member.id", primary_key=True)
    tag: str = Field(max_length=40, primary_key=True)

"""Sign-in attempts by address and account, staff and members alike: what the address
throttle and the familiar-address rule of services/org/sign_in_guard read."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from backoffice.models.base import utcnow


class SignInAttempt(SQLModel, table=True):
    __table_args__ = (
        Index("ix_signinattempt_address_at", "address", "at"),
        Index("ix_signinattempt_account", "kind", "account", "address", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=10)  # "staff" or "member"
    account: str = Field(max_length=60)  # the account's id, or the login typed if unknown
    address: str = Field(max_length=64)
    ok: bool = False
    at: datetime = Field(default_factory=utcnow)

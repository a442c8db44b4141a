"""Member self-service: a member's own password, sessions, privacy consent, reset codes and
account deletion requests. Kept apart from the staff tables so a member token can never be
read as a staff session (and the other way round)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from backoffice.models.base import utcnow


class MemberCredential(SQLModel, table=True):
    """The member portal password (argon2) and the lockout counter of one member."""

    member_id: int = Field(foreign_key="member.id", primary_key=True)
    password_hash: str = Field(max_length=300)
    failed_logins: int = 0
    locked_until: datetime | None = None
    password_changed_at: datetime = Field(default_factory=utcnow)
    created_at: datetime = Field(default_factory=utcnow)


class MemberSession(SQLModel, table=True):
    """A member's signed-in phone or browser; only the token's hash is stored."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    remember: bool = False
    revoked_at: datetime | None = None
    ip: str = Field(default="", max_length=64)


class PrivacyConsent(SQLModel, table=True):
    """The member agreed to this version of the privacy policy at this time (append-only)."""

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    policy_version: str = Field(max_length=20)
    consented_at: datetime = Field(default_factory=utcnow)
    ip: str = Field(default="", max_length=64)


class PasswordResetCode(SQLModel, table=True):
    """A one-time code sent through the outbox: hashed, short-lived, a few tries."""

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    code_hash: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    attempts: int = 0
    used_at: datetime | None = None


class DeletionStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"  # HQ cancelled the member (the existing cancel flow)
    WITHDRAWN = "withdrawn"


class DeletionRequest(SQLModel, table=True):
    """A member asked for their account to be deleted; HQ processes it."""

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    reason: str = Field(default="", max_length=300)
    status: DeletionStatus = Field(default=DeletionStatus.PENDING, max_length=12, index=True)
    requested_at: datetime = Field(default_factory=utcnow)
    processed_at: datetime | None = None
    processed_by: int | None = Field(default=None, foreign_key="staff.id")

"""Staff two-factor sign-in: a TOTP secret per person, single-use recovery codes, and the
half-finished sign-in (password checked, code not yet) held on the server."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from backoffice.models.base import utcnow


class StaffTotp(SQLModel, table=True):
    """An authenticator app bound to a staff account. Unconfirmed rows are enrolments in
    progress; only a confirmed one is asked for at sign-in."""

    staff_id: int = Field(foreign_key="staff.id", primary_key=True)
    # The shared secret must be readable to verify codes: sealed with the server key
    # (backoffice/sealed.py), never stored as it is.
    secret: str = Field(max_length=255)
    confirmed_at: datetime | None = None
    # The last 30-second step a code was accepted for: the same code cannot be used twice.
    last_step: int = 0
    created_at: datetime = Field(default_factory=utcnow)


class StaffRecoveryCode(SQLModel, table=True):
    """One of the ten codes shown once at enrolment; stored hashed, each usable once."""

    id: int | None = Field(default=None, primary_key=True)
    staff_id: int = Field(foreign_key="staff.id", index=True)
    code_hash: str = Field(max_length=64)
    used_at: datetime | None = None


class SignInChallenge(SQLModel, table=True):
    """Password accepted, second step pending: the browser holds only a random handle."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    staff_id: int = Field(foreign_key="staff.id", index=True)
    purpose: str = Field(max_length=10)  # "verify" (has TOTP) or "enrol" (role requires it)
    remember: bool = False
    ip: str = Field(default="", max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None

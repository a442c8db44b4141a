"""Staff accounts, roles (named permission sets) and their store assignments."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from backoffice.models.base import utcnow


class Role(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True, index=True)
    name: str = Field(max_length=100)
    # Named permissions from services/org/access.py's catalog.
    permissions: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # True: the role sees every store (HQ). False: only the stores assigned to the person.
    all_stores: bool = False
    # Staff in this role must sign in with an authenticator code as well (HQ sets it).
    require_two_factor: bool = False
    created_at: datetime = Field(default_factory=utcnow)


class Staff(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=60, unique=True, index=True)
    phone: str | None = Field(default=None, max_length=32, unique=True, index=True)
    display_name: str = Field(max_length=100)
    password_hash: str = Field(max_length=300)
    role_id: int = Field(foreign_key="role.id", index=True)
    locale: str = Field(default="zh-CN", max_length=10)
    active: bool = True
    failed_logins: int = 0
    locked_until: datetime | None = None
    password_changed_at: datetime = Field(default_factory=utcnow)
    must_change_password: bool = False
    created_at: datetime = Field(default_factory=utcnow)


class StaffStore(SQLModel, table=True):
    """A person works at a store: the data their store scope is made of."""

    staff_id: int = Field(foreign_key="staff.id", primary_key=True)
    store_id: int = Field(foreign_key="store.id", primary_key=True, index=True)


class StaffSession(SQLModel, table=True):
    """A signed-in browser. The cookie holds a random token; only its hash is stored."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    staff_id: int = Field(foreign_key="staff.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    remember: bool = False
    revoked_at: datetime | None = None
    ip: str = Field(default="", max_length=64)

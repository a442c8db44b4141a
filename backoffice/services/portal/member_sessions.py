"""Member portal sessions: who the signed-in member is, and the token that says so (only
its hash is stored)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session

from backoffice.models import Member, MemberSession
from backoffice.models.base import utcnow
from backoffice.settings import get_settings


@dataclass(frozen=True)
class PortalMember:
    """The signed-in member, re-derived from the session token on every request."""

    member_id: int
    member_no: str
    name: str
    store_id: int

    @property
    def audit_name(self) -> str:
        return f"member:{self.member_no}"


@dataclass
class MemberSignIn:
    token: str
    member: PortalMember
    remember: bool
    max_age_seconds: int


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _portal_member(member: Member) -> PortalMember:
    return PortalMember(
        member_id=member.id or 0,
        member_no=member.member_no,
        name=member.name,
        store_id=member.home_store_id,
    )


def _open_session(
    session: Session, member: Member, remember: bool, ip: str
) -> tuple[str, timedelta]:
    settings = get_settings()
    lifetime = (
        timedelta(days=settings.remember_days)
        if remember
        else timedelta(hours=settings.session_hours)
    )
    token = secrets.token_urlsafe(32)
    session.add(
        MemberSession(
            token_hash=token_hash(token),
            member_id=member.id or 0,
            expires_at=utcnow() + lifetime,
            remember=remember,
            ip=ip[:64],
        )
    )
    return token, lifetime

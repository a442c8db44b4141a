"""A member's failed sign-in: audited, and counted against the address when it is familiar
or against the account otherwise (the rules are services/org/sign_in_guard's)."""

from __future__ import annotations

from typing import NoReturn

from sqlmodel import Session

from backoffice.errors import AuthFailed
from backoffice.models import Member, MemberCredential
from backoffice.models.base import utcnow
from backoffice.services.org import audit, sign_in_guard
from backoffice.settings import get_settings


def failed(
    session: Session, login: str, member: Member | None, reason: str, **extra: object
) -> None:
    audit.record(
        session,
        None,
        "member_portal.sign_in_failed",
        actor_name=f"member:{member.member_no}" if member else login[:60],
        target_type="member" if member else "",
        target_id=member.id if member else "",
        store_id=member.home_store_id if member else None,
        changes={"reason": reason, **extra},
    )


def bad_password(
    session: Session,
    login: str,
    member: Member,
    credential: MemberCredential,
    ip: str,
    familiar: bool,
) -> NoReturn:
    """Count the failure (sign_in_guard: the address if familiar, else the account)."""
    locked, extra = sign_in_guard.count_failure(
        session, "member", credential, ip, familiar, utcnow()
    )
    failed(session, login, member, "bad_password", **extra)
    if locked:
        raise AuthFailed("error.locked", field="login", minutes=get_settings().lockout_minutes)
    raise AuthFailed("error.portal_bad_credentials", field="password")

"""Staff sessions: opening one once every sign-in check passed (password, and the second
factor when there is one) and revoking them. Shared by `auth` and `two_factor`."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session, col, select

from backoffice.models import Staff, StaffSession
from backoffice.models.base import utcnow
from backoffice.services.org import audit
from backoffice.services.org.access import Actor, load_actor
from backoffice.settings import get_settings


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class SignInResult:
    """A session token, or, when `second_step` is set ("verify" or "enrol"), the handle of
    a pending sign-in that still needs an authenticator code (see services/two_factor.py)."""

    token: str
    actor: Actor
    remember: bool
    max_age_seconds: int
    second_step: str = ""


def open_session(
    session: Session, staff: Staff, remember: bool, ip: str, *, method: str = "password"
) -> SignInResult:
    """Every check passed: lift the lockout counter, open a session and audit the sign-in."""
    settings = get_settings()
    staff.failed_logins = 0
    staff.locked_until = None
    session.add(staff)
    token = secrets.token_urlsafe(32)
    lifetime = (
        timedelta(days=settings.remember_days)
        if remember
        else timedelta(hours=settings.session_hours)
    )
    session.add(
        StaffSession(
            token_hash=token_hash(token),
            staff_id=staff.id or 0,
            expires_at=utcnow() + lifetime,
            remember=remember,
            ip=ip[:64],
        )
    )
    actor = load_actor(session, staff)
    changes: dict[str, object] = {"remember": remember}
    if method != "password":
        changes["second_factor"] = method
    audit.record(
        session,
        actor,
        "auth.sign_in",
        target_type="staff",
        target_id=staff.id,
        changes=changes,
    )
    return SignInResult(
        token=token, actor=actor, remember=remember, max_age_seconds=int(lifetime.total_seconds())
    )


def revoke_sessions(session: Session, staff_id: int, keep_token: str | None = None) -> None:
    keep = token_hash(keep_token) if keep_token else None
    rows = session.exec(
        select(StaffSession).where(
            StaffSession.staff_id == staff_id,
            col(StaffSession.revoked_at).is_(None),
        )
    ).all()
    for row in rows:
        if row.token_hash != keep:
            row.revoked_at = utcnow()
            session.add(row)

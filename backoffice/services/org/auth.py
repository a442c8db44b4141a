"""Sign-in, sessions, lockout and passwords for staff."""

from __future__ import annotations

import contextlib
from dataclasses import replace
from typing import NoReturn

from passlib.context import CryptContext
from sqlmodel import Session, or_, select

from backoffice.errors import AuthFailed, ValidationFailed
from backoffice.models import Staff, StaffSession
from backoffice.models.base import utcnow
from backoffice.services.org import audit, sign_in_guard, two_factor
from backoffice.services.org.access import Actor, load_actor
from backoffice.services.org.staff_sessions import (
    SignInResult,
    open_session,
    revoke_sessions,
    token_hash,
)
from backoffice.services.phones import normalize_phone
from backoffice.settings import get_settings

_pwd = CryptContext(
    schemes=["argon2"],
    deprecated="auto",
    argon2__memory_cost=get_settings().argon2_memory_kib,
    argon2__rounds=get_settings().argon2_rounds,
)
# A real hash to verify against when the login is unknown, so timing does not reveal
# which usernames exist.
_DUMMY_HASH = _pwd.hash("not-a-real-password")


def hash_password(password: str) -> str:
    return _pwd.hash(password)


def verify_password(password: str, hashed: str) -> bool:
    try:
        return _pwd.verify(password, hashed)
    except (ValueError, TypeError):
        return False


def check_password_policy(password: str, field: str = "password") -> None:
    """At least N characters with a letter and a digit."""
    settings = get_settings()
    if len(password) < settings.password_min_length:
        raise ValidationFailed({field: "error.password_short"})
    if not any(c.isalpha() for c in password) or not any(c.isdigit() for c in password):
        raise ValidationFailed({field: "error.password_weak"})


def find_staff_by_login(session: Session, login: str) -> Staff | None:
    """A login is a username or a phone number."""
    login = login.strip()
    if not login:
        return None
    conditions = [Staff.username == login]
    digits = "".join(c for c in login if c.isdigit() or c == "+")
    if digits:
        with contextlib.suppress(ValidationFailed):
            conditions.append(Staff.phone == normalize_phone(digits))
    return session.exec(select(Staff).where(or_(*conditions))).first()


def sign_in(
    session: Session, login: str, password: str, remember: bool = False, ip: str = ""
) -> SignInResult:
    """Check the password, apply the lockout rules (sign_in_guard: per address, per account
    from unfamiliar addresses), open a session and audit the attempt.

    Failed attempts are audited and committed by the caller even though this raises,
    so the caller must commit before re-raising (see `attempt_sign_in`).
    """
    sign_in_guard.check_address(session, ip)
    staff = find_staff_by_login(session, login)
    if staff is None:
        verify_password(password, _DUMMY_HASH)
        sign_in_guard.note(session, "staff", login, ip, ok=False)
        audit.record(
            session,
            None,
            "auth.sign_in_failed",
            actor_name=login[:100],
            changes={"reason": "unknown_login"},
        )
        raise AuthFailed("error.bad_credentials", field="password")
    account = str(staff.id)
    wait, familiar = sign_in_guard.locked_minutes(
        session, "staff", account, ip, staff.locked_until, utcnow()
    )
    if wait:
        audit.record(
            session,
            None,
            "auth.sign_in_locked",
            actor_id=staff.id,
            actor_name=staff.username,
            target_type="staff",
            target_id=staff.id,
        )
        raise AuthFailed("error.locked", field="login", minutes=wait)
    if not staff.active:
        verify_password(password, staff.password_hash)
        sign_in_guard.note(session, "staff", account, ip, ok=False)
        audit.record(
            session,
            None,
            "auth.sign_in_failed",
            actor_id=staff.id,
            actor_name=staff.username,
            changes={"reason": "inactive"},
        )
        raise AuthFailed("error.bad_credentials", field="password")
    if not verify_password(password, staff.password_hash):
        _bad_password(session, staff, ip, familiar)
    sign_in_guard.note(session, "staff", account, ip, ok=True)
    step = two_factor.second_step_for(session, staff)
    if step:
        # The failed-attempt counter is kept: wrong codes count toward the same lockout,
        # and a right password must not reset it between guesses.
        return two_factor.open_challenge(session, staff, step, remember, ip)
    return open_session(session, staff, remember, ip)


def _bad_password(session: Session, staff: Staff, ip: str, familiar: bool) -> NoReturn:
    """Count the failure (sign_in_guard: the address if familiar, else the account)."""
    locked, counted = sign_in_guard.count_failure(session, "staff", staff, ip, familiar, utcnow())
    changes: dict[str, object] = {"reason": "bad_password", **counted}
    audit.record(
        session,
        None,
        "auth.sign_in_failed",
        actor_id=staff.id,
        actor_name=staff.username,
        target_type="staff",
        target_id=staff.id,
        changes=changes,
    )
    if locked:
        raise AuthFailed("error.locked", field="login", minutes=get_settings().lockout_minutes)
    raise AuthFailed("error.bad_credentials", field="password")


def attempt_sign_in(
    session: Session, login: str, password: str, remember: bool = False, ip: str = ""
) -> SignInResult:
    """sign_in, committing the audit row and lockout counter even when it fails."""
    try:
        result = sign_in(session, login, password, remember, ip)
    except AuthFailed:
        session.commit()
        raise
    session.commit()
    return result


def actor_for_token(session: Session, token: str | None) -> Actor | None:
    """The Actor behind a session cookie, or None if missing, expired, revoked or the account
    was deactivated. (A lockout stops new sign-ins; sessions already open stay valid.)

    A session whose password must be changed first is a *pending* actor: no permissions and
    no stores, so every service refuses it except changing its own password (which needs
    none). A two-factor sign-in that is not finished has no session row at all."""
    if not token or len(token) > 200:
        return None
    row = session.exec(
        select(StaffSession).where(StaffSession.token_hash == token_hash(token))
    ).first()
    now = utcnow()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    staff = session.get(Staff, row.staff_id)
    if staff is None or not staff.active:
        return None
    actor = load_actor(session, staff)
    if staff.must_change_password:
        return pending_actor(actor)
    return actor


PENDING_PASSWORD = "password"


def pending_actor(actor: Actor) -> Actor:
    """The same person with nothing granted until the pending step is done."""
    return replace(
        actor,
        permissions=frozenset(),
        store_ids=frozenset(),
        extra={**actor.extra, "pending": PENDING_PASSWORD},
    )


def is_pending(actor: Actor) -> bool:
    return bool(actor.extra.get("pending"))


def must_change_password(session: Session, actor: Actor) -> bool:
    """An admin-set or initial password must be replaced before anything else."""
    staff = session.get(Staff, actor.staff_id)
    return bool(staff and staff.must_change_password)


def sign_out(session: Session, token: str | None) -> None:
    if not token:
        return
    row = session.exec(
        select(StaffSession).where(StaffSession.token_hash == token_hash(token))
    ).first()
    if row is None or row.revoked_at is not None:
        return
    row.revoked_at = utcnow()
    session.add(row)
    staff = session.get(Staff, row.staff_id)
    actor = load_actor(session, staff) if staff else None
    audit.record(session, actor, "auth.sign_out", target_type="staff", target_id=row.staff_id)


def change_own_password(
    session: Session, actor: Actor, current: str, new: str, token: str | None = None
) -> None:
    """Staff change their own password; other sessions of theirs are signed out."""
    staff = session.get(Staff, actor.staff_id)
    if staff is None or not verify_password(current, staff.password_hash):
        raise ValidationFailed({"current_password": "error.current_password"})
    check_password_policy(new, field="new_password")
    if current == new:
        raise ValidationFailed({"new_password": "error.password_same"})
    staff.password_hash = hash_password(new)
    staff.password_changed_at = utcnow()
    staff.must_change_password = False
    session.add(staff)
    revoke_sessions(session, staff.id or 0, keep_token=token)
    audit.record(session, actor, "staff.password_changed", target_type="staff", target_id=staff.id)

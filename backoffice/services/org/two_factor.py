"""Staff two-factor sign-in: TOTP (an authenticator app) with ten single-use recovery codes.

Sign-in with a second factor is two steps. The password step (`auth.sign_in`) opens a
`SignInChallenge` instead of a session; the browser keeps only its random handle and the
second step (`complete_sign_in`, or `complete_enrolment` when the role requires a factor
the person has not set up yet) turns it into a session. Wrong codes count toward the same
lockout as wrong passwords.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

import pyotp
from sqlmodel import Session, col, delete, select

from backoffice.errors import AuthFailed, NotFound, PermissionDenied, ValidationFailed
from backoffice.models import Role, SignInChallenge, Staff, StaffRecoveryCode, StaffTotp
from backoffice.models.base import utcnow
from backoffice.sealed import seal, unseal
from backoffice.services.org import audit
from backoffice.services.org.access import Actor, load_actor, require
from backoffice.services.org.authenticator import (
    CHALLENGE_MINUTES,
    _confirmed,
    _hash,
    _issue_recovery_codes,
    _matching_step,
    _use_code,
    provisioning_uri,
    required_for,
)
from backoffice.services.org.authenticator import (
    second_step_for as second_step_for,  # re-exported: auth.sign_in asks which step follows
)
from backoffice.services.org.staff_sessions import SignInResult, open_session, revoke_sessions
from backoffice.settings import get_settings


@dataclass
class TwoFactorStatus:
    enabled: bool
    required: bool
    recovery_left: int


def status(session: Session, actor: Actor) -> TwoFactorStatus:
    staff = session.get(Staff, actor.staff_id)
    if staff is None:
        raise PermissionDenied("error.signed_out")
    left = session.exec(
        select(StaffRecoveryCode).where(
            StaffRecoveryCode.staff_id == staff.id, col(StaffRecoveryCode.used_at).is_(None)
        )
    ).all()
    return TwoFactorStatus(
        enabled=_confirmed(session, staff.id or 0) is not None,
        required=required_for(session, staff),
        recovery_left=len(left),
    )


@dataclass
class Enrolment:
    secret: str
    uri: str  # otpauth://… for the QR code


def _start(session: Session, staff: Staff) -> Enrolment:
    """A fresh unconfirmed secret (a started, abandoned enrolment is replaced)."""
    row = session.get(StaffTotp, staff.id)
    if row is not None and row.confirmed_at is not None:
        raise ValidationFailed({"code": "error.two_factor_already"})
    secret = pyotp.random_base32()
    if row is None:
        row = StaffTotp(staff_id=staff.id or 0, secret=seal(secret))
    row.secret, row.last_step, row.created_at = seal(secret), 0, utcnow()
    session.add(row)
    return Enrolment(secret=secret, uri=provisioning_uri(staff, secret))


def _confirm(session: Session, staff: Staff, code: str) -> list[str] | None:
    row = session.get(StaffTotp, staff.id)
    if row is None or row.confirmed_at is not None:
        return None
    step = _matching_step(unseal(row.secret), code, row.last_step)
    if step is None:
        return None
    row.confirmed_at, row.last_step = utcnow(), step
    session.add(row)
    return _issue_recovery_codes(session, staff.id or 0)


def start_enrolment(session: Session, actor: Actor) -> Enrolment:
    """A new secret to scan. Nothing is stored yet: the page keeps it on the server until
    the first code confirms it (`confirm_enrolment`)."""
    staff = session.get(Staff, actor.staff_id)
    if staff is None or actor.api_key_id is not None:
        raise PermissionDenied("error.signed_out")
    if _confirmed(session, staff.id or 0) is not None:
        raise ValidationFailed({"code": "error.two_factor_already"})
    secret = pyotp.random_base32()
    return Enrolment(secret=secret, uri=provisioning_uri(staff, secret))


def confirm_enrolment(session: Session, actor: Actor, secret: str, code: str) -> list[str]:
    """The first code from the app proves it holds the secret; returns the recovery codes,
    shown once (only their hashes are kept)."""
    staff = session.get(Staff, actor.staff_id)
    if staff is None or actor.api_key_id is not None:
        raise PermissionDenied("error.signed_out")
    if _confirmed(session, staff.id or 0) is not None:
        raise ValidationFailed({"code": "error.two_factor_already"})
    try:
        step = _matching_step(secret, code, 0) if secret else None
    except Exception:  # noqa: BLE001  (a secret that is not base32 is simply not confirmed)
        step = None
    if step is None:
        raise ValidationFailed({"code": "error.two_factor_code"})
    row = session.get(StaffTotp, staff.id) or StaffTotp(staff_id=staff.id or 0, secret="")
    row.secret, row.confirmed_at, row.last_step = seal(secret), utcnow(), step
    session.add(row)
    codes = _issue_recovery_codes(session, staff.id or 0)
    audit.record(session, actor, "auth.two_factor_enabled", target_type="staff", target_id=staff.id)
    return codes


def disable(session: Session, actor: Actor, code: str) -> None:
    """Switch the second factor off with a current code or a recovery code; not allowed
    while the person's role requires it."""
    staff = session.get(Staff, actor.staff_id)
    if staff is None or actor.api_key_id is not None:
        raise PermissionDenied("error.signed_out")
    if _confirmed(session, staff.id or 0) is None:
        raise ValidationFailed({"code": "error.two_factor_off"})
    if required_for(session, staff):
        raise ValidationFailed({"code": "error.two_factor_required"})
    method = _use_code(session, staff.id or 0, code)
    if method is None:
        raise ValidationFailed({"code": "error.two_factor_code"})
    session.exec(delete(StaffRecoveryCode).where(col(StaffRecoveryCode.staff_id) == staff.id))
    session.exec(delete(StaffTotp).where(col(StaffTotp.staff_id) == staff.id))
    audit.record(
        session,
        actor,
        "auth.two_factor_disabled",
        target_type="staff",
        target_id=staff.id,
        changes={"with": method},
    )


def set_role_requirement(session: Session, actor: Actor, role_code: str, required: bool) -> Role:
    """HQ decides which roles must sign in with a second factor."""
    require(actor, "staff.manage")
    if actor.store_ids is not None:
        raise PermissionDenied("error.store_scope")
    role = session.exec(select(Role).where(Role.code == role_code)).first()
    if role is None:
        raise NotFound("error.not_found")
    if role.require_two_factor != required:
        audit.record_update(
            session, actor, role, {"require_two_factor": required}, "roles.two_factor", "role"
        )
        if required:
            _sign_out_without_second_factor(session, actor, role)
    return role


def _sign_out_without_second_factor(session: Session, actor: Actor, role: Role) -> None:
    """A requirement holds from now on, not from each person's next sign-in: the role's staff
    without an authenticator are signed out (they enrol when they sign in again). The HQ
    person who set it keeps the session they are using."""
    confirmed = select(StaffTotp.staff_id).where(col(StaffTotp.confirmed_at).is_not(None))
    staff_ids = session.exec(
        select(Staff.id)
        .where(Staff.role_id == role.id, col(Staff.id).not_in(confirmed))
        .order_by(col(Staff.id))
    ).all()
    ended = [sid for sid in staff_ids if sid is not None and sid != actor.staff_id]
    for staff_id in ended:
        revoke_sessions(session, staff_id)
    if ended:
        audit.record(
            session,
            actor,
            "roles.two_factor_sign_out",
            target_type="role",
            target_id=role.id,
            changes={"staff_ids": ended},
        )


# ---- the second sign-in step ---------------------------------------------------------------


def open_challenge(
    session: Session, staff: Staff, purpose: str, remember: bool, ip: str
) -> SignInResult:
    """Password accepted; a short-lived pending sign-in waits for the code."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        SignInChallenge(
            token_hash=_hash(token),
            staff_id=staff.id or 0,
            purpose=purpose,
            remember=remember,
            ip=ip[:64],
            expires_at=now + timedelta(minutes=CHALLENGE_MINUTES),
        )
    )
    actor = load_actor(session, staff)
    audit.record(
        session,
        actor,
        "auth.password_ok",
        target_type="staff",
        target_id=staff.id,
        changes={"second_step": purpose},
    )
    return SignInResult(
        token=token, actor=actor, remember=remember, max_age_seconds=0, second_step=purpose
    )


def _challenge(session: Session, token: str | None) -> tuple[SignInChallenge, Staff]:
    if not token or len(token) > 200:
        raise AuthFailed("error.two_factor_expired", field="code")
    row = session.exec(
        select(SignInChallenge).where(SignInChallenge.token_hash == _hash(token))
    ).first()
    staff = session.get(Staff, row.staff_id) if row else None
    if row is None or staff is None or row.used_at is not None or row.expires_at <= utcnow():
        raise AuthFailed("error.two_factor_expired", field="code")
    if not staff.active or (staff.locked_until and staff.locked_until > utcnow()):
        row.used_at = utcnow()
        session.add(row)
        raise AuthFailed("error.two_factor_expired", field="code")
    return row, staff


def _wrong_code(session: Session, row: SignInChallenge, staff: Staff) -> AuthFailed:
    """Count a wrong code like a wrong password; at the limit the account locks and the
    pending sign-in ends."""
    settings = get_settings()
    staff.failed_logins += 1
    changes: dict[str, object] = {"reason": "bad_code", "failed_logins": staff.failed_logins}
    locked = staff.failed_logins >= settings.lockout_attempts
    if locked:
        staff.locked_until = utcnow() + timedelta(minutes=settings.lockout_minutes)
        staff.failed_logins = 0
        changes["locked_until"] = staff.locked_until
        row.used_at = utcnow()
        session.add(row)
    session.add(staff)
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
        return AuthFailed("error.locked", field="code", minutes=settings.lockout_minutes)
    return AuthFailed("error.two_factor_code", field="code")


def challenge_purpose(session: Session, token: str | None) -> str:
    """ "verify", "enrol", or "" when the handle is unknown, used or expired."""
    try:
        row, _staff = _challenge(session, token)
    except AuthFailed:
        return ""
    return row.purpose


def complete_sign_in(session: Session, token: str | None, code: str) -> SignInResult:
    """Second step: a current authenticator code or an unused recovery code opens the
    session. The caller commits even when this raises (see `attempt_second_step`)."""
    row, staff = _challenge(session, token)
    if row.purpose != "verify":
        raise AuthFailed("error.two_factor_expired", field="code")
    method = _use_code(session, staff.id or 0, code)
    if method is None:
        raise _wrong_code(session, row, staff)
    row.used_at = utcnow()
    session.add(row)
    return open_session(session, staff, row.remember, row.ip, method=method)


def enrolment_for_challenge(session: Session, token: str | None) -> Enrolment:
    """The role requires a second factor the person has not set up: a new secret to scan."""
    row, staff = _challenge(session, token)
    if row.purpose != "enrol":
        raise AuthFailed("error.two_factor_expired", field="code")
    return _start(session, staff)


def complete_enrolment(
    session: Session, token: str | None, code: str
) -> tuple[SignInResult, list[str]]:
    """Confirm the newly scanned authenticator and open the session; returns the session
    result and the recovery codes to show once."""
    row, staff = _challenge(session, token)
    if row.purpose != "enrol":
        raise AuthFailed("error.two_factor_expired", field="code")
    codes = _confirm(session, staff, code)
    if codes is None:
        raise _wrong_code(session, row, staff)
    row.used_at = utcnow()
    session.add(row)
    actor = load_actor(session, staff)
    audit.record(session, actor, "auth.two_factor_enabled", target_type="staff", target_id=staff.id)
    return open_session(session, staff, row.remember, row.ip, method="totp_enrolled"), codes


def attempt_code(session: Session, token: str | None, code: str) -> SignInResult:
    """complete_sign_in, committing the failed-code bookkeeping (audit row, lockout
    counter) even when the code is wrong."""
    try:
        result = complete_sign_in(session, token, code)
    except AuthFailed:
        session.commit()
        raise
    session.commit()
    return result


def attempt_enrolment(
    session: Session, token: str | None, code: str
) -> tuple[SignInResult, list[str]]:
    """complete_enrolment with the same commit-on-failure rule."""
    try:
        result = complete_enrolment(session, token, code)
    except AuthFailed:
        session.commit()
        raise
    session.commit()
    return result

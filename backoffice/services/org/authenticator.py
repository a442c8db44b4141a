"""Authenticator and recovery codes: matching a TOTP step once, using a code, issuing recovery codes.

The rules under two-factor sign-in (`two_factor`); models and sealing only, no sessions."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

import pyotp
from sqlmodel import Session, col, delete, select

from backoffice.models import Role, Staff, StaffRecoveryCode, StaffTotp
from backoffice.models.base import utcnow
from backoffice.sealed import is_sealed, seal, unseal

ISSUER = "会员管理 Back-office"
RECOVERY_CODES = 10
CHALLENGE_MINUTES = 5
STEP_SECONDS = 30


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _normalise_recovery(code: str) -> str:
    return "".join(c for c in code.lower() if c.isalnum())


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice("abcdefghjkmnpqrstuvwxyz23456789") for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def provisioning_uri(staff: Staff, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=staff.username, issuer_name=ISSUER)


def _confirmed(session: Session, staff_id: int) -> StaffTotp | None:
    row = session.get(StaffTotp, staff_id)
    return row if row is not None and row.confirmed_at is not None else None


def required_for(session: Session, staff: Staff) -> bool:
    role = session.get(Role, staff.role_id)
    return bool(role and role.require_two_factor)


def second_step_for(session: Session, staff: Staff) -> str:
    """ "verify" with a confirmed authenticator, "enrol" when the role requires one the
    person lacks, "" when the password is enough."""
    if _confirmed(session, staff.id or 0) is not None:
        return "verify"
    return "enrol" if required_for(session, staff) else ""


def _matching_step(secret: str, code: str, last_step: int, now: float | None = None) -> int | None:
    """The 30-second step the code belongs to (one step of clock drift either way), if it
    is newer than the last accepted one: a code is never accepted twice."""
    code = code.strip().replace(" ", "")
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = int((now if now is not None else time.time()) // STEP_SECONDS)
    for step in (current - 1, current, current + 1):
        if step > last_step and hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
            return step
    return None


def _use_code(session: Session, staff_id: int, code: str) -> str | None:
    """Accept a TOTP code or an unused recovery code; returns which, or None."""
    row = _confirmed(session, staff_id)
    if row is None:
        return None
    step = _matching_step(unseal(row.secret), code, row.last_step)
    if step is not None:
        row.last_step = step
        if not is_sealed(row.secret):  # stored before sealing existed: seal it now
            row.secret = seal(row.secret)
        session.add(row)
        return "totp"
    wanted = _hash(_normalise_recovery(code))
    recovery = session.exec(
        select(StaffRecoveryCode).where(
            StaffRecoveryCode.staff_id == staff_id,
            StaffRecoveryCode.code_hash == wanted,
            col(StaffRecoveryCode.used_at).is_(None),
        )
    ).first()
    if recovery is None or not _normalise_recovery(code):
        return None
    recovery.used_at = utcnow()
    session.add(recovery)
    return "recovery_code"


def _issue_recovery_codes(session: Session, staff_id: int) -> list[str]:
    session.exec(delete(StaffRecoveryCode).where(col(StaffRecoveryCode.staff_id) == staff_id))
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODES)]
    for code in codes:
        session.add(
            StaffRecoveryCode(staff_id=staff_id, code_hash=_hash(_normalise_recovery(code)))
        )
    return codes


# ---- enrolment from /account -------------------------------------------------------------

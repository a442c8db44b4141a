"""Sign-in limits per address and per account, for staff and members, such that a stranger
cannot keep someone locked out.

A lockout that counts every failure against the account, wherever it comes from, lets anyone
who knows a login (member numbers are sequential, phones are known) lock its owner out with
five requests every fifteen minutes. So, as the large identity providers do ("smart
lockout": familiar versus unfamiliar locations), three rules:

1. **Per address.** Every failure from an address counts, whatever the account (staff or
   member, known or not). SIGNIN_ADDRESS_FAILURES of them within LOCKOUT_MINUTES and the
   address is refused before any password is checked: one machine can neither guess
   many accounts nor lock many out.
2. **Per account, unfamiliar addresses.** LOCKOUT_ATTEMPTS failures from addresses where
   the account never signed in lock the account for LOCKOUT_MINUTES, for those addresses.
3. **Familiar addresses are spared the account lock.** An address where the account
   signed in within SIGNIN_FAMILIAR_DAYS keeps its own count: LOCKOUT_ATTEMPTS failures
   from *it* lock only that address out. The member at home or the clerk at the till
   signs in while a stranger's lock holds elsewhere; on a new device, the password reset
   (its own rate limit) lifts the lock.

An unknown address ("" when the server cannot tell) is never familiar and not throttled as
an address (rule 1 would then throttle everyone behind it), so only rule 2 applies to it.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, delete, func, select

from backoffice.errors import AuthFailed
from backoffice.models import MemberCredential, SignInAttempt, Staff
from backoffice.models.base import utcnow
from backoffice.settings import get_settings


def _window() -> datetime:
    return utcnow() - timedelta(minutes=get_settings().lockout_minutes)


def _failures(session: Session, *conditions: ColumnElement[bool]) -> int:
    stmt = (
        select(func.count())
        .select_from(SignInAttempt)
        .where(col(SignInAttempt.ok).is_(False), SignInAttempt.at >= _window(), *conditions)
    )
    return int(session.exec(stmt).one())


def check_address(session: Session, address: str) -> None:
    """Rule 1: refuse an address that failed too often lately (any account)."""
    if not address:
        return
    settings = get_settings()
    if (
        _failures(session, col(SignInAttempt.address) == address)
        >= settings.signin_address_failures
    ):
        raise AuthFailed("error.address_throttled", field="login", minutes=settings.lockout_minutes)


def is_familiar(session: Session, kind: str, account: str, address: str) -> bool:
    """Rule 3: did this account sign in from this address lately?"""
    if not address:
        return False
    since = utcnow() - timedelta(days=get_settings().signin_familiar_days)
    row = session.exec(
        select(SignInAttempt.id).where(
            SignInAttempt.kind == kind,
            SignInAttempt.account == account,
            SignInAttempt.address == address,
            col(SignInAttempt.ok).is_(True),
            SignInAttempt.at >= since,
        )
    ).first()
    return row is not None


def locked_minutes(
    session: Session,
    kind: str,
    account: str,
    address: str,
    locked_until: datetime | None,
    now: datetime | None = None,
) -> tuple[int, bool]:
    """(minutes the attempt must wait, 0 if none; whether the address is familiar)."""
    settings = get_settings()
    if is_familiar(session, kind, account, address):
        own = _failures(
            session,
            col(SignInAttempt.kind) == kind,
            col(SignInAttempt.account) == account,
            col(SignInAttempt.address) == address,
        )
        return (settings.lockout_minutes if own >= settings.lockout_attempts else 0), True
    now = now or utcnow()
    if locked_until and locked_until > now:
        return max(1, math.ceil((locked_until - now).total_seconds() / 60)), False
    return 0, False


def note(session: Session, kind: str, account: str, address: str, ok: bool) -> None:
    """Record an attempt (the caller commits even when the sign-in fails)."""
    session.add(SignInAttempt(kind=kind, account=account[:60], address=address[:64], ok=ok))
    session.flush()


def count_failure(
    session: Session,
    kind: str,
    holder: Staff | MemberCredential,
    address: str,
    familiar: bool,
    now: datetime,
) -> tuple[bool, dict[str, object]]:
    """A wrong password: counted against the address if it is familiar (rule 3), else on the
    account's counter (rule 2). Returns whether that locked it, and what to audit."""
    settings = get_settings()
    account = str(holder.id if isinstance(holder, Staff) else holder.member_id)
    note(session, kind, account, address, ok=False)
    if familiar:
        locked = locked_minutes(session, kind, account, address, None)[0] > 0
        return locked, {"familiar_address": True}
    holder.failed_logins += 1
    changes: dict[str, object] = {"failed_logins": holder.failed_logins}
    locked = holder.failed_logins >= settings.lockout_attempts
    if locked:
        holder.locked_until = now + timedelta(minutes=settings.lockout_minutes)
        holder.failed_logins = 0
        changes["locked_until"] = holder.locked_until
    session.add(holder)
    return locked, changes


def purge_attempts(session: Session) -> int:
    """Forget attempts older than SIGNIN_FAMILIAR_DAYS: no rule reads them any more (the
    housekeeping job calls this with the session purge)."""
    cutoff = utcnow() - timedelta(days=get_settings().signin_familiar_days)
    result = session.execute(delete(SignInAttempt).where(col(SignInAttempt.at) < cutoff))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]  # a DML result has it

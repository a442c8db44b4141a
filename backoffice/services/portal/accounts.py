"""Member self-service: sign-up, sign-in, password reset and the member's own sessions.

A member is not staff: they get no Actor with permissions. Every self-service use case
takes a `PortalMember`, which is only ever built from a member session token checked
against the database (`member_for_token`), and touches that member's rows and nothing
else. What the member sees and does is in `services/portal/self_service.py`.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import secrets
from datetime import timedelta

from pydantic import BaseModel
from sqlmodel import Session, col, or_, select

from backoffice.errors import AuthFailed, ValidationFailed
from backoffice.i18n import t
from backoffice.models import (
    Channel,
    Member,
    MemberCredential,
    MemberSession,
    MemberStatus,
    MessageStatus,
    OutboxMessage,
    PasswordResetCode,
    PrivacyConsent,
)
from backoffice.models.base import utcnow
from backoffice.services.loyalty.enrolment import enrol_member
from backoffice.services.members.profiles import MemberInput, find_referrer
from backoffice.services.org import audit, sign_in_guard
from backoffice.services.org.auth import check_password_policy, hash_password, verify_password
from backoffice.services.phones import normalize_phone
from backoffice.services.portal import lockout
from backoffice.services.portal.member_sessions import (
    MemberSignIn,
    PortalMember,
    _open_session,
    _portal_member,
    token_hash,
)
from backoffice.services.portal.signup_store import _signup_actor, signup_store
from backoffice.settings import get_settings

# Verified against when the phone is unknown, so timing does not reveal who is a member.
_DUMMY_HASH = hash_password("not-a-real-password-1")


class SignUpInput(BaseModel):
    phone: str = ""
    name: str = ""
    password: str = ""
    consent: bool = False  # the privacy policy box; never ticked for the member
    referrer_ref: str = ""  # a member number or phone of an existing member


def sign_up(session: Session, data: SignUpInput, ip: str = "") -> MemberSignIn:
    """Register a new member with a portal password; consent to the privacy policy is
    required and recorded with its version and time."""
    errors: dict[str, str] = {}
    phone = ""
    try:
        phone = normalize_phone(data.phone)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if not data.name.strip():
        errors["name"] = "error.required"
    try:
        check_password_policy(data.password)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if data.consent is not True:
        errors["consent"] = "error.privacy_consent_required"
    referrer = None
    try:
        referrer = find_referrer(session, data.referrer_ref)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if phone and not errors:
        existing = session.exec(select(Member).where(Member.phone == phone)).first()
        if existing is not None:
            # A member registered at the counter proves the phone is theirs through a reset
            # code sent to it; taking over a number without that would leak their account.
            has_password = session.get(MemberCredential, existing.id) is not None
            errors["phone"] = "error.portal_registered" if has_password else "error.portal_claim"
    if errors:
        raise ValidationFailed(errors)
    store_id = signup_store(session, referrer)
    member = enrol_member(
        session,
        _signup_actor(store_id),
        MemberInput(
            name=data.name,
            phone=data.phone,
            home_store_id=store_id,
            referrer_ref=data.referrer_ref,
        ),
        source="member_portal",
    )
    version = get_settings().privacy_policy_version
    session.add(
        MemberCredential(member_id=member.id or 0, password_hash=hash_password(data.password))
    )
    session.add(PrivacyConsent(member_id=member.id or 0, policy_version=version, ip=ip[:64]))
    token, lifetime = _open_session(session, member, False, ip)
    me = _portal_member(member)
    audit.record(
        session,
        None,
        "member_portal.sign_up",
        actor_name=me.audit_name,
        target_type="member",
        target_id=member.id,
        store_id=member.home_store_id,
        changes={"privacy_policy": version, "referrer": referrer.member_no if referrer else ""},
    )
    return MemberSignIn(token, me, False, int(lifetime.total_seconds()))


def find_member_by_login(session: Session, login: str) -> Member | None:
    """A member signs in with their phone number (their card number works as well)."""
    login = login.strip()
    if not login:
        return None
    conditions = [Member.member_no == login.upper()]
    with contextlib.suppress(ValidationFailed):
        conditions.append(Member.phone == normalize_phone(login))
    return session.exec(select(Member).where(or_(*conditions))).first()


def sign_in(
    session: Session, login: str, password: str, remember: bool = False, ip: str = ""
) -> MemberSignIn:
    """Check the password under the staff rules (services/org/sign_in_guard: per address,
    and 5 wrong from unfamiliar addresses lock for 15 minutes, so a stranger cannot lock a
    member out of the addresses they use). The caller commits even when this raises (see
    `attempt_sign_in`), so failures are counted."""
    sign_in_guard.check_address(session, ip)
    member = find_member_by_login(session, login)
    credential = session.get(MemberCredential, member.id) if member is not None else None
    if member is None or credential is None or member.status == MemberStatus.CANCELLED:
        verify_password(password, _DUMMY_HASH)
        sign_in_guard.note(session, "member", login, ip, ok=False)
        lockout.failed(session, login, member, "unknown_login")
        raise AuthFailed("error.portal_bad_credentials", field="password")
    account = str(member.id)
    wait, familiar = sign_in_guard.locked_minutes(
        session, "member", account, ip, credential.locked_until, utcnow()
    )
    if wait:
        lockout.failed(session, login, member, "locked")
        raise AuthFailed("error.locked", field="login", minutes=wait)
    if not verify_password(password, credential.password_hash):
        lockout.bad_password(session, login, member, credential, ip, familiar)
    sign_in_guard.note(session, "member", account, ip, ok=True)
    credential.failed_logins = 0
    credential.locked_until = None
    session.add(credential)
    token, lifetime = _open_session(session, member, remember, ip)
    me = _portal_member(member)
    audit.record(
        session,
        None,
        "member_portal.sign_in",
        actor_name=me.audit_name,
        target_type="member",
        target_id=member.id,
        store_id=member.home_store_id,
        changes={"remember": remember},
    )
    return MemberSignIn(token, me, remember, int(lifetime.total_seconds()))


def attempt_sign_in(
    session: Session, login: str, password: str, remember: bool = False, ip: str = ""
) -> MemberSignIn:
    """sign_in, committing the audit row and the lockout counter even when it fails."""
    try:
        result = sign_in(session, login, password, remember, ip)
    except AuthFailed:
        session.commit()
        raise
    session.commit()
    return result


def member_for_token(session: Session, token: str | None) -> PortalMember | None:
    """The member behind a member-portal cookie; None if missing, expired, revoked or the
    member was cancelled. Staff tokens live in another table and never match here."""
    if not token or len(token) > 200:
        return None
    row = session.exec(
        select(MemberSession).where(MemberSession.token_hash == token_hash(token))
    ).first()
    if row is None or row.revoked_at is not None or row.expires_at <= utcnow():
        return None
    member = session.get(Member, row.member_id)
    if member is None or member.status == MemberStatus.CANCELLED:
        return None
    return _portal_member(member)


def sign_out(session: Session, token: str | None) -> None:
    if not token:
        return
    row = session.exec(
        select(MemberSession).where(MemberSession.token_hash == token_hash(token))
    ).first()
    if row is None or row.revoked_at is not None:
        return
    row.revoked_at = utcnow()
    session.add(row)
    member = session.get(Member, row.member_id)
    audit.record(
        session,
        None,
        "member_portal.sign_out",
        actor_name=f"member:{member.member_no}" if member else "",
        target_type="member",
        target_id=row.member_id,
    )


def revoke_member_sessions(session: Session, member_id: int, keep_token: str | None = None) -> None:
    keep = token_hash(keep_token) if keep_token else None
    for row in session.exec(
        select(MemberSession).where(
            MemberSession.member_id == member_id,
            col(MemberSession.revoked_at).is_(None),
        )
    ).all():
        if row.token_hash != keep:
            row.revoked_at = utcnow()
            session.add(row)


# ---- password reset by a one-time code sent through the outbox ---------------------------


def _code_hash(member_id: int, code: str) -> str:
    return hashlib.sha256(f"{member_id}:{code}".encode()).hexdigest()


def request_reset(session: Session, login: str, lang: str = "zh-CN") -> None:
    """Send a 6-digit code to the member's phone. An unknown number gets the same answer
    (nothing is sent), so the page does not reveal who is a member. A member registered at
    the counter uses this to set their first portal password."""
    settings = get_settings()
    member = find_member_by_login(session, login)
    if member is None or member.status == MemberStatus.CANCELLED:
        return
    now = utcnow()
    recent = session.exec(
        select(PasswordResetCode).where(
            PasswordResetCode.member_id == member.id,
            col(PasswordResetCode.used_at).is_(None),
            PasswordResetCode.created_at > now - timedelta(seconds=60),
        )
    ).first()
    if recent is not None:
        return  # one code a minute: pressing "send" twice must not flood the phone
    for old in session.exec(
        select(PasswordResetCode).where(
            PasswordResetCode.member_id == member.id, col(PasswordResetCode.used_at).is_(None)
        )
    ).all():
        old.used_at = now  # only the newest code works
        session.add(old)
    code = f"{secrets.randbelow(1_000_000):06d}"
    row = PasswordResetCode(
        member_id=member.id or 0,
        code_hash=_code_hash(member.id or 0, code),
        created_at=now,
        expires_at=now + timedelta(minutes=settings.reset_code_minutes),
    )
    session.add(row)
    session.flush()
    sms = bool(settings.sms_gateway_url)
    session.add(
        OutboxMessage(
            member_id=member.id or 0,
            channel=Channel.SMS if sms else Channel.OUTBOX,
            body=t(lang, "portal.reset_sms", code=code, minutes=settings.reset_code_minutes),
            to=member.phone,
            marketing=False,
            status=MessageStatus.QUEUED if sms else MessageStatus.SENT,
            idempotency_key=f"portal-reset:{row.id}",
            sent_at=None if sms else now,
        )
    )
    audit.record(
        session,
        None,
        "member_portal.reset_requested",
        actor_name=f"member:{member.member_no}",
        target_type="member",
        target_id=member.id,
        store_id=member.home_store_id,
    )


def reset_password(session: Session, login: str, code: str, new_password: str) -> None:
    """Set a new password with the code: 10 minutes, 5 tries, then a new code is needed.
    Other sessions of the member are signed out and the lockout is lifted."""
    settings = get_settings()
    check_password_policy(new_password, field="new_password")
    member = find_member_by_login(session, login)
    row = None
    if member is not None:
        row = session.exec(
            select(PasswordResetCode)
            .where(
                PasswordResetCode.member_id == member.id,
                col(PasswordResetCode.used_at).is_(None),
            )
            .order_by(col(PasswordResetCode.id).desc())
        ).first()
    now = utcnow()
    if member is None or row is None or row.expires_at <= now:
        raise ValidationFailed({"code": "error.reset_code_expired"})
    row.attempts += 1
    session.add(row)
    if not hmac.compare_digest(row.code_hash, _code_hash(member.id or 0, code.strip())):
        if row.attempts >= settings.reset_code_tries:
            row.used_at = now
            raise ValidationFailed({"code": "error.reset_code_tries"})
        raise ValidationFailed({"code": "error.reset_code_wrong"})
    row.used_at = now
    credential = session.get(MemberCredential, member.id)
    if credential is None:
        credential = MemberCredential(member_id=member.id or 0, password_hash="")
    credential.password_hash = hash_password(new_password)
    credential.password_changed_at = now
    credential.failed_logins = 0
    credential.locked_until = None
    session.add(credential)
    revoke_member_sessions(session, member.id or 0)
    audit.record(
        session,
        None,
        "member_portal.password_reset",
        actor_name=f"member:{member.member_no}",
        target_type="member",
        target_id=member.id,
        store_id=member.home_store_id,
    )


def attempt_reset(session: Session, login: str, code: str, new_password: str) -> None:
    """reset_password, keeping the try counter even when the code is wrong."""
    try:
        reset_password(session, login, code, new_password)
    except ValidationFailed:
        session.commit()
        raise
    session.commit()


def set_portal_password(session: Session, member_id: int, password: str) -> None:
    """Give a member a portal password without a code (demo data and tests only)."""
    check_password_policy(password)
    credential = session.get(MemberCredential, member_id) or MemberCredential(
        member_id=member_id, password_hash=""
    )
    credential.password_hash = hash_password(password)
    session.add(credential)

"""Finding the member at the counter: cross-store service without widening anyone's scope.

A member may buy, top up and redeem at any store of the chain. A clerk finds the members of
their own stores by phone, member number or scanned card. A member of another store is
served only when presented in person: the full phone number plus the code of the member's
card (the QR code or its six digits from the portal, see counter_codes). Each such
look-up, granted or refused, is an audit row, and those rows are the rate limit: a clerk
gets COUNTER_PRESENTATIONS_PER_HOUR of them, so walking the sequential member numbers or
a phone list is slow, visible and stopped. A granted presentation is a pass: for
COUNTER_PASS_MINUTES the same clerk (or API key) may serve that member by number or id.
"""

from __future__ import annotations

import contextlib
from datetime import timedelta

from sqlalchemy import ColumnElement
from sqlmodel import Session, and_, col, func, or_, select

from backoffice.errors import NotFound, RateLimited, ValidationFailed
from backoffice.models import AuditEntry, Member, MemberStatus
from backoffice.models.base import utcnow
from backoffice.services.members.counter_codes import code_matches, split_card
from backoffice.services.org import audit
from backoffice.services.org.access import Actor, require
from backoffice.services.phones import normalize_phone
from backoffice.settings import get_settings

# Serving a member at the counter: checkout, top-up or catalog redemption.
COUNTER_PERMISSIONS = ("sales.create", "wallet.topup", "points.redeem")
GRANTED = "counter.presented"
REFUSED = "counter.presentation_refused"


def _require_counter(actor: Actor) -> None:
    if not any(actor.can(p) for p in COUNTER_PERMISSIONS):
        require(actor, "sales.create")  # raises the usual "not allowed"


def _match(session: Session, ref: str) -> Member | None:
    """Exact member number, phone or scanned card (its member number part)."""
    card = split_card(ref)
    conditions = [Member.member_no == (card[0] if card else ref.upper())]
    if card is None:
        with contextlib.suppress(ValidationFailed):
            conditions.append(Member.phone == normalize_phone(ref, field="member_ref"))
    return session.exec(select(Member).where(or_(*conditions))).first()


def _mine(actor: Actor) -> ColumnElement[bool]:
    """Audit rows written by this clerk or this API key (a key is not its creator)."""
    return and_(AuditEntry.actor_id == actor.staff_id, AuditEntry.actor_name == actor.username)


def holds_pass(session: Session, actor: Actor, member_id: int) -> bool:
    """Was this member presented to this actor within the last COUNTER_PASS_MINUTES?"""
    since = utcnow() - timedelta(minutes=get_settings().counter_pass_minutes)
    row = session.exec(
        select(AuditEntry.id).where(
            AuditEntry.target_type == "member",
            AuditEntry.target_id == str(member_id),
            AuditEntry.action == GRANTED,
            AuditEntry.at >= since,
            _mine(actor),
        )
    ).first()
    return row is not None


def find_member_at_counter(session: Session, actor: Actor, member_ref: str) -> Member:
    """A member of the clerk's stores by number, phone or card, or one presented to them."""
    _require_counter(actor)
    ref = member_ref.strip()
    if not ref:
        raise ValidationFailed({"member_ref": "error.required"})
    member = _match(session, ref)
    if member is None or not (
        actor.in_scope(member.home_store_id) or holds_pass(session, actor, member.id or 0)
    ):
        raise NotFound("error.member_not_found", field="member_ref")
    return member


def _check_rate(session: Session, actor: Actor) -> None:
    limit = get_settings().counter_presentations_per_hour
    since = utcnow() - timedelta(hours=1)
    used = session.exec(
        select(func.count())
        .select_from(AuditEntry)
        .where(col(AuditEntry.action).in_((GRANTED, REFUSED)), AuditEntry.at >= since, _mine(actor))
    ).one()
    if used >= limit:
        raise RateLimited("error.counter_rate_limited", field="presented", limit=limit)


def present_member(session: Session, actor: Actor, phone: str, presented: str) -> Member:
    """Another store's member in person: full phone + card code. Audited and rate limited;
    the audit row is committed even when refused (the refusals are what the limit counts),
    so call this in its own transaction."""
    _require_counter(actor)
    errors = {}
    if not phone.strip():
        errors["member_ref"] = "error.required"
    if not presented.strip():
        errors["presented"] = "error.required"
    if errors:
        raise ValidationFailed(errors)
    number = normalize_phone(phone, field="member_ref")
    _check_rate(session, actor)
    member = session.exec(select(Member).where(Member.phone == number)).first()
    ok = member is not None and code_matches(member.id or 0, member.member_no, presented)
    audit.record(
        session,
        actor,
        GRANTED if ok else REFUSED,
        target_type="member" if member else "",
        target_id=(member.id if member else ""),
        changes={"phone_tail": number[-4:]},
    )
    session.commit()
    if not ok or member is None:
        raise NotFound("error.member_not_presented", field="presented")
    return member


def look_up(session: Session, actor: Actor, member_ref: str, presented: str = "") -> Member:
    """The till's one search: own stores (or a pass) first; with a code, a presentation."""
    try:
        return find_member_at_counter(session, actor, member_ref)
    except NotFound:
        if not presented.strip():
            raise
    return present_member(session, actor, member_ref, presented)


def member_for_counter(
    session: Session, actor: Actor, member_id: int | None = None, member_ref: str = ""
) -> Member:
    """The member a counter operation is for: by id or reference, in scope or presented."""
    member: Member | None
    if member_ref:
        member = find_member_at_counter(session, actor, member_ref)
    else:
        member = session.get(Member, member_id or 0)
        if member is None or not (
            actor.in_scope(member.home_store_id) or holds_pass(session, actor, member.id or 0)
        ):
            raise NotFound("error.member_not_found", field="member_ref")
    if member.status != MemberStatus.ACTIVE:
        raise ValidationFailed({"member_ref": "error.member_not_active"})
    return member


def counter_store(session: Session, actor: Actor, member_id: int) -> int:
    """Where a counter operation from the member page happens: the member's home store when
    the clerk's scope covers it, otherwise the clerk's own store (cross-store service)."""
    member = session.get(Member, member_id)
    if member is not None and actor.in_scope(member.home_store_id):
        return member.home_store_id
    return actor.home_store_id or 0

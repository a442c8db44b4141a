"""Finding the member at the counter: cross-store service without widening anyone's scope.

A member may buy, top up and redeem at any store of the chain. Staff may therefore serve
a member from another store, but only one the customer identifies (exact phone number or
member number), never by browsing or by guessing ids.
"""

from __future__ import annotations

import contextlib

from sqlmodel import Session, or_, select

from backoffice.errors import NotFound, ValidationFailed
from backoffice.models import Member, MemberStatus
from backoffice.services.org.access import Actor, require
from backoffice.services.phones import normalize_phone

# Serving a member at the counter: checkout, top-up or catalog redemption.
COUNTER_PERMISSIONS = ("sales.create", "wallet.topup", "points.redeem")


def find_member_at_counter(session: Session, actor: Actor, member_ref: str) -> Member:
    """Exact phone or member number, organisation-wide, for staff who can check out."""
    if not any(actor.can(p) for p in COUNTER_PERMISSIONS):
        require(actor, "sales.create")  # raises the usual "not allowed"
    ref = member_ref.strip()
    if not ref:
        raise ValidationFailed({"member_ref": "error.required"})
    conditions = [Member.member_no == ref.upper()]
    with contextlib.suppress(ValidationFailed):
        conditions.append(Member.phone == normalize_phone(ref, field="member_ref"))
    member = session.exec(select(Member).where(or_(*conditions))).first()
    if member is None:
        raise NotFound("error.member_not_found", field="member_ref")
    return member


def member_for_counter(
    session: Session, actor: Actor, member_id: int | None = None, member_ref: str = ""
) -> Member:
    """The member a counter operation is for: an id in scope, or a reference anywhere."""
    member: Member | None
    if member_ref:
        member = find_member_at_counter(session, actor, member_ref)
    else:
        member = session.get(Member, member_id or 0)
        if member is None or not actor.in_scope(member.home_store_id):
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

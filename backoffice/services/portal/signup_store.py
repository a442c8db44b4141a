"""Where a self-registered member belongs, and who registers them."""

from __future__ import annotations

from sqlmodel import Session, col, select

from backoffice.errors import ValidationFailed
from backoffice.models import Member, Store
from backoffice.services.org.access import Actor
from backoffice.settings import get_settings


def _signup_actor(store_id: int) -> Actor:
    """Who creates a self-registered member: the portal itself, allowed exactly one thing
    (members.write at the member's store), so create_member's rules, audit, events and
    earn rules apply as for a member registered at the counter."""
    return Actor(
        staff_id=0,
        username="member-portal",
        display_name="Member self-service",
        role="member_portal",
        permissions=frozenset({"members.write"}),
        store_ids=frozenset({store_id}),
        home_store_id=store_id,
    )


def signup_store(session: Session, referrer: Member | None) -> int:
    """The referrer's store; else MEMBER_SIGNUP_STORE; else the first active shop."""
    if referrer is not None:
        return referrer.home_store_id
    code = get_settings().member_signup_store.strip()
    stmt = select(Store).where(col(Store.active).is_(True))
    if code:
        store = session.exec(stmt.where(Store.code == code)).first()
    else:
        store = session.exec(stmt.order_by(col(Store.is_hq), col(Store.id))).first()
    if store is None:
        raise ValidationFailed({"phone": "error.signup_closed"})
    return store.id or 0

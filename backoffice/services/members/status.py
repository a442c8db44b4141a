"""Member status: freeze, unfreeze, cancel and restore, each with a reason on the timeline."""

from __future__ import annotations

from sqlmodel import Session

from backoffice.errors import ValidationFailed
from backoffice.models import Member, MemberStatus
from backoffice.models.base import utcnow
from backoffice.services import events
from backoffice.services.members.profiles import load_in_scope
from backoffice.services.org import audit
from backoffice.services.org.access import Actor, require

_TRANSITIONS: dict[str, tuple[set[MemberStatus], MemberStatus]] = {
    "freeze": ({MemberStatus.ACTIVE}, MemberStatus.FROZEN),
    "unfreeze": ({MemberStatus.FROZEN}, MemberStatus.ACTIVE),
    "cancel": ({MemberStatus.ACTIVE, MemberStatus.FROZEN}, MemberStatus.CANCELLED),
    "restore": ({MemberStatus.CANCELLED}, MemberStatus.ACTIVE),
}


def change_member_status(
    session: Session, actor: Actor, member_id: int, action: str, reason: str
) -> Member:
    """freeze / unfreeze / cancel / restore, each with a reason kept on the timeline."""
    if action not in _TRANSITIONS:
        raise ValidationFailed({"action": "error.choice"})
    require(actor, "members.status")
    member = load_in_scope(session, actor, member_id, for_update=True)
    require(actor, "members.status", member.home_store_id)
    allowed_from, target = _TRANSITIONS[action]
    if member.status not in allowed_from:
        raise ValidationFailed({"status": "error.status_transition"})
    reason = reason.strip()
    if not reason:
        raise ValidationFailed({"reason": "error.reason_required"})
    if len(reason) > 300:
        raise ValidationFailed({"reason": "error.too_long"})
    before = member.status
    member.status = target
    member.status_reason = reason
    member.updated_at = utcnow()
    session.add(member)
    session.flush()
    audit.record(
        session,
        actor,
        f"members.{action}",
        target_type="member",
        target_id=member_id,
        store_id=member.home_store_id,
        changes={"status": [before.value, target.value], "reason": reason},
    )
    events.emit(
        session,
        "member.status_changed",
        member_id=member_id,
        store_id=member.home_store_id,
        payload={"from": before.value, "to": target.value},
    )
    return member

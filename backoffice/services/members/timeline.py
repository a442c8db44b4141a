"""A member's timeline: the audit entries about them, newest first, phones masked without
pii.view."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from backoffice.models import AuditEntry
from backoffice.services.members.profiles import load_in_scope
from backoffice.services.org.access import Actor, require
from backoffice.services.phones import mask_phone


@dataclass
class TimelineItem:
    at: datetime
    action: str
    actor_name: str
    changes: dict[str, Any]


def member_timeline(
    session: Session, actor: Actor, member_id: int, limit: int = 100
) -> list[TimelineItem]:
    """Everything that happened to a member, newest first (the audit entries about them)."""
    require(actor, "members.read")
    load_in_scope(session, actor, member_id)
    rows = session.exec(
        select(AuditEntry)
        .where(AuditEntry.target_type == "member", AuditEntry.target_id == str(member_id))
        .order_by(col(AuditEntry.id).desc())
        .limit(limit)
    ).all()
    pii = actor.can("pii.view")
    items = []
    for row in rows:
        changes = dict(row.changes)
        if not pii and "phone" in changes:
            changes["phone"] = [mask_phone(v) if v else v for v in changes["phone"]]
        items.append(
            TimelineItem(at=row.at, action=row.action, actor_name=row.actor_name, changes=changes)
        )
    return items

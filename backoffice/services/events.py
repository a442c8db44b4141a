"""Emit domain events into the outbox table, in the same transaction as the change."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, func, select

from backoffice.models import DomainEvent, Member
from backoffice.services.org.access import Actor, require, restrict


def emit(
    session: Session,
    name: str,
    *,
    member_id: int | None = None,
    store_id: int | None = None,
    payload: dict[str, Any] | None = None,
) -> DomainEvent:
    """Record that something happened; the workflow engine picks it up after commit."""
    event = DomainEvent(name=name, member_id=member_id, store_id=store_id, payload=payload or {})
    session.add(event)
    session.info["events_emitted"] = True  # db.py wakes the dispatcher after the commit
    return event


def events_after(
    session: Session, actor: Actor, after_id: int = 0, limit: int = 100, name: str = ""
) -> list[DomainEvent]:
    """The outbox in id order after a cursor, for integrations that poll instead of taking
    webhooks; an event belongs to its store, or else to its member's home store."""
    require(actor, "members.read")
    store = func.coalesce(DomainEvent.store_id, Member.home_store_id)
    stmt = (
        select(DomainEvent)
        .outerjoin(Member, col(Member.id) == DomainEvent.member_id)
        .where(col(DomainEvent.id) > after_id)
    )
    stmt = restrict(stmt, actor, store)
    if name:
        stmt = stmt.where(DomainEvent.name == name)
    return list(
        session.exec(stmt.order_by(col(DomainEvent.id)).limit(max(1, min(limit, 500)))).all()
    )

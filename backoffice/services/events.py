"""Emit domain events into the outbox table, in the same transaction as the change."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from backoffice.models import DomainEvent


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

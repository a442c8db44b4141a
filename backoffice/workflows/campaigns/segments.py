"""Saved segments: a condition over members, counted and listed within the actor's scope."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from sqlmodel import Session, col, func, select

from backoffice.errors import NotFound, ValidationFailed
from backoffice.models import (
    Member,
    MemberStatus,
    Segment,
)
from backoffice.services.org import audit
from backoffice.services.org.access import Actor, require
from backoffice.workflows.campaigns.drafts import _can_read, _check_scope
from backoffice.workflows.conditions import Group, problems, to_sql

# ---- segments ---------------------------------------------------------------------------


class SegmentInput(BaseModel):
    name: str = ""
    store_ids: list[int] = []
    condition: dict[str, Any] = {}


def save_segment(
    session: Session, actor: Actor, data: SegmentInput, segment_id: int | None = None
) -> Segment:
    require(actor, "workflows.design")
    _check_scope(actor, data.store_ids)
    if not data.name.strip():
        raise ValidationFailed({"name": "error.required"})
    try:
        group = Group.model_validate(data.condition)
    except Exception as exc:  # noqa: BLE001
        raise ValidationFailed({"condition": "error.condition_invalid"}) from exc
    found = problems(group, session)
    if found:
        raise ValidationFailed({"condition": found[0]})
    segment = (
        session.get(Segment, segment_id)
        if segment_id
        else Segment(created_by=actor.staff_id, name=data.name.strip()[:100])
    )
    if segment is None:
        raise NotFound("error.not_found")
    segment.name, segment.store_ids = data.name.strip()[:100], sorted(set(data.store_ids))
    segment.condition = group.model_dump()
    session.add(segment)
    session.flush()
    audit.record(
        session,
        actor,
        "segments.save",
        target_type="segment",
        target_id=segment.id,
        changes={"name": segment.name},
    )
    return segment


def list_segments(session: Session, actor: Actor) -> list[Segment]:
    _can_read(actor)
    rows = session.exec(select(Segment).order_by(col(Segment.id))).all()
    return [
        s
        for s in rows
        if actor.store_ids is None or (s.store_ids and set(s.store_ids) <= actor.store_ids)
    ]


def segment_count(
    session: Session, actor: Actor, condition: dict[str, Any], store_ids: list[int] | None = None
) -> int:
    """Live count of members the condition matches, within the actor's scope."""
    _can_read(actor)
    group = Group.model_validate(condition)
    stmt = (
        select(func.count())
        .select_from(Member)
        .where(Member.status == MemberStatus.ACTIVE, to_sql(session, group))
    )
    scope = actor.store_ids if actor.store_ids is not None else None
    wanted = set(store_ids or []) or None
    allowed = wanted & scope if wanted and scope is not None else wanted or scope
    if allowed is not None:
        stmt = stmt.where(col(Member.home_store_id).in_(sorted(allowed) or [-1]))
    return int(session.exec(stmt).one())

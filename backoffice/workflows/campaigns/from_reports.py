"""Campaign actions started from the report pages: an RFM group saved as a live segment,
and the churn list tagged and handed to a published win-back campaign."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert
from sqlmodel import Session, col, select

from backoffice.errors import ValidationFailed
from backoffice.models import MemberTag, Segment, Workflow, WorkflowStatus
from backoffice.models.base import utcnow
from backoffice.services.org import audit
from backoffice.services.org.access import Actor, require
from backoffice.services.reports.churn import ChurnRule, churn_member_ids
from backoffice.services.reports.daily_stats import home_stores
from backoffice.services.reports.dashboard import report_stores
from backoffice.services.reports.rfm import RfmThresholds, group_condition
from backoffice.settings import get_settings
from backoffice.workflows.campaigns.lifecycle import (
    SegmentInput,
    get_workflow,
    list_workflows,
    save_segment,
)
from backoffice.workflows.engine import start_runs

MANUAL_TRIGGER = "trigger.manual"


def save_group_segment(
    session: Session,
    actor: Any,
    store_ids: list[int] | None,
    t: RfmThresholds,
    group: str,
    name: str,
) -> Segment:
    """Save a group as a workflow segment (audited by services/workflows.save_segment)."""
    stores = report_stores(session, actor, store_ids)
    t.check()
    segment_stores = [] if stores is None else stores  # []: HQ, every store
    return save_segment(
        session,
        actor,
        SegmentInput(name=name, store_ids=segment_stores, condition=group_condition(group, t)),
    )


def winback_workflows(session: Session, actor: Actor) -> list[Workflow]:
    """Published manual-trigger workflows the actor may start (for the win-back choice)."""
    if not actor.can("workflows.design"):
        return []
    return [
        w
        for w in list_workflows(session, actor, WorkflowStatus.PUBLISHED.value)
        if w.trigger_type == MANUAL_TRIGGER
    ]


@dataclass
class Winback:
    tag: str
    members: int
    run_ids: list[int] = field(default_factory=list)


def start_winback(
    session: Session,
    actor: Actor,
    store_ids: list[int] | None,
    rule: ChurnRule,
    workflow_id: int | None = None,
) -> Winback:
    """Tag today's churn list (so any campaign or segment can use it: "has tag churn-…"),
    and, when a workflow is chosen, start it for each of them at once."""
    require(actor, "members.write")
    ids = churn_member_ids(session, actor, store_ids, rule)
    if not ids:
        raise ValidationFailed({"members": "error.churn_empty"})
    zone = ZoneInfo(get_settings().default_timezone)
    tag = "churn-" + utcnow().astimezone(zone).strftime("%Y%m%d")
    have: set[int] = set()
    for start in range(0, len(ids), 900):
        have.update(
            session.exec(
                select(MemberTag.member_id).where(
                    MemberTag.tag == tag, col(MemberTag.member_id).in_(ids[start : start + 900])
                )
            ).all()
        )
    fresh = [{"member_id": m, "tag": tag} for m in ids if m not in have]
    for start in range(0, len(fresh), 5000):
        session.execute(
            insert(MemberTag.__table__),  # type: ignore[attr-defined]  # SQLModel's stubs lack __table__
            fresh[start : start + 5000],
        )
    result = Winback(tag=tag, members=len(ids))
    if workflow_id:
        result.run_ids = _start_workflow(session, actor, workflow_id, ids)
    audit.record(
        session,
        actor,
        "reports.winback",
        target_type="workflow" if workflow_id else "tag",
        target_id=workflow_id,
        changes={
            "tag": tag,
            "members": len(ids),
            "factor": rule.factor,
            "runs": len(result.run_ids),
        },
    )
    return result


def _start_workflow(session: Session, actor: Actor, workflow_id: int, ids: list[int]) -> list[int]:
    require(actor, "workflows.design")
    workflow = get_workflow(session, actor, workflow_id)
    if workflow.status != WorkflowStatus.PUBLISHED or workflow.trigger_type != MANUAL_TRIGGER:
        raise ValidationFailed({"workflow": "error.workflow_not_manual"})
    if workflow.store_ids:  # a store campaign only touches its own stores' members
        allowed, homes = set(workflow.store_ids), home_stores(session, ids)
        ids = [m for m in ids if homes.get(m) in allowed]
    return start_runs(session, workflow, ids, f"winback:{uuid.uuid4().hex[:12]}")

"""Builder support: graph-only saves, duplicates, the campaign list with its figures, goals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlmodel import Session, col, func, select

from backoffice.models import (
    Member,
    Workflow,
    WorkflowRun,
)
from backoffice.models.base import utcnow
from backoffice.services.org.access import Actor, require
from backoffice.services.reports.attribution import Conversion, attribute_runs
from backoffice.workflows.campaigns.drafts import (
    WorkflowInput,
    _can_read,
    _load,
    create_workflow,
    list_workflows,
    save_draft,
)
from backoffice.workflows.schema import Graph
from backoffice.workflows.triggers import _segment_clause, members_for

# ---- builder support: graph-only saves, duplicates, the list, goals -----------------------


def save_graph(session: Session, actor: Actor, workflow_id: int, graph: dict[str, Any]) -> Workflow:
    """A canvas edit: only the graph changes (audited with the node/edge diff)."""
    require(actor, "workflows.design")
    workflow = _load(session, actor, workflow_id)
    return save_draft(
        session,
        actor,
        workflow_id,
        WorkflowInput(
            name=workflow.name,
            description=workflow.description,
            store_ids=workflow.store_ids,
            graph=graph,
            goal_kind=workflow.goal_kind,
            goal_days=workflow.goal_days,
        ),
    )


def duplicate_workflow(session: Session, actor: Actor, workflow_id: int, name: str) -> Workflow:
    """A copy of the draft as a new draft (same scope, goal and description)."""
    require(actor, "workflows.design")
    source = _load(session, actor, workflow_id)
    return create_workflow(
        session,
        actor,
        WorkflowInput(
            name=name or source.name,
            description=source.description,
            store_ids=source.store_ids,
            graph=source.draft,
            goal_kind=source.goal_kind,
            goal_days=source.goal_days,
        ),
    )


def conversions(
    session: Session, workflow_ids: list[int], since: Any, goal_days: dict[int, int]
) -> dict[int, Conversion]:
    """Goal conversion of each workflow for the runs started since `since`."""
    out = {wid: Conversion() for wid in workflow_ids}
    if not workflow_ids:
        return out
    runs = session.exec(
        select(WorkflowRun.workflow_id, WorkflowRun.member_id, WorkflowRun.started_at).where(
            col(WorkflowRun.workflow_id).in_(workflow_ids),
            col(WorkflowRun.dry_run).is_(False),
            WorkflowRun.started_at >= since,
        )
    ).all()
    found = attribute_runs(
        session, [(wid, int(m), started, goal_days.get(wid, 7)) for wid, m, started in runs], since
    )
    out.update(found)
    return out


def workflow_conversion(
    session: Session, actor: Actor, workflow_id: int, days: int = 30
) -> Conversion:
    """The goal's conversion rate and attributed revenue over the last `days` days."""
    _can_read(actor)
    workflow = _load(session, actor, workflow_id)
    if not workflow.goal_kind:
        return Conversion()
    since = utcnow() - timedelta(days=days)
    return conversions(session, [workflow_id], since, {workflow_id: workflow.goal_days})[
        workflow_id
    ]


@dataclass
class WorkflowRow:
    id: int
    name: str
    store_ids: list[int]
    status: str
    version: int | None
    trigger_type: str
    runs_7d: int
    conversion: Conversion
    goal_kind: str
    updated_at: Any


def workflow_overview(
    session: Session, actor: Actor, status: str = "", trigger: str = "", query: str = ""
) -> list[WorkflowRow]:
    """The workflow list: scope, status, version, trigger, runs in 7 days, conversion."""
    found = list_workflows(session, actor, status)
    if query.strip():
        found = [w for w in found if query.strip().lower() in w.name.lower()]

    def trigger_of(w: Workflow) -> str:
        if w.trigger_type:
            return w.trigger_type
        try:
            node = Graph.model_validate(w.draft or {}).trigger()
        except Exception:  # noqa: BLE001  (a malformed draft simply has no trigger yet)
            return ""
        return node.type if node else ""

    if trigger:
        found = [w for w in found if trigger_of(w) == trigger]
    ids = [w.id for w in found if w.id is not None]
    week = utcnow() - timedelta(days=7)
    runs = dict(
        session.exec(
            select(WorkflowRun.workflow_id, func.count())
            .where(
                col(WorkflowRun.workflow_id).in_(ids or [-1]),
                col(WorkflowRun.dry_run).is_(False),
                WorkflowRun.started_at >= week,
            )
            .group_by(col(WorkflowRun.workflow_id))
        ).all()
    )
    goals = {w.id: w.goal_days for w in found if w.id is not None and w.goal_kind}
    conv = conversions(session, list(goals), utcnow() - timedelta(days=30), goals)
    return [
        WorkflowRow(
            id=w.id or 0,
            name=w.name,
            store_ids=list(w.store_ids),
            status=w.status.value,
            version=w.published_version,
            trigger_type=trigger_of(w),
            runs_7d=int(runs.get(w.id or 0, 0)),
            conversion=conv.get(w.id or 0, Conversion()),
            goal_kind=w.goal_kind,
            updated_at=w.updated_at,
        )
        for w in found
    ]


def trigger_match_count(session: Session, actor: Actor, workflow_id: int) -> int | None:
    """How many members a segment-based trigger (schedule, manual) matches now, within the
    workflow's and the actor's stores; None for event and date triggers."""
    _can_read(actor)
    workflow = _load(session, actor, workflow_id)
    try:
        node = Graph.model_validate(workflow.draft or {}).trigger()
    except Exception:  # noqa: BLE001
        return None
    if node is None or node.type not in ("trigger.schedule", "trigger.manual"):
        return None
    clauses = [_segment_clause(session, node.config.get("segment_id"))]
    if actor.store_ids is not None:
        clauses.append(col(Member.home_store_id).in_(sorted(actor.store_ids) or [-1]))
    return len(members_for(session, workflow, *clauses))

"""Campaign drafts: create, save, validate, publish versions, pause/resume, all within the
designer's store scope."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from sqlmodel import Session, col, func, select

from backoffice.errors import NotFound, PermissionDenied, ValidationFailed
from backoffice.models import (
    Workflow,
    WorkflowStatus,
    WorkflowVersion,
)
from backoffice.models.base import utcnow
from backoffice.services.org import audit
from backoffice.services.org.access import Actor, require
from backoffice.workflows.engine import graph_problems
from backoffice.workflows.schema import Graph, Problem


class WorkflowInput(BaseModel):
    name: str = ""
    description: str = ""
    store_ids: list[int] = []
    graph: dict[str, Any] = {}
    goal_kind: str = ""  # "" (none) or "sale": a sale within goal_days counts as converted
    goal_days: int = 7


GOAL_KINDS = ("", "sale")


def _check_goal(data: WorkflowInput) -> None:
    if data.goal_kind not in GOAL_KINDS:
        raise ValidationFailed({"goal_kind": "error.choice"})
    if not 1 <= data.goal_days <= 90:
        err = ValidationFailed({"goal_days": "error.number_between"})
        err.params = {"min": 1, "max": 90}
        raise err


def _check_scope(actor: Actor, store_ids: list[int]) -> None:
    """HQ may design for all stores (empty list); others only for stores in their scope."""
    if actor.store_ids is None:
        return
    if not store_ids or not set(store_ids) <= actor.store_ids:
        raise PermissionDenied("error.store_scope")


def _visible(actor: Actor, workflow: Workflow) -> bool:
    return actor.store_ids is None or (
        bool(workflow.store_ids) and set(workflow.store_ids) <= actor.store_ids
    )


def _load(session: Session, actor: Actor, workflow_id: int) -> Workflow:
    workflow = session.get(Workflow, workflow_id)
    if workflow is None or not _visible(actor, workflow):
        raise NotFound("error.not_found")
    return workflow


def _can_read(actor: Actor) -> None:
    if not actor.can("workflows.design"):
        require(actor, "workflows.read")


def list_workflows(session: Session, actor: Actor, status: str = "") -> list[Workflow]:
    _can_read(actor)
    stmt = select(Workflow).order_by(col(Workflow.id).desc())
    if status:
        stmt = stmt.where(Workflow.status == WorkflowStatus(status))
    return [w for w in session.exec(stmt).all() if _visible(actor, w)]


def get_workflow(session: Session, actor: Actor, workflow_id: int) -> Workflow:
    _can_read(actor)
    return _load(session, actor, workflow_id)


def create_workflow(session: Session, actor: Actor, data: WorkflowInput) -> Workflow:
    require(actor, "workflows.design")
    if not data.name.strip():
        raise ValidationFailed({"name": "error.required"})
    _check_scope(actor, data.store_ids)
    _check_goal(data)
    workflow = Workflow(
        name=data.name.strip()[:100],
        description=data.description.strip()[:500],
        store_ids=sorted(set(data.store_ids)),
        draft=data.graph or {},
        goal_kind=data.goal_kind,
        goal_days=data.goal_days,
        created_by=actor.staff_id,
    )
    session.add(workflow)
    session.flush()
    audit.record(
        session,
        actor,
        "workflows.create",
        target_type="workflow",
        target_id=workflow.id,
        changes={"name": workflow.name, "store_ids": workflow.store_ids},
    )
    return workflow


def save_draft(session: Session, actor: Actor, workflow_id: int, data: WorkflowInput) -> Workflow:
    """Edit the draft; a published workflow keeps running its version until republished."""
    require(actor, "workflows.design")
    workflow = _load(session, actor, workflow_id)
    if workflow.status == WorkflowStatus.ARCHIVED:
        raise ValidationFailed({"status": "error.workflow_archived"})
    if not data.name.strip():
        raise ValidationFailed({"name": "error.required"})
    _check_scope(actor, data.store_ids)
    _check_goal(data)

    def header() -> dict[str, Any]:
        return {
            "name": workflow.name,
            "description": workflow.description,
            "store_ids": workflow.store_ids,
            "goal_kind": workflow.goal_kind,
            "goal_days": workflow.goal_days,
        }

    before = header()
    workflow.name = data.name.strip()[:100]
    workflow.description = data.description.strip()[:500]
    workflow.store_ids = sorted(set(data.store_ids))
    workflow.goal_kind, workflow.goal_days = data.goal_kind, data.goal_days
    changes = audit.diff(before, header())
    changes.update(_graph_diff(workflow.draft, data.graph))
    workflow.draft = data.graph
    workflow.updated_at = utcnow()
    session.add(workflow)
    if changes:
        audit.record(
            session,
            actor,
            "workflows.edit",
            target_type="workflow",
            target_id=workflow.id,
            changes=changes,
        )
    return workflow


def _graph_diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """Nodes added, removed or reconfigured, and edge changes: the audit's version diff."""

    def nodes(g: dict[str, Any]) -> dict[str, Any]:
        return {n.get("id"): (n.get("type"), n.get("config")) for n in g.get("nodes", [])}

    def edges(g: dict[str, Any]) -> set[tuple[Any, Any, Any]]:
        return {
            (e.get("source"), e.get("source_handle", "out"), e.get("target"))
            for e in g.get("edges", [])
        }

    a, b = nodes(old or {}), nodes(new or {})
    out: dict[str, Any] = {}
    added = sorted(set(b) - set(a))
    removed = sorted(set(a) - set(b))
    changed = sorted(k for k in set(a) & set(b) if a[k] != b[k])
    if added:
        out["nodes_added"] = added
    if removed:
        out["nodes_removed"] = removed
    if changed:
        out["nodes_changed"] = changed
    if edges(old or {}) != edges(new or {}):
        out["edges"] = [len(edges(old or {})), len(edges(new or {}))]
    return out


def validate_workflow(session: Session, actor: Actor, workflow_id: int) -> list[Problem]:
    _can_read(actor)
    return graph_problems(session, _load(session, actor, workflow_id).draft)


def publish_workflow(session: Session, actor: Actor, workflow_id: int) -> WorkflowVersion:
    """Freeze the draft as a new version; refused with every problem while it is invalid."""
    require(actor, "workflows.design")
    workflow = _load(session, actor, workflow_id)
    if workflow.status == WorkflowStatus.ARCHIVED:
        raise ValidationFailed({"status": "error.workflow_archived"})
    found = graph_problems(session, workflow.draft)
    if found:
        err = ValidationFailed({"graph": "error.graph_has_problems"})
        err.params = {"count": len(found)}
        err.problems = found
        raise err
    graph = Graph.model_validate(workflow.draft)
    previous = None
    if workflow.published_version is not None:
        previous = session.exec(
            select(WorkflowVersion).where(
                WorkflowVersion.workflow_id == workflow_id,
                WorkflowVersion.version == workflow.published_version,
            )
        ).first()
    number = (
        session.exec(
            select(func.max(WorkflowVersion.version)).where(
                WorkflowVersion.workflow_id == workflow_id
            )
        ).one()
        or 0
    ) + 1
    version = WorkflowVersion(
        workflow_id=workflow_id, version=number, graph=graph.model_dump(), created_by=actor.staff_id
    )
    session.add(version)
    workflow.published_version = number
    workflow.status = WorkflowStatus.PUBLISHED
    trigger = graph.trigger()
    assert trigger is not None  # graph_problems() above refuses a graph without a trigger
    workflow.trigger_type = trigger.type
    workflow.updated_at = utcnow()
    session.add(workflow)
    session.flush()
    audit.record(
        session,
        actor,
        "workflows.publish",
        target_type="workflow",
        target_id=workflow_id,
        changes={
            "version": number,
            **_graph_diff(previous.graph if previous else {}, version.graph),
        },
    )
    return version


def set_workflow_status(session: Session, actor: Actor, workflow_id: int, status: str) -> Workflow:
    """pause / resume (published again) / archive."""
    require(actor, "workflows.design")
    workflow = _load(session, actor, workflow_id)
    target = WorkflowStatus(status)
    allowed = {
        WorkflowStatus.PAUSED: {WorkflowStatus.PUBLISHED},
        WorkflowStatus.PUBLISHED: {WorkflowStatus.PAUSED},
        WorkflowStatus.ARCHIVED: {
            WorkflowStatus.DRAFT,
            WorkflowStatus.PAUSED,
            WorkflowStatus.PUBLISHED,
        },
    }
    if workflow.status not in allowed.get(target, set()):
        raise ValidationFailed({"status": "error.status_transition"})
    before = workflow.status
    workflow.status = target
    workflow.updated_at = utcnow()
    session.add(workflow)
    audit.record(
        session,
        actor,
        f"workflows.{target.value}",
        target_type="workflow",
        target_id=workflow_id,
        changes={"status": [before.value, target.value]},
    )
    return workflow

"""A campaign's published versions: each can be opened read-only, and one can be restored
as the new draft (audited), as managers ask of every workflow tool. Runs keep the version
they started on; restoring only replaces the draft, published when the manager publishes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from backoffice.errors import NotFound
from backoffice.models import Staff, Workflow, WorkflowVersion
from backoffice.services.org import audit
from backoffice.services.org.access import Actor, require
from backoffice.workflows.campaigns.drafts import WorkflowInput, _can_read, _load, save_draft


@dataclass
class VersionRow:
    version: int
    created_at: datetime
    created_by: str
    live: bool  # the version new runs start on


def list_versions(session: Session, actor: Actor, workflow_id: int) -> list[VersionRow]:
    """Newest first, with who published each."""
    _can_read(actor)
    workflow = _load(session, actor, workflow_id)
    rows = session.exec(
        select(WorkflowVersion)
        .where(WorkflowVersion.workflow_id == workflow_id)
        .order_by(col(WorkflowVersion.version).desc())
    ).all()
    staff_ids = {r.created_by for r in rows if r.created_by}
    names = {
        s.id: s.display_name
        for s in session.exec(select(Staff).where(col(Staff.id).in_(staff_ids or {-1}))).all()
    }
    return [
        VersionRow(
            r.version,
            r.created_at,
            names.get(r.created_by or 0, ""),
            r.version == workflow.published_version,
        )
        for r in rows
    ]


def version_graph(session: Session, actor: Actor, workflow_id: int, version: int) -> dict[str, Any]:
    """A published version's graph, to look at (the page draws it read-only)."""
    _can_read(actor)
    _load(session, actor, workflow_id)
    return dict(_version(session, workflow_id, version).graph)


def restore_version(session: Session, actor: Actor, workflow_id: int, version: int) -> Workflow:
    """The version's graph becomes the draft (the audit says which version it came from)."""
    require(actor, "workflows.design")
    workflow = _load(session, actor, workflow_id)
    graph = dict(_version(session, workflow_id, version).graph)
    saved = save_draft(
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
    audit.record(
        session,
        actor,
        "workflows.restore_version",
        target_type="workflow",
        target_id=workflow_id,
        changes={"version": version},
    )
    return saved


def _version(session: Session, workflow_id: int, version: int) -> WorkflowVersion:
    found = session.exec(
        select(WorkflowVersion).where(
            WorkflowVersion.workflow_id == workflow_id, WorkflowVersion.version == version
        )
    ).first()
    if found is None:
        raise NotFound("error.not_found")
    return found

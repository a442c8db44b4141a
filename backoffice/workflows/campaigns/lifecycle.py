"""Campaign workflows: drafts, validation, publishing versions, pause/resume, test runs,
manual runs, run history and retries, and segments, all within the designer's store scope."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from pydantic import BaseModel
from sqlmodel import Session, col, func, select

from backoffice.errors import NotFound, PermissionDenied, ValidationFailed
from backoffice.models import (
    Member,
    MemberStatus,
    RunStatus,
    Segment,
    StepExecution,
    StepStatus,
    Workflow,
    WorkflowRun,
    WorkflowStatus,
    WorkflowVersion,
)
from backoffice.models.base import utcnow
from backoffice.services.org import audit
from backoffice.services.org.access import Actor, require
from backoffice.services.reports.attribution import Conversion, attribute_runs
from backoffice.workflows.conditions import Group, problems, to_sql
from backoffice.workflows.engine import compiled, graph_problems, parse_config, start_runs
from backoffice.workflows.nodes import REGISTRY, Context
from backoffice.workflows.schema import Graph, Problem
from backoffice.workflows.triggers import _segment_clause, members_for


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


@dataclass
class DryRunStep:
    node_id: str
    node_type: str
    handle: str
    output: dict[str, Any]
    error: str = ""


@dataclass
class DryRun:
    member_id: int
    member_name: str
    path: list[DryRunStep] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)


def dry_run_workflow(session: Session, actor: Actor, workflow_id: int, member_id: int) -> DryRun:
    """Walk the draft for one member with no effects: the path and the messages it would send.

    Everything happens inside a savepoint that is rolled back, as a second guard.
    """
    require(actor, "workflows.design")
    workflow = _load(session, actor, workflow_id)
    member = session.get(Member, member_id)
    if (
        member is None
        or not actor.in_scope(member.home_store_id)
        or (workflow.store_ids and member.home_store_id not in workflow.store_ids)
    ):
        raise NotFound("error.member_not_found")
    found = graph_problems(session, workflow.draft)
    if found:
        err = ValidationFailed({"graph": "error.graph_has_problems"})
        err.problems = found
        raise err
    graph = Graph.model_validate(workflow.draft)
    result = DryRun(member_id=member_id, member_name=member.name)
    fake_run = WorkflowRun(
        id=0,
        workflow_id=workflow_id,
        version=0,
        member_id=member_id,
        trigger_key="test",
        dry_run=True,
    )
    nested = session.begin_nested()
    try:
        trigger = graph.trigger()
        assert trigger is not None
        result.path.append(DryRunStep(trigger.id, trigger.type, "out", {}))
        cursor = graph.next_node(trigger.id, "out")
        for seq in range(1, 200):
            node = graph.node(cursor) if cursor else None
            if node is None:
                break
            ctx = Context(
                session=session,
                run=fake_run,
                workflow=workflow,
                member=member,
                node_id=node.id,
                now=utcnow(),
                seq=seq,
                dry_run=True,
            )
            try:
                outcome = REGISTRY[node.type].execute(ctx, parse_config(node))
            except Exception as exc:  # noqa: BLE001  (shown to the designer, not raised)
                result.path.append(DryRunStep(node.id, node.type, "", {}, str(exc)))
                break
            result.path.append(DryRunStep(node.id, node.type, outcome.handle, outcome.output))
            if "would_send" in outcome.output:
                result.messages.append(str(outcome.output["would_send"]))
            if outcome.stop:
                break
            cursor = graph.next_node(node.id, outcome.handle)
    finally:
        nested.rollback()
    return result


def dry_run_sample(
    session: Session, actor: Actor, workflow_id: int, segment_id: int | None, size: int = 10
) -> list[DryRun]:
    """Test-run the draft on a random sample of a segment (or of the workflow's members)."""
    require(actor, "workflows.design")
    workflow = _load(session, actor, workflow_id)
    ids = [
        i
        for i in segment_member_ids(session, workflow, segment_id)
        if actor.store_ids is None or _member_store(session, i) in actor.store_ids
    ]
    sample = random.sample(ids, min(size, len(ids)))
    return [dry_run_workflow(session, actor, workflow_id, member_id) for member_id in sample]


def _member_store(session: Session, member_id: int) -> int:
    member = session.get(Member, member_id)
    return member.home_store_id if member else -1


def run_now(session: Session, actor: Actor, workflow_id: int) -> list[int]:
    """Manual trigger: start a run for every member of the segment (in scope); returns run ids
    for the caller to hand to an executor."""
    require(actor, "workflows.design")
    workflow = _load(session, actor, workflow_id)
    if workflow.status != WorkflowStatus.PUBLISHED or workflow.trigger_type != "trigger.manual":
        raise ValidationFailed({"status": "error.workflow_not_manual"})
    ids = segment_member_ids(session, workflow, _trigger_segment(session, workflow))
    run_ids = start_runs(session, workflow, ids, f"manual:{uuid.uuid4().hex[:12]}")
    audit.record(
        session,
        actor,
        "workflows.run_now",
        target_type="workflow",
        target_id=workflow_id,
        changes={"members": len(run_ids)},
    )
    return run_ids


def _trigger_segment(session: Session, workflow: Workflow) -> int | None:
    plan = compiled(session, workflow.id or 0, workflow.published_version or 0)
    trigger = plan.graph.trigger()
    return getattr(plan.configs[trigger.id], "segment_id", None) if trigger else None


def segment_member_ids(session: Session, workflow: Workflow, segment_id: int | None) -> list[int]:
    return members_for(session, workflow, _segment_clause(session, segment_id))


@dataclass
class NodeCounters:
    entered: int = 0
    passed: int = 0
    failed: int = 0


def node_counters(session: Session, actor: Actor, workflow_id: int) -> dict[str, NodeCounters]:
    """Per node: how many steps entered, passed and failed (for the canvas overlay)."""
    _can_read(actor)
    _load(session, actor, workflow_id)
    rows = session.exec(
        select(StepExecution.node_id, StepExecution.status, func.count())
        .join(WorkflowRun, col(WorkflowRun.id) == StepExecution.run_id)
        .where(WorkflowRun.workflow_id == workflow_id)
        .group_by(StepExecution.node_id, StepExecution.status)
    ).all()
    out: dict[str, NodeCounters] = {}
    for node_id, status, count in rows:
        counters = out.setdefault(node_id, NodeCounters())
        counters.entered += int(count)
        if status == StepStatus.SUCCEEDED:
            counters.passed += int(count)
        elif status == StepStatus.FAILED:
            counters.failed += int(count)
    return out


def list_runs(
    session: Session, actor: Actor, workflow_id: int, status: str = "", limit: int = 50
) -> list[WorkflowRun]:
    _can_read(actor)
    _load(session, actor, workflow_id)
    stmt = select(WorkflowRun).where(WorkflowRun.workflow_id == workflow_id)
    if status:
        stmt = stmt.where(WorkflowRun.status == RunStatus(status))
    return list(session.exec(stmt.order_by(col(WorkflowRun.id).desc()).limit(limit)).all())


def run_steps(
    session: Session, actor: Actor, run_id: int
) -> tuple[WorkflowRun, list[StepExecution]]:
    _can_read(actor)
    run = session.get(WorkflowRun, run_id)
    if run is None:
        raise NotFound("error.not_found")
    _load(session, actor, run.workflow_id)
    steps = session.exec(
        select(StepExecution).where(StepExecution.run_id == run_id).order_by(col(StepExecution.seq))
    ).all()
    return run, list(steps)


def retry_run(session: Session, actor: Actor, run_id: int) -> int:
    """Staff retry a failed step: the run continues from the node that failed."""
    require(actor, "workflows.operate")
    run = session.get(WorkflowRun, run_id)
    if run is None:
        raise NotFound("error.not_found")
    _load(session, actor, run.workflow_id)
    if run.status != RunStatus.FAILED:
        raise ValidationFailed({"status": "error.status_transition"})
    step = session.exec(
        select(StepExecution).where(
            StepExecution.run_id == run_id, StepExecution.seq == run.steps + 1
        )
    ).first()
    if step is not None:
        step.status = StepStatus.RETRYING
        step.attempt = 0  # staff retry starts a fresh round of attempts
        session.add(step)
    run.status, run.error, run.finished_at = RunStatus.RUNNING, "", None
    session.add(run)
    audit.record(
        session,
        actor,
        "workflows.retry",
        target_type="workflow_run",
        target_id=run_id,
        changes={"node": run.cursor},
    )
    return run_id


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

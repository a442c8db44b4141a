"""A campaign's runs: test runs (dry), manual runs, per-node counters, run history and retries."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, func, select

from backoffice.errors import NotFound, ValidationFailed
from backoffice.models import (
    Member,
    RunStatus,
    StepExecution,
    StepStatus,
    Workflow,
    WorkflowRun,
    WorkflowStatus,
)
from backoffice.models.base import utcnow
from backoffice.services.org import audit
from backoffice.services.org.access import Actor, require
from backoffice.workflows.campaigns.drafts import _can_read, _load
from backoffice.workflows.campaigns.preview import preview_message, sample_coupon_code
from backoffice.workflows.engine import compiled, graph_problems, parse_config, start_runs
from backoffice.workflows.nodes import REGISTRY, Context
from backoffice.workflows.schema import Graph
from backoffice.workflows.triggers import _segment_clause, members_for


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
        coupon = ""  # the sample code of a coupon issued earlier on the path
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
            if "would_issue" in outcome.output:
                coupon = sample_coupon_code()
            if "would_send" in outcome.output:
                shown = coupon and preview_message(session, parse_config(node), member, coupon)
                result.messages.append(shown or str(outcome.output["would_send"]))
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

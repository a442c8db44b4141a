"""Advancing runs in waves: all runs of a batch standing on the same node of the same version
execute together in one transaction, and each run's step row, its effect and its new cursor
commit together. A job delivered twice, a worker killed mid-wave or a retry therefore never
repeats an effect: the committed step says it is done."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlmodel import Session, col, select

from backoffice.db import session_scope
from backoffice.models import (
    Member,
    RunStatus,
    Workflow,
    WorkflowRun,
)
from backoffice.models.base import utcnow
from backoffice.services.batching import chunks
from backoffice.workflows.engine.outcomes import (
    WaveReport,
    apply_outcomes,
    finish,
    retrying_steps,
    save_wave,
)
from backoffice.workflows.engine.runs import compiled
from backoffice.workflows.nodes import REGISTRY, Context, NodeType, Outcome
from backoffice.workflows.steps import RUN_COLUMNS, RunState

MAX_WAVES = 100
WakeLater = Callable[[int, datetime], None]


def _execute(
    node_type: NodeType, ctxs: list[Context], config: BaseModel
) -> list[Outcome | Exception]:
    """The whole batch at once where the node knows how (one savepoint for all); otherwise,
    or if the batch fails, member by member, so one bad member fails only their own step."""
    if len(ctxs) > 1 and node_type.execute_many is not NodeType.execute_many:
        try:
            with ctxs[0].session.begin_nested():
                return list(node_type.execute_many(ctxs, config))
        except Exception:  # noqa: BLE001  (fall back to one by one for precise errors)
            pass
    results: list[Outcome | Exception] = []
    for ctx in ctxs:
        try:
            with ctx.session.begin_nested():
                results.append(node_type.execute(ctx, config))
        except Exception as exc:  # noqa: BLE001  (a failing step is recorded, not fatal)
            results.append(exc)
    return results


def advance(
    run_ids: list[int], wake_later: WakeLater | None = None, now: Callable[[], datetime] = utcnow
) -> WaveReport:
    """Advance these runs as far as they can go now (until done, waiting or failed)."""
    report = WaveReport()
    pending = set(run_ids)
    # One session for all waves, a commit after each: members stay loaded between waves,
    # while runs are re-read from the database every wave.
    members: dict[int, Member] = {}
    with session_scope() as session:
        for _ in range(MAX_WAVES):
            if not pending:
                break
            pending, calls = _wave(session, pending, now(), report, members)
            session.commit()
            if calls:  # between transactions: no lock is held while receivers answer
                answered = [(call, _call_out(call)) for call in calls]
                pending |= apply_calls(session, answered, now(), report)
                session.commit()
    for run_id, at in report.waiting:
        if wake_later is not None:
            wake_later(run_id, at)
    return report


@dataclass
class Call:
    """An external node's call, prepared inside a wave and made after its commit."""

    run_id: int
    seq: int
    workflow_id: int
    version: int
    node_id: str
    node_type: str
    prepared: Any


def _call_out(call: Call) -> Outcome | Exception:
    try:
        return REGISTRY[call.node_type].call(call.prepared)
    except Exception as exc:  # noqa: BLE001  (a failing call is a failing step, retried)
        return exc


def apply_calls(
    session: Session,
    answered: list[tuple[Call, Outcome | Exception]],
    now: datetime,
    report: WaveReport,
) -> set[int]:
    """Record the calls' outcomes like any step's, for runs still standing where the call
    was prepared (a run another worker moved on meanwhile keeps what that worker did)."""
    by_run = {call.run_id: (call, outcome) for call, outcome in answered}
    runs = lock_runs(session, sorted(by_run))
    failed_steps = retrying_steps(session, [r.id or 0 for r in runs])
    still: set[int] = set()
    new_steps: list[dict[str, Any]] = []
    for run in runs:
        call, outcome = by_run[run.id or 0]
        if not (
            run.status == RunStatus.RUNNING
            and run.cursor == call.node_id
            and run.steps + 1 == call.seq
        ):
            continue
        plan = compiled(session, call.workflow_id, call.version)
        node = plan.graph.node(call.node_id)
        if node is not None:
            apply_outcomes(
                session,
                plan,
                node,
                [run],
                [call.seq],
                [outcome],
                failed_steps,
                now,
                report,
                new_steps,
                still,
            )
    save_wave(session, runs, new_steps)
    return still


def lock_runs(session: Session, run_ids: list[int]) -> list[RunState]:
    """These runs, locked until the wave commits (PostgreSQL row locks; SQLite's writer holds
    the database), as plain values: the wave writes them back in grouped UPDATEs."""
    table = WorkflowRun.__table__  # type: ignore[attr-defined]  # SQLModel's stubs lack __table__
    columns = [table.c[name] for name in RUN_COLUMNS]
    runs: list[RunState] = []
    for part in chunks(run_ids):
        rows = session.execute(
            select(*columns).where(table.c.id.in_(part)).order_by(table.c.id).with_for_update()
        )
        runs += [RunState(*row) for row in rows]
    return runs


def _wave(
    session: Session,
    pending: set[int],
    now: datetime,
    report: WaveReport,
    members: dict[int, Member],
) -> tuple[set[int], list[Call]]:
    runs = lock_runs(session, sorted(pending))
    groups: dict[tuple[int, int, str], list[RunState]] = defaultdict(list)
    for run in runs:
        if run.status == RunStatus.WAITING and run.wake_at and run.wake_at <= now:
            run.status = RunStatus.RUNNING
        elif run.status == RunStatus.WAITING and run.wake_at:
            report.waiting.append((run.id or 0, run.wake_at))  # woken early: sleep on
        if run.status == RunStatus.RUNNING:
            groups[(run.workflow_id, run.version, run.cursor)].append(run)
    missing = [r.member_id for r in runs if r.member_id not in members]
    for part in chunks(missing):
        members.update(
            {m.id or 0: m for m in session.exec(select(Member).where(col(Member.id).in_(part)))}
        )
    workflows = {
        w.id: w
        for w in session.exec(
            select(Workflow).where(col(Workflow.id).in_({r.workflow_id for r in runs} or {-1}))
        ).all()
    }
    failed_steps = retrying_steps(session, [r.id or 0 for r in runs])
    still: set[int] = set()
    new_steps: list[dict[str, Any]] = []
    calls: list[Call] = []
    for (workflow_id, version, cursor), group in groups.items():
        plan = compiled(session, workflow_id, version)
        node = plan.graph.node(cursor)
        if node is None:
            for run in group:
                finish(run, RunStatus.COMPLETED, now, report)
            continue
        node_type = REGISTRY[node.type]
        ctxs = [
            Context(
                session=session,
                run=run,
                workflow=workflows[workflow_id],
                member=members[run.member_id],
                node_id=node.id,
                now=now,
                seq=run.steps + 1,
            )
            for run in group
        ]
        config = plan.configs[node.id]
        if node_type.external:
            prepared = _prepare_calls(node_type, ctxs, config, version, calls)
            done = [
                (r, c, o) for r, c, o in zip(group, ctxs, prepared, strict=True) if o is not None
            ]
            group, ctxs, outcomes = [d[0] for d in done], [d[1] for d in done], [d[2] for d in done]
        else:
            outcomes = _execute(node_type, ctxs, config)
        apply_outcomes(
            session,
            plan,
            node,
            group,
            [c.seq for c in ctxs],
            outcomes,
            failed_steps,
            now,
            report,
            new_steps,
            still,
        )
    save_wave(session, runs, new_steps)
    return still, calls


def _prepare_calls(
    node_type: NodeType, ctxs: list[Context], config: BaseModel, version: int, calls: list[Call]
) -> list[Outcome | Exception | None]:
    """Inside the wave: what each call needs (None: deferred); a failure to prepare is the
    step's failure right away."""
    out: list[Outcome | Exception | None] = []
    for ctx in ctxs:
        try:
            prepared = node_type.prepare(ctx, config)
        except Exception as exc:  # noqa: BLE001  (recorded as the step's error)
            out.append(exc)
            continue
        calls.append(
            Call(
                ctx.run.id or 0,
                ctx.seq,
                ctx.workflow.id or 0,
                version,
                ctx.node_id,
                node_type.type,
                prepared,
            )
        )
        out.append(None)
    return out

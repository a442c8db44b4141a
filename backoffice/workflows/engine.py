"""Validating graphs, starting runs exactly once, and advancing runs step by step.

Runs advance in waves: all runs of a batch standing on the same node of the same version
execute together in one transaction (conditions as one query), and each run's step row,
its effect and its new cursor commit together. A job delivered twice, a worker killed
mid-wave or a retry therefore never repeats an effect: the committed step says it is done.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, cast

from pydantic import BaseModel, ValidationError
from sqlalchemy import bindparam, insert, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from backoffice.db import session_scope
from backoffice.models import (
    Member,
    RunStatus,
    StepExecution,
    StepStatus,
    Workflow,
    WorkflowRun,
    WorkflowVersion,
)
from backoffice.models.base import utcnow
from backoffice.settings import get_settings
from backoffice.workflows.nodes import REGISTRY, Context, NodeType, Outcome
from backoffice.workflows.schema import Graph, NodeSpec, Problem

MAX_ATTEMPTS = 3
MAX_WAVES = 100
WakeLater = Callable[[int, datetime], None]


# ---- validation -------------------------------------------------------------------------


def parse_config(node: NodeSpec) -> BaseModel:
    return REGISTRY[node.type].Config.model_validate(node.config)


def graph_problems(session: Session, raw: dict[str, Any]) -> list[Problem]:
    """Everything that stops a graph from being published, each on its node where possible."""
    try:
        graph = Graph.model_validate(raw)
    except ValidationError:
        return [Problem(message="error.graph_invalid")]
    out: list[Problem] = []
    ids = [n.id for n in graph.nodes]
    for dup in sorted({i for i in ids if ids.count(i) > 1}):
        out.append(Problem(node_id=dup, message="error.node_duplicate"))
    triggers = [
        n for n in graph.nodes if n.type in REGISTRY and REGISTRY[n.type].category == "trigger"
    ]
    if len(triggers) != 1:
        out.append(Problem(message="error.one_trigger", params={"count": len(triggers)}))
    handles: dict[str, tuple[str, ...]] = {}
    for node in graph.nodes:
        node_type = REGISTRY.get(node.type)
        if node_type is None:
            out.append(Problem(node_id=node.id, message="error.node_type"))
            continue
        try:
            config = node_type.Config.model_validate(node.config)
        except ValidationError as exc:
            field_name = ".".join(str(p) for p in exc.errors()[0]["loc"]) or "config"
            out.append(
                Problem(node_id=node.id, message="error.node_config", params={"field": field_name})
            )
            continue
        handles[node.id] = node_type.handles(config)
        out.extend(Problem(node_id=node.id, message=m) for m in node_type.check(session, config))
    seen: set[tuple[str, str]] = set()
    for edge in graph.edges:
        if edge.source not in handles and edge.source not in ids or edge.target not in ids:
            out.append(Problem(node_id=edge.source, message="error.edge_dangling"))
            continue
        if edge.source in handles and edge.source_handle not in handles[edge.source]:
            out.append(Problem(node_id=edge.source, message="error.edge_handle"))
        if (edge.source, edge.source_handle) in seen:
            out.append(Problem(node_id=edge.source, message="error.edge_twice"))
        seen.add((edge.source, edge.source_handle))
    for node in graph.nodes:
        node_type = REGISTRY.get(node.type)
        if node_type and node_type.category in ("condition", "flow") and node.id in handles:
            for handle in handles[node.id]:
                if (node.id, handle) not in seen:
                    out.append(
                        Problem(
                            node_id=node.id,
                            message="error.branch_unconnected",
                            params={"handle": handle},
                        )
                    )
    if len(triggers) == 1:
        trigger = triggers[0]
        if (trigger.id, "out") not in seen:
            out.append(Problem(node_id=trigger.id, message="error.trigger_unconnected"))
        reachable = _reachable(graph, trigger.id)
        for node in graph.nodes:
            if node.id not in reachable:
                out.append(Problem(node_id=node.id, message="error.node_unreachable"))
        out.extend(Problem(node_id=n, message="error.cycle") for n in _cycles_without_wait(graph))
    return out


def _reachable(graph: Graph, start: str) -> set[str]:
    seen, todo = {start}, [start]
    while todo:
        current = todo.pop()
        for edge in graph.edges:
            if edge.source == current and edge.target not in seen:
                seen.add(edge.target)
                todo.append(edge.target)
    return seen


def _cycles_without_wait(graph: Graph) -> list[str]:
    """Nodes on a loop that has no wait node in it (a loop must pause between rounds)."""
    waits = {n.id for n in graph.nodes if n.type == "wait"}
    succ: dict[str, list[str]] = defaultdict(list)
    for edge in graph.edges:
        if edge.source not in waits:
            succ[edge.source].append(edge.target)
    bad: set[str] = set()
    state: dict[str, int] = {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in succ.get(node, []):
            if state.get(nxt) == 1:
                bad.update(stack[stack.index(nxt) :])
            elif nxt not in state:
                visit(nxt, stack)
        stack.pop()
        state[node] = 2

    for node in [n.id for n in graph.nodes if n.id not in waits]:
        if node not in state:
            visit(node, [])
    return sorted(bad)


# ---- versions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CompiledVersion:
    graph: Graph
    configs: dict[str, BaseModel]
    first_node: str | None


@lru_cache(maxsize=256)
def _compiled(workflow_id: int, version: int, graph_json: str) -> CompiledVersion:
    graph = Graph.model_validate_json(graph_json)
    configs = {n.id: parse_config(n) for n in graph.nodes}
    trigger = graph.trigger()
    return CompiledVersion(graph, configs, graph.next_node(trigger.id, "out") if trigger else None)


def compiled(session: Session, workflow_id: int, version: int) -> CompiledVersion:
    """Published versions never change, so each is parsed once per process."""
    row = session.exec(
        select(WorkflowVersion).where(
            WorkflowVersion.workflow_id == workflow_id, WorkflowVersion.version == version
        )
    ).one()
    return _compiled(workflow_id, version, json.dumps(row.graph, sort_keys=True))


# ---- starting runs ----------------------------------------------------------------------


def start_runs(
    session: Session,
    workflow: Workflow,
    member_ids: Iterable[int],
    trigger_key: str,
    now: datetime | None = None,
) -> list[int]:
    """Create one run per member for this trigger occurrence; an existing one is kept
    (INSERT … ON CONFLICT DO NOTHING), so a trigger seen twice starts each member once."""
    if workflow.published_version is None:
        return []
    version = compiled(session, workflow.id or 0, workflow.published_version)
    ids = list(dict.fromkeys(member_ids))
    if not ids or version.first_node is None:
        return []
    now = now or utcnow()
    table = WorkflowRun.__table__  # type: ignore[attr-defined]  # SQLModel's stubs lack __table__
    make = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    rows = [
        {
            "workflow_id": workflow.id,
            "version": workflow.published_version,
            "member_id": m,
            "trigger_key": trigger_key,
            "status": RunStatus.RUNNING,
            "cursor": version.first_node,
            "steps": 0,
            "wake_at": None,
            "dry_run": False,
            "error": "",
            "started_at": now,
            "finished_at": None,
        }
        for m in ids
    ]
    created: list[int] = []
    for start in range(0, len(rows), 1000):
        stmt = (
            make(table)
            .on_conflict_do_nothing(index_elements=["workflow_id", "member_id", "trigger_key"])
            .returning(table.c.id)
        )
        created.extend(int(r[0]) for r in session.execute(stmt, rows[start : start + 1000]))
    return created


# ---- advancing runs ---------------------------------------------------------------------


@dataclass
class WaveReport:
    steps: int = 0
    finished: int = 0
    waiting: list[tuple[int, datetime]] = field(default_factory=list)


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
                pending |= _apply_calls(session, answered, now(), report)
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


def _retrying_steps(session: Session, run_ids: list[int]) -> dict[tuple[int, int], StepExecution]:
    return {
        (s.run_id, s.seq): s
        for s in session.exec(
            select(StepExecution).where(
                col(StepExecution.run_id).in_(run_ids or [-1]),
                StepExecution.status == StepStatus.RETRYING,
            )
        ).all()
    }


def _apply_calls(
    session: Session,
    answered: list[tuple[Call, Outcome | Exception]],
    now: datetime,
    report: WaveReport,
) -> set[int]:
    """Record the calls' outcomes like any step's, for runs still standing where the call
    was prepared (a run another worker moved on meanwhile keeps what that worker did)."""
    by_run = {call.run_id: (call, outcome) for call, outcome in answered}
    runs = session.exec(
        select(WorkflowRun).where(col(WorkflowRun.id).in_(sorted(by_run))).with_for_update()
    ).all()
    for run in runs:
        session.expunge(run)
    failed_steps = _retrying_steps(session, [r.id or 0 for r in runs])
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
            _apply(
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
    _save_wave(session, runs, new_steps)
    return still


def _wave(
    session: Session,
    pending: set[int],
    now: datetime,
    report: WaveReport,
    members: dict[int, Member],
) -> tuple[set[int], list[Call]]:
    runs = session.exec(
        select(WorkflowRun).where(col(WorkflowRun.id).in_(sorted(pending))).with_for_update()
    ).all()
    for run in runs:  # plain objects from here on; _save_runs writes them back in bulk
        session.expunge(run)
    groups: dict[tuple[int, int, str], list[WorkflowRun]] = defaultdict(list)
    for run in runs:
        if run.status == RunStatus.WAITING and run.wake_at and run.wake_at <= now:
            run.status = RunStatus.RUNNING
        elif run.status == RunStatus.WAITING and run.wake_at:
            report.waiting.append((run.id or 0, run.wake_at))  # woken early: sleep on
        if run.status == RunStatus.RUNNING:
            groups[(run.workflow_id, run.version, run.cursor)].append(run)
    missing = [r.member_id for r in runs if r.member_id not in members]
    if missing:
        members.update(
            {
                m.id or 0: m
                for m in session.exec(select(Member).where(col(Member.id).in_(missing))).all()
            }
        )
    workflows = {
        w.id: w
        for w in session.exec(
            select(Workflow).where(col(Workflow.id).in_({r.workflow_id for r in runs} or {-1}))
        ).all()
    }
    failed_steps = _retrying_steps(session, [r.id or 0 for r in runs])
    still: set[int] = set()
    new_steps: list[dict[str, Any]] = []
    calls: list[Call] = []
    for (workflow_id, version, cursor), group in groups.items():
        plan = compiled(session, workflow_id, version)
        node = plan.graph.node(cursor)
        if node is None:
            for run in group:
                _finish(run, RunStatus.COMPLETED, now, report)
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
        _apply(
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
    _save_wave(session, runs, new_steps)
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


def _apply(
    session: Session,
    plan: CompiledVersion,
    node: NodeSpec,
    group: list[WorkflowRun],
    seqs: list[int],
    outcomes: list[Outcome | Exception],
    failed_steps: dict[tuple[int, int], StepExecution],
    now: datetime,
    report: WaveReport,
    new_steps: list[dict[str, Any]],
    still: set[int],
) -> None:
    """A node's outcomes for its runs: the step rows, and each run's next cursor or state."""
    for run, seq, outcome in zip(group, seqs, outcomes, strict=True):
        retry_row = failed_steps.get((run.id or 0, seq))
        if isinstance(outcome, Exception):
            _failed(session, run, node, seq, outcome, retry_row, now, report, new_steps)
            continue
        if outcome.retry_at is not None:  # e.g. quiet hours: same node later
            run.status, run.wake_at = RunStatus.WAITING, outcome.retry_at
            report.waiting.append((run.id or 0, outcome.retry_at))
            continue
        step = {
            "run_id": run.id,
            "seq": seq,
            "node_id": node.id,
            "node_type": node.type,
            "status": StepStatus.SUCCEEDED,
            "attempt": 1,
            "handle": outcome.handle,
            "input": {},
            "output": outcome.output,
            "error": "",
            "started_at": now,
            "finished_at": now,
        }
        if retry_row is not None:
            retry_row.status, retry_row.output, retry_row.handle = (
                StepStatus.SUCCEEDED,
                outcome.output,
                outcome.handle,
            )
            retry_row.attempt += 1
            retry_row.finished_at, retry_row.error = now, ""
            session.add(retry_row)
        else:
            new_steps.append(step)
        report.steps += 1
        run.steps = seq
        if outcome.stop:
            _finish(run, RunStatus.STOPPED, now, report)
            continue
        nxt = plan.graph.next_node(node.id, outcome.handle)
        if nxt is None:
            _finish(run, RunStatus.COMPLETED, now, report)
            continue
        run.cursor = nxt
        if outcome.wait_until is not None and outcome.wait_until > now:
            run.status, run.wake_at = RunStatus.WAITING, outcome.wait_until
            report.waiting.append((run.id or 0, outcome.wait_until))
        else:
            still.add(run.id or 0)


RUN_FIELDS = ("status", "cursor", "steps", "wake_at", "error", "finished_at")


def _save_wave(
    session: Session, runs: Sequence[WorkflowRun], new_steps: list[dict[str, Any]]
) -> None:
    if new_steps:
        session.execute(
            insert(StepExecution.__table__),  # type: ignore[attr-defined]  # SQLModel's stubs lack __table__
            new_steps,
        )
    _save_runs(session, runs)


def _save_runs(session: Session, runs: Sequence[WorkflowRun]) -> None:
    """One executemany UPDATE for the wave's runs (they were detached from the session, so the
    ORM does not write them row by row as well)."""
    if not runs:
        return
    table = WorkflowRun.__table__  # type: ignore[attr-defined]  # SQLModel's stubs lack __table__
    session.connection().execute(
        update(table)
        .where(table.c.id == bindparam("rid"))
        .values(**{f: bindparam(f) for f in RUN_FIELDS}),
        [{"rid": r.id, **{f: getattr(r, f) for f in RUN_FIELDS}} for r in runs],
    )


def retry_delays() -> list[timedelta]:
    raw = get_settings().workflow_retry_seconds
    return [timedelta(seconds=float(x)) for x in raw.split(",") if x.strip()] or [
        timedelta(seconds=10)
    ]


def _finish(run: WorkflowRun, status: RunStatus, now: datetime, report: WaveReport) -> None:
    run.status, run.finished_at, run.wake_at = status, now, None
    report.finished += 1


def _failed(
    session: Session,
    run: WorkflowRun,
    node: NodeSpec,
    seq: int,
    exc: Exception,
    row: StepExecution | None,
    now: datetime,
    report: WaveReport,
    new_steps: list[dict[str, Any]],
) -> None:
    """Retry with backoff; after the last attempt the step and the run stay failed, visible."""
    message = f"{type(exc).__name__}: {exc}"[:1000]
    attempt = (row.attempt + 1) if row is not None else 1
    final = attempt >= MAX_ATTEMPTS
    status = StepStatus.FAILED if final else StepStatus.RETRYING
    if row is None:
        new_steps.append(
            {
                "run_id": run.id,
                "seq": seq,
                "node_id": node.id,
                "node_type": node.type,
                "status": status,
                "attempt": attempt,
                "handle": "",
                "input": {},
                "output": {},
                "error": message,
                "started_at": now,
                "finished_at": now,
            }
        )
    else:
        row.status, row.attempt, row.error, row.finished_at = status, attempt, message, now
        session.add(row)
    if final:
        run.status, run.error, run.wake_at = RunStatus.FAILED, message, None
    else:
        backoff = retry_delays()
        run.status = RunStatus.WAITING
        run.wake_at = now + backoff[min(attempt - 1, len(backoff) - 1)]
        report.waiting.append((run.id or 0, run.wake_at))


def due_runs(session: Session, now: datetime, limit: int = 5000) -> list[int]:
    """Waiting runs whose time has come (the reconciler wakes them if Redis lost the job)."""
    return cast(  # ids read back from the table are never None
        "list[int]",
        list(
            session.exec(
                select(WorkflowRun.id)
                .where(WorkflowRun.status == RunStatus.WAITING, col(WorkflowRun.wake_at) <= now)
                .order_by(col(WorkflowRun.wake_at))
                .limit(limit)
            ).all()
        ),
    )


def stale_running(session: Session, before: datetime, limit: int = 5000) -> list[int]:
    """Runs marked running that started long ago: their job was lost; run them again."""
    return cast(  # ids read back from the table are never None
        "list[int]",
        list(
            session.exec(
                select(WorkflowRun.id)
                .where(WorkflowRun.status == RunStatus.RUNNING, WorkflowRun.started_at < before)
                .order_by(col(WorkflowRun.id))
                .limit(limit)
            ).all()
        ),
    )

"""A node's outcomes written back: step rows, each run's next cursor or state, retries with
backoff, all in bulk statements for the wave."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, literal, update
from sqlmodel import Session, col, select

from backoffice.models import (
    RunStatus,
    StepExecution,
    StepStatus,
    WorkflowRun,
)
from backoffice.services.batching import chunks
from backoffice.settings import get_settings
from backoffice.workflows.engine.runs import CompiledVersion
from backoffice.workflows.nodes import Outcome
from backoffice.workflows.schema import NodeSpec
from backoffice.workflows.steps import RunState

MAX_ATTEMPTS = 3


@dataclass
class WaveReport:
    steps: int = 0
    finished: int = 0
    waiting: list[tuple[int, datetime]] = field(default_factory=list)


def retrying_steps(session: Session, run_ids: list[int]) -> dict[tuple[int, int], StepExecution]:
    """The steps of these runs that failed and wait for another attempt."""
    found: dict[tuple[int, int], StepExecution] = {}
    for part in chunks(run_ids):
        for step in session.exec(
            select(StepExecution).where(
                col(StepExecution.run_id).in_(part),
                StepExecution.status == StepStatus.RETRYING,
            )
        ).all():
            found[(step.run_id, step.seq)] = step
    return found


def apply_outcomes(
    session: Session,
    plan: CompiledVersion,
    node: NodeSpec,
    group: list[RunState],
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
            finish(run, RunStatus.STOPPED, now, report)
            continue
        nxt = plan.graph.next_node(node.id, outcome.handle)
        if nxt is None:
            finish(run, RunStatus.COMPLETED, now, report)
            continue
        run.cursor = nxt
        if outcome.wait_until is not None and outcome.wait_until > now:
            run.status, run.wake_at = RunStatus.WAITING, outcome.wait_until
            report.waiting.append((run.id or 0, outcome.wait_until))
        else:
            still.add(run.id or 0)


RUN_FIELDS = ("status", "cursor", "steps", "wake_at", "error", "finished_at")
STEP_FIELDS: tuple[str, ...] = (
    "node_id",
    "node_type",
    "status",
    "attempt",
    "handle",
    "input",
    "output",
)
STEP_FIELDS += ("error", "started_at", "finished_at")


def save_wave(session: Session, runs: Sequence[RunState], new_steps: list[dict[str, Any]]) -> None:
    """The wave's step rows, then its runs, in grouped statements: the runs of one node
    share their step (same node, output, handle) and their next state, so a batch of a
    thousand runs is a handful of INSERT … SELECT and UPDATE … WHERE id IN (…)."""
    if new_steps:
        _insert_steps(session, new_steps)
    _save_runs(session, runs)


def _insert_steps(session: Session, new_steps: list[dict[str, Any]]) -> None:
    table = StepExecution.__table__  # type: ignore[attr-defined]  # SQLModel's stubs lack __table__
    runs = WorkflowRun.__table__  # type: ignore[attr-defined]  # SQLModel's stubs lack __table__
    groups: dict[Any, list[dict[str, Any]]] = {}
    for step in new_steps:
        groups.setdefault(_same_step(step), []).append(step)
    for steps in groups.values():
        first = steps[0]
        values = [literal(first["seq"], table.c.seq.type)]
        values += [literal(first[f], table.c[f].type) for f in STEP_FIELDS]
        for part in chunks([s["run_id"] for s in steps]):
            session.execute(
                insert(table).from_select(
                    ["run_id", "seq", *STEP_FIELDS],
                    select(runs.c.id, *values).where(runs.c.id.in_(part)),
                )
            )


def _same_step(step: dict[str, Any]) -> Any:
    """What the steps of one group share (everything but the run): plain outputs compare as
    tuples, anything nested as its JSON."""
    flat = [step["seq"]] + [step[f] for f in STEP_FIELDS if f not in ("input", "output")]
    key = (*flat, *sorted(step["input"].items()), None, *sorted(step["output"].items()))
    try:
        hash(key)
    except TypeError:  # a list or a dict inside the output
        return json.dumps([step[f] for f in ("seq", *STEP_FIELDS)], default=str, sort_keys=True)
    return key


def _save_runs(session: Session, runs: Sequence[RunState]) -> None:
    """One UPDATE per distinct new state (status, cursor, steps, …) and slice of ids."""
    table = WorkflowRun.__table__  # type: ignore[attr-defined]  # SQLModel's stubs lack __table__
    groups: dict[tuple[Any, ...], list[int]] = {}
    for run in runs:
        groups.setdefault(tuple(getattr(run, f) for f in RUN_FIELDS), []).append(run.id)
    for state, ids in groups.items():
        for part in chunks(ids):
            session.connection().execute(
                update(table)
                .where(table.c.id.in_(part))
                .values(dict(zip(RUN_FIELDS, state, strict=True)))
            )


def retry_delays() -> list[timedelta]:
    raw = get_settings().workflow_retry_seconds
    return [timedelta(seconds=float(x)) for x in raw.split(",") if x.strip()] or [
        timedelta(seconds=10)
    ]


def finish(run: RunState, status: RunStatus, now: datetime, report: WaveReport) -> None:
    run.status, run.finished_at, run.wake_at = status, now, None
    report.finished += 1


def _failed(
    session: Session,
    run: RunState,
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

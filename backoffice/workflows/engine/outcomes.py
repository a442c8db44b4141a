"""A node's outcomes written back: step rows, each run's next cursor or state, retries with
backoff, all in bulk statements for the wave."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, insert, update
from sqlmodel import Session, col, select

from backoffice.models import (
    RunStatus,
    StepExecution,
    StepStatus,
    WorkflowRun,
)
from backoffice.settings import get_settings
from backoffice.workflows.engine.runs import CompiledVersion
from backoffice.workflows.nodes import Outcome
from backoffice.workflows.schema import NodeSpec

MAX_ATTEMPTS = 3


@dataclass
class WaveReport:
    steps: int = 0
    finished: int = 0
    waiting: list[tuple[int, datetime]] = field(default_factory=list)


def retrying_steps(session: Session, run_ids: list[int]) -> dict[tuple[int, int], StepExecution]:
    return {
        (s.run_id, s.seq): s
        for s in session.exec(
            select(StepExecution).where(
                col(StepExecution.run_id).in_(run_ids or [-1]),
                StepExecution.status == StepStatus.RETRYING,
            )
        ).all()
    }


def apply_outcomes(
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


def save_wave(
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


def finish(run: WorkflowRun, status: RunStatus, now: datetime, report: WaveReport) -> None:
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

"""Published versions (parsed once per process), runs started exactly once per member and
occurrence, and the runs the reconciler looks for (due, stale)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import cast

from pydantic import BaseModel
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from backoffice.models import (
    RunStatus,
    Workflow,
    WorkflowRun,
    WorkflowVersion,
)
from backoffice.models.base import utcnow
from backoffice.workflows.engine.validation import parse_config
from backoffice.workflows.schema import Graph


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

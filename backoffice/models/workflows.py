"""Workflows as data: a versioned JSON graph, runs with one step row per node, segments."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from backoffice.models.base import utcnow


class WorkflowStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    PAUSED = "paused"
    ARCHIVED = "archived"


class Workflow(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    description: str = Field(default="", max_length=500)
    # Empty: head office, all stores. Otherwise the stores whose members it may touch.
    store_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: WorkflowStatus = Field(default=WorkflowStatus.DRAFT, max_length=12)
    draft: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    published_version: int | None = None
    trigger_type: str = Field(default="", max_length=40, index=True)  # of the published version
    # The campaign's goal, for conversion and attributed revenue: "sale" within goal_days
    # of the member entering the workflow ("" = no goal).
    goal_kind: str = Field(default="", max_length=20)
    goal_days: int = 7
    created_by: int | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class WorkflowVersion(SQLModel, table=True):
    """A published graph, frozen: runs finish on the version they started on."""

    __table_args__ = (UniqueConstraint("workflow_id", "version", name="uq_workflow_version"),)

    id: int | None = Field(default=None, primary_key=True)
    workflow_id: int = Field(foreign_key="workflow.id", index=True)
    version: int
    graph: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_by: int | None = None
    created_at: datetime = Field(default_factory=utcnow)


class RunStatus(StrEnum):
    RUNNING = "running"
    WAITING = "waiting"
    COMPLETED = "completed"
    FAILED = "failed"
    STOPPED = "stopped"


class WorkflowRun(SQLModel, table=True):
    """One member going through one workflow version, once per trigger occurrence."""

    __table_args__ = (
        UniqueConstraint("workflow_id", "member_id", "trigger_key", name="uq_run_once"),
        Index("ix_run_status_wake", "status", "wake_at"),
        Index("ix_run_workflow_started", "workflow_id", "started_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workflow_id: int = Field(foreign_key="workflow.id")
    version: int
    member_id: int = Field(foreign_key="member.id", index=True)
    trigger_key: str = Field(max_length=80)  # event:<id>, birthday:2026, manual:<batch>, …
    status: RunStatus = Field(default=RunStatus.RUNNING, max_length=10)
    cursor: str = Field(default="", max_length=40)  # the node to execute next
    steps: int = 0  # steps taken; the next step's sequence number is steps + 1
    wake_at: datetime | None = None
    dry_run: bool = False
    error: str = Field(default="", max_length=1000)
    started_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    # The RQ job that holds the run while it is "running" (None: advanced in place); the
    # scheduler's reconciler re-queues runs whose job is gone, failed or no longer beats.
    job_id: str | None = Field(default=None, max_length=40, index=True)


class StepStatus(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    RETRYING = "retrying"


class StepExecution(SQLModel, table=True):
    """One step of one run. (run, seq) is unique and written in the same transaction as the
    step's effect, so a re-delivered or retried job never repeats an effect."""

    __table_args__ = (UniqueConstraint("run_id", "seq", name="uq_step_once"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="workflowrun.id", index=True)
    seq: int
    node_id: str = Field(max_length=40)
    node_type: str = Field(max_length=40)
    status: StepStatus = Field(max_length=10)
    attempt: int = 1
    handle: str = Field(default="", max_length=20)  # the outgoing handle taken (yes/no/a/b…)
    input: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    output: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    error: str = Field(default="", max_length=1000)
    started_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None


class Segment(SQLModel, table=True):
    """A saved member filter in the condition language (for schedule and manual triggers)."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    store_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    condition: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_by: int | None = None
    created_at: datetime = Field(default_factory=utcnow)


class StaffTask(SQLModel, table=True):
    """A follow-up for a store's staff created by a workflow ("call this member")."""

    __table_args__ = (UniqueConstraint("idempotency_key", name="uq_task_key"),)

    id: int | None = Field(default=None, primary_key=True)
    store_id: int = Field(foreign_key="store.id", index=True)
    member_id: int = Field(foreign_key="member.id")
    title: str = Field(max_length=200)
    due_at: datetime | None = None
    done_at: datetime | None = None
    idempotency_key: str = Field(max_length=80)
    created_at: datetime = Field(default_factory=utcnow)


class SchedulerState(SQLModel, table=True):
    """What the scheduler has done, kept in the database (the truth), not in Redis: the last
    minute ticked (catch-up starts there), the last nightly run, the last session purge,
    the last error of each task."""

    name: str = Field(primary_key=True, max_length=40)
    value: str = Field(default="", max_length=1000)
    updated_at: datetime = Field(default_factory=utcnow)

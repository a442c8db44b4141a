"""What a node's code works with: the step's context (session, run, member, node, now) and
its outcome (which handle to follow, output, a wait or a retry)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session

from backoffice.models import Member, RunStatus, Workflow, WorkflowRun

# The run columns a wave reads and writes back (plain values: a batch of thousands of runs
# as ORM objects costs more in attribute bookkeeping than the SQL itself).
RUN_COLUMNS: tuple[str, ...] = ("id", "workflow_id", "version", "member_id", "status")
RUN_COLUMNS += ("cursor", "steps", "wake_at", "error", "finished_at")


@dataclass(slots=True)
class RunState:
    """A run as a wave sees it: read in one query, written back in grouped UPDATEs."""

    id: int
    workflow_id: int
    version: int
    member_id: int
    status: RunStatus
    cursor: str
    steps: int
    wake_at: datetime | None
    error: str
    finished_at: datetime | None


@dataclass
class Context:
    session: Session
    run: RunState | WorkflowRun  # a test run (dry run) passes an unsaved WorkflowRun
    workflow: Workflow
    member: Member
    node_id: str
    now: datetime
    seq: int = 1
    dry_run: bool = False

    @property
    def key(self) -> str:
        """The idempotency key of this step's effect: (run, step) — the run fixes the member."""
        return f"wf{self.run.id}:{self.seq}"


@dataclass
class Outcome:
    handle: str = "out"  # which outgoing edge to follow; no edge there ends the run
    output: dict[str, Any] = field(default_factory=dict)
    wait_until: datetime | None = None  # pause the run, then continue after this node
    retry_at: datetime | None = None  # pause, then run this same node again (quiet hours)
    stop: bool = False

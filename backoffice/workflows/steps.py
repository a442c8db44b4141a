"""What a node's code works with: the step's context (session, run, member, node, now) and
its outcome (which handle to follow, output, a wait or a retry)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session

from backoffice.models import Member, Workflow, WorkflowRun


@dataclass
class Context:
    session: Session
    run: WorkflowRun
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

"""The builder's run history: runs of the workflow by status, one run's steps, retrying a
failed run, and per-node counters drawn on the canvas.

A mixin of BuilderState (builder.py)."""

from __future__ import annotations

import json
from typing import Any

import reflex as rx

from backoffice.db import session_scope
from backoffice.errors import DomainError
from backoffice.i18n import format_when
from backoffice.pages.session import SessionState, SignedOut
from backoffice.workflows.campaigns import builder as wb
from backoffice.workflows.campaigns.handoff import submit_runs
from backoffice.workflows.campaigns.lifecycle import (
    list_runs,
    retry_run,
    run_steps,
)

RUN_STATUSES = ("running", "waiting", "completed", "failed", "stopped")


class RunsMixin(SessionState, mixin=True):
    show_counters: bool = False
    run_filter: str = "all"
    runs: list[dict[str, str]] = []
    run_detail: dict[str, str] = {}
    steps: list[dict[str, str]] = []

    @rx.event
    def toggle_counters(self, value: bool) -> Any:
        self.show_counters = bool(value)
        return type(self).redraw

    @rx.event
    def set_run_filter(self, value: str) -> Any:
        self.run_filter = value if value in RUN_STATUSES else "all"
        return type(self).load_runs

    @rx.event
    def load_runs(self) -> Any:
        try:
            with session_scope() as session:
                actor = self._actor(session)
                found = list_runs(
                    session,
                    actor,
                    self._workflow_id,
                    "" if self.run_filter == "all" else self.run_filter,
                    100,
                )
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        self.runs = [
            {
                "id": str(r.id),
                "member_id": str(r.member_id),
                "status": r.status.value,
                "status_label": self._tr(f"runstatus.{r.status.value}"),
                "version": f"v{r.version}",
                "node": r.cursor or "—",
                "started": format_when(r.started_at, self.lang),
                "error": r.error,
            }
            for r in found
        ]
        return None

    @rx.event
    def open_run(self, run_id: str) -> Any:
        if not str(run_id).isdigit():
            return None
        try:
            with session_scope() as session:
                actor = self._actor(session)
                run, steps = run_steps(session, actor, int(run_id))
                if run.workflow_id != self._workflow_id:
                    return None
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        self.run_detail = {
            "id": str(run.id),
            "status": run.status.value,
            "status_label": self._tr(f"runstatus.{run.status.value}"),
            "error": run.error,
            "failed": "yes" if run.status.value == "failed" else "",
        }
        self.steps = [
            {
                "seq": str(s.seq),
                "node": s.node_id,
                "type": self._tr(wb.node_type_label(s.node_type, s.node_type)),
                "status": s.status.value,
                "attempt": str(s.attempt),
                "handle": s.handle,
                "input": json.dumps(s.input, ensure_ascii=False)[:500],
                "output": json.dumps(s.output, ensure_ascii=False)[:500],
                "error": s.error,
            }
            for s in steps
        ]
        return None

    @rx.event
    def retry(self, run_id: str) -> Any:
        if not str(run_id).isdigit():
            return None
        try:
            self._call(retry_run, int(run_id))
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        submit_runs([int(run_id)])
        return [
            type(self).load_runs,
            type(self).open_run(str(run_id)),
            rx.toast.success(self._tr("builder.retried")),
        ]

"""The builder's test run: one member or a sample of a segment through the draft, without
sending anything; the path taken is drawn on the canvas.

A mixin of BuilderState (builder.py)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from backoffice.db import session_scope
from backoffice.errors import DomainError, ValidationFailed
from backoffice.pages.session import SessionState, SignedOut
from backoffice.services.members.search import MemberQuery, search_members
from backoffice.workflows.campaigns import builder as wb
from backoffice.workflows.campaigns.lifecycle import (
    dry_run_sample,
    dry_run_workflow,
)


class TestRunMixin(SessionState, mixin=True):
    test_open: bool = False
    test_query: str = ""
    test_candidates: list[dict[str, str]] = []
    test_segment: str = ""
    segment_options: list[list[str]] = []
    test_results: list[dict[str, Any]] = []
    test_error: str = ""

    @rx.event
    def set_test_open(self, value: bool) -> None:
        self.test_open, self.test_error = bool(value), ""
        if not value:
            return
        self.test_candidates = []

    @rx.event
    def find_test_member(self, form: dict[str, Any]) -> Any:
        query = str(form.get("q", "")).strip()[:60]
        if not query:
            return None
        try:
            with session_scope() as session:
                actor = self._actor(session)
                page = search_members(session, actor, MemberQuery(q=query, page_size=8))
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        self.test_candidates = [
            {"id": str(r.id), "label": f"{r.name} · {r.member_no} · {r.phone}"} for r in page.rows
        ]
        self.test_error = "" if page.rows else self._tr("error.member_not_found")
        return None

    def _show_results(self, results: list[Any]) -> None:
        self.test_results = [
            {
                "member": r.member_name,
                "path": " → ".join(
                    self._tr(wb.node_type_label(s.node_type))
                    + (f" ({s.handle})" if s.handle not in ("", "out") else "")
                    for s in r.path
                    if wb.is_node_type(s.node_type)
                ),
                "messages": list(r.messages),
                "error": next((s.error for s in r.path if s.error), ""),
            }
            for r in results
        ]
        self._path = [s.node_id for s in results[0].path] if results else []

    def _test(self, run: Any) -> Any:
        try:
            with session_scope() as session:
                actor = self._actor(session)
                results = run(session, actor)
                self._show_results(results)
                self._draw(session, actor)
        except ValidationFailed as exc:
            self.test_error = "; ".join(self._field_errors(exc).values())
            return None
        except (SignedOut, DomainError) as exc:
            self.test_error = self._error(exc)
            return self._fail(exc) if isinstance(exc, SignedOut) else None
        self.test_error = "" if self.test_results else self._tr("builder.sample_empty")
        return None

    @rx.event
    def test_member(self, member_id: str) -> Any:
        if not str(member_id).isdigit():
            return None
        return self._test(lambda s, a: [dry_run_workflow(s, a, self._workflow_id, int(member_id))])

    @rx.event
    def set_test_segment(self, value: str) -> None:
        self.test_segment = str(value)

    @rx.event
    def test_sample(self) -> Any:
        segment = int(self.test_segment) if self.test_segment.isdigit() else None
        return self._test(lambda s, a: dry_run_sample(s, a, self._workflow_id, segment, 10))

    @rx.event
    def clear_test(self) -> Any:
        self._path, self.test_results = [], []
        try:
            with session_scope() as session:
                self._draw(session, self._actor(session))
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        return None

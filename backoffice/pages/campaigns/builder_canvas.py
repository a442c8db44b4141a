"""The builder's canvas: drawing the draft, saving each edit, selection, undo/redo, tidy.

A mixin of BuilderState (builder.py): the side panel (`_panel`), the run counters
(`show_counters`) and the test path it draws come from the other builder mixins."""

from __future__ import annotations

from typing import Any

import reflex as rx
from sqlmodel import Session

from backoffice.db import session_scope
from backoffice.errors import DomainError, ValidationFailed
from backoffice.pages.session import SessionState, SignedOut
from backoffice.services.org.access import Actor
from backoffice.workflows.campaigns import builder as wb
from backoffice.workflows.campaigns.lifecycle import (
    node_counters,
    save_graph,
    validate_workflow,
)

HISTORY = 50


class CanvasMixin(SessionState, mixin=True):
    canvas: dict[str, Any] = {"nodes": [], "edges": [], "revision": 0, "selected": ""}
    palette: list[dict[str, Any]] = []
    problems: list[dict[str, str]] = []
    saved_at: str = ""
    selected: str = ""  # the node whose side panel is open
    # backend only: the saved draft, undo/redo stacks, the test path
    _draft: dict[str, Any] = {}
    _undo: list[dict[str, Any]] = []
    _redo: list[dict[str, Any]] = []
    _path: list[str] = []
    _revision: int = 0

    def _draw(self, session: Session, actor: Actor, bump: bool = True) -> None:
        """Re-read problems (and counters) and hand the canvas a new revision."""
        problems = validate_workflow(session, actor, self._workflow_id)
        counters = node_counters(session, actor, self._workflow_id) if self.show_counters else None
        if bump:
            self._revision += 1
        self.canvas = wb.canvas_view(
            self._draft,
            self.lang,
            wb.load_names(session),
            problems=problems,
            counters=counters,
            path=self._path,
            selected=self.selected,
            revision=self._revision,
        )
        labels = {n["id"]: f"{n['label']} {n['id']}" for n in self.canvas["nodes"]}
        self.problems = [
            {
                "node_id": p.node_id,
                "text": wb.problem_text(p, self.lang),
                "where": labels.get(p.node_id, p.node_id) or self._tr("builder.whole_flow"),
            }
            for p in problems
        ]

    def _commit(self, graph: dict[str, Any], remember: bool = True) -> Any:
        """Save a new draft graph through the service; on success it becomes undoable."""
        try:
            with session_scope() as session:
                actor = self._actor(session)
                saved = save_graph(session, actor, self._workflow_id, graph)
                if remember:
                    self._undo = (self._undo + [self._draft])[-HISTORY:]
                    self._redo = []
                self._draft = dict(saved.draft)
                self._path = []
                self._draw(session, actor)
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        self.saved_at = self._tr("builder.saved")
        return None

    @rx.event
    def canvas_changed(self, graph: dict[str, Any]) -> Any:
        """Drag stop, connect or delete on the canvas."""
        try:
            merged = wb.apply_canvas(self._draft, graph)
        except ValidationFailed as exc:
            return rx.toast.error(self._error(exc))
        if merged == wb.apply_canvas(self._draft, _as_canvas(self._draft)):
            return None
        if self.selected and not any(n["id"] == self.selected for n in merged["nodes"]):
            self.selected = ""
        result = self._commit(merged)
        self._panel()
        return result

    @rx.event
    def node_dropped(self, node_type: str, x: float, y: float) -> Any:
        try:
            graph, node_id = wb.add_node(self._draft, str(node_type), float(x), float(y))
        except (ValidationFailed, TypeError, ValueError):
            return rx.toast.error(self._tr("error.node_type"))
        self.selected = node_id
        result = self._commit(graph)
        self._panel()
        return result

    @rx.event
    def node_selected(self, node_id: str) -> None:
        ids = {n.get("id") for n in self._draft.get("nodes") or []}
        self.selected = str(node_id) if node_id in ids else ""
        self.canvas = {**self.canvas, "selected": self.selected}
        self._panel()

    @rx.event
    def delete_selected(self) -> Any:
        if not self.selected:
            return None
        graph = wb.remove_node(self._draft, self.selected)
        self.selected = ""
        result = self._commit(graph)
        self._panel()
        return result

    @rx.event
    def undo(self) -> Any:
        return self._travel(back=True)

    @rx.event
    def redo(self) -> Any:
        return self._travel(back=False)

    def _travel(self, back: bool) -> Any:
        """Save the draft from the top of one history stack, moving the current to the other."""
        source = self._undo if back else self._redo
        if not source:
            return None
        current = self._draft
        result = self._commit(source[-1], remember=False)
        if result is None:
            if back:
                self._undo, self._redo = self._undo[:-1], (self._redo + [current])[-HISTORY:]
            else:
                self._redo, self._undo = self._redo[:-1], (self._undo + [current])[-HISTORY:]
        self._panel()
        return result

    @rx.event
    def redraw(self) -> Any:
        try:
            with session_scope() as session:
                self._draw(session, self._actor(session))
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        return None


def _as_canvas(draft: dict[str, Any]) -> dict[str, Any]:
    return {
        "nodes": [
            {"id": n.get("id"), "position": n.get("position")} for n in draft.get("nodes") or []
        ],
        "edges": list(draft.get("edges") or []),
    }

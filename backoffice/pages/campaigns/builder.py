"""/workflows/edit?id=: the campaign builder's state. The page edits the draft's JSON
graph and calls the campaign use cases; every edit is saved at once (and audited by the
service when it changes nodes or edges).

BuilderState is one Reflex state composed of mixins, one module per concern, so every
handler stays `BuilderState.<name>` for the page and the canvas component:
builder_canvas (drawing, saving, undo), builder_panel (the node form), builder_segments,
builder_messages (the panel's dialogs), builder_test_run, builder_publish, builder_runs,
builder_versions.
A mixin chains to another's handler through `type(self).<name>`: BuilderState's own.
This module loads the workflow and holds its settings (name, description, goal).
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from backoffice.db import session_scope
from backoffice.errors import DomainError, ValidationFailed
from backoffice.i18n import format_money
from backoffice.pages.campaigns.builder_canvas import CanvasMixin
from backoffice.pages.campaigns.builder_messages import MessageMixin
from backoffice.pages.campaigns.builder_panel import PanelMixin
from backoffice.pages.campaigns.builder_publish import PublishMixin
from backoffice.pages.campaigns.builder_runs import RUN_STATUSES, RunsMixin
from backoffice.pages.campaigns.builder_segments import SegmentMixin
from backoffice.pages.campaigns.builder_test_run import TestRunMixin
from backoffice.pages.campaigns.builder_versions import VersionsMixin
from backoffice.pages.session import SessionState, SignedOut
from backoffice.services.org.stores import visible_stores
from backoffice.workflows.campaigns import builder as wb
from backoffice.workflows.campaigns.lifecycle import (
    WorkflowInput,
    get_workflow,
    list_segments,
    save_draft,
    workflow_conversion,
)

__all__ = ["RUN_STATUSES", "BuilderState"]


class BuilderState(
    CanvasMixin,
    PanelMixin,
    SegmentMixin,
    MessageMixin,
    TestRunMixin,
    PublishMixin,
    RunsMixin,
    VersionsMixin,
    SessionState,
):
    name: str = ""
    description: str = ""
    status: str = ""
    version: str = ""
    scope_label: str = ""
    read_only: bool = True
    can_operate: bool = False
    tab: str = "design"
    # settings dialog
    settings_open: bool = False
    goal_kind: str = "sale"
    goal_days: str = "7"
    settings_error: str = ""
    conversion: dict[str, str] = {}
    _workflow_id: int = 0  # from the URL; the services decide whether it may be seen

    def _id(self) -> int:
        raw = self.router.url.query_parameters.get("id", "")
        return int(raw) if str(raw).isdigit() else 0

    def _load(self) -> Any:
        self._workflow_id, self._draft = self._id(), {}
        try:
            with session_scope() as session:
                actor = self._actor(session)
                workflow = get_workflow(session, actor, self._workflow_id)
                stores = {s.id: s.name for s in visible_stores(session, actor)}
                self.read_only = (
                    not actor.can("workflows.design") or workflow.status.value == "archived"
                )
                self.can_operate = actor.can("workflows.operate")
                self._draft = dict(workflow.draft or {})
                self.name, self.description = workflow.name, workflow.description
                self.status = workflow.status.value
                self.version = (
                    f"v{workflow.published_version}" if workflow.published_version else ""
                )
                self.scope_label = (
                    ", ".join(stores.get(s, f"#{s}") for s in workflow.store_ids)
                    if workflow.store_ids
                    else self._tr("workflow.scope_hq")
                )
                self.goal_kind, self.goal_days = workflow.goal_kind, str(workflow.goal_days)
                self._options = wb.reference_options(session, actor, self.lang)
                self.segment_options = [[str(s.id), s.name] for s in list_segments(session, actor)]
                conv = workflow_conversion(session, actor, self._workflow_id)
                self.conversion = {
                    "entered": str(conv.entered),
                    "converted": str(conv.converted),
                    "rate": f"{conv.rate:.1%}",
                    "revenue": format_money(conv.revenue_cents, self.lang),
                    "goal": self._tr("workflow.goal_text", days=workflow.goal_days)
                    if workflow.goal_kind
                    else self._tr("workflow.no_goal"),
                }
                self._draw(session, actor)
        except (SignedOut, DomainError) as exc:
            self._workflow_id = 0
            return self._fail(exc) if isinstance(exc, SignedOut) else rx.redirect("/workflows")
        self.palette = wb.palette(self.lang)
        self.rule_kinds = [[k, self._tr(f"rule.kind.{k}")] for k in wb.RULE_KINDS]
        self.op_options = [[o, self._tr(f"op.{o}")] for o in wb.OPS]
        self._panel()
        return None

    @rx.event
    def open_builder(self) -> Any:
        self._undo, self._redo, self._path, self.selected = [], [], [], ""
        self.viewing, self.versions_open = "", False
        self.tab, self.test_results, self.runs, self.steps = "design", [], [], []
        self.run_detail = {}
        return self._load()

    @rx.event
    def set_tab(self, value: str) -> Any:
        self.tab = "runs" if value == "runs" else "design"
        if self.tab == "runs":
            self.show_counters = True
            return [BuilderState.load_runs, BuilderState.redraw]
        return None

    @rx.event
    def set_settings_open(self, value: bool) -> None:
        self.settings_open, self.settings_error = bool(value), ""

    @rx.event
    def save_settings(self, form: dict[str, Any]) -> Any:
        try:
            days = int(str(form.get("goal_days", "7")) or 7)
        except ValueError:
            self.settings_error = self._tr("error.number")
            return None
        try:
            with session_scope() as session:
                actor = self._actor(session)
                workflow = get_workflow(session, actor, self._workflow_id)
                save_draft(
                    session,
                    actor,
                    self._workflow_id,
                    WorkflowInput(
                        name=str(form.get("name", ""))[:100],
                        description=str(form.get("description", ""))[:500],
                        store_ids=workflow.store_ids,
                        graph=workflow.draft,
                        goal_kind="sale" if form.get("goal_kind") == "sale" else "",
                        goal_days=days,
                    ),
                )
        except ValidationFailed as exc:
            self.settings_error = "; ".join(self._field_errors(exc).values())
            return None
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        self.settings_open = False
        return self._load()

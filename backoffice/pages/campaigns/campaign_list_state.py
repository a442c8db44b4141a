"""/workflows: the campaign list's state (filters, rows, the "new campaign" dialog,
duplicate and archive); the page is in campaign_list.py."""

from __future__ import annotations

from typing import Any

import reflex as rx

from backoffice.db import session_scope
from backoffice.errors import DomainError, ValidationFailed
from backoffice.i18n import format_money
from backoffice.pages.session import SessionState, SignedOut
from backoffice.services.org.stores import visible_stores
from backoffice.workflows.campaigns import builder as wb
from backoffice.workflows.campaigns.lifecycle import (
    WorkflowInput,
    create_workflow,
    duplicate_workflow,
    set_workflow_status,
    workflow_overview,
)
from backoffice.workflows.campaigns.starters import STARTERS, create_from_starter

ALL = "all"
STATUSES = ("draft", "published", "paused", "archived")
BLANK = "blank"


class WorkflowListState(SessionState):
    status_filter: str = ALL
    trigger_filter: str = ALL
    q: str = ""
    rows: list[dict[str, Any]] = []
    trigger_options: list[list[str]] = []
    can_design: bool = False
    # the "new campaign" dialog
    new_open: bool = False
    new_kind: str = BLANK
    new_name: str = ""
    new_store: str = ALL
    new_error: str = ""
    store_options: list[list[str]] = []
    starters: list[dict[str, str]] = []
    hq: bool = False

    def _refresh(self) -> Any:
        try:
            with session_scope() as session:
                actor = self._actor(session)
                found = workflow_overview(
                    session,
                    actor,
                    "" if self.status_filter == ALL else self.status_filter,
                    "" if self.trigger_filter == ALL else self.trigger_filter,
                    self.q[:100],
                )
                stores = {s.id: s.name for s in visible_stores(session, actor)}
                self.can_design = actor.can("workflows.design")
                self.hq = actor.store_ids is None
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        self.store_options = [[str(k), v] for k, v in stores.items()]
        self.rows = [
            {
                "id": str(r.id),
                "href": f"/workflows/edit?id={r.id}",
                "name": r.name,
                "scope": ", ".join(stores.get(s, f"#{s}") for s in r.store_ids)
                if r.store_ids
                else self._tr("workflow.scope_hq"),
                "status": r.status,
                "status_label": self._tr(f"wfstatus.{r.status}"),
                "version": f"v{r.version}" if r.version else "—",
                "trigger": self._tr(wb.node_type_label(r.trigger_type)),
                "runs": str(r.runs_7d),
                "conversion": f"{r.conversion.rate:.0%} · {format_money(r.conversion.revenue_cents, self.lang)}"
                if r.goal_kind
                else "—",
                "archivable": r.status != "archived",
            }
            for r in found
        ]
        return None

    @rx.event
    def open_page(self) -> Any:
        self.trigger_options = [[key, self._tr(label)] for key, label in wb.trigger_types()]
        self.starters = [
            {
                "key": s.key,
                "name": self._tr(f"starter.{s.key}"),
                "help": self._tr(f"starter.{s.key}.help"),
            }
            for s in STARTERS
        ]
        return self._refresh()

    @rx.event
    def set_status_filter(self, value: str) -> Any:
        self.status_filter = value if value in STATUSES else ALL
        return self._refresh()

    @rx.event
    def set_trigger_filter(self, value: str) -> Any:
        self.trigger_filter = value if wb.is_node_type(value) else ALL
        return self._refresh()

    @rx.event
    def search(self, form: dict[str, Any]) -> Any:
        self.q = str(form.get("q", ""))[:100]
        return self._refresh()

    @rx.event
    def open_new(self) -> None:
        self.new_open, self.new_kind, self.new_name, self.new_error = True, BLANK, "", ""
        self.new_store = (
            ALL if self.hq else (self.store_options[0][0] if self.store_options else "")
        )

    @rx.event
    def set_new_open(self, value: bool) -> None:
        self.new_open = bool(value)

    @rx.event
    def set_new_kind(self, value: str) -> None:
        self.new_kind = value if value == BLANK or any(s.key == value for s in STARTERS) else BLANK

    @rx.event
    def set_new_name(self, value: str) -> None:
        self.new_name = str(value)[:100]

    @rx.event
    def set_new_store(self, value: str) -> None:
        self.new_store = str(value)

    @rx.event
    def create(self) -> Any:
        stores = [int(self.new_store)] if self.new_store.isdigit() else []
        try:
            with session_scope() as session:
                actor = self._actor(session)
                if self.new_kind == BLANK:
                    workflow = create_workflow(
                        session,
                        actor,
                        WorkflowInput(
                            name=self.new_name, store_ids=stores, goal_kind="sale", goal_days=7
                        ),
                    )
                else:
                    workflow = create_from_starter(session, actor, self.new_kind, stores, self.lang)
                new_id = workflow.id
        except ValidationFailed as exc:
            self.new_error = next(iter(self._field_errors(exc).values()))
            return None
        except (SignedOut, DomainError) as exc:
            self.new_error = self._error(exc)
            return self._fail(exc) if isinstance(exc, SignedOut) else None
        self.new_open = False
        return rx.redirect(f"/workflows/edit?id={new_id}")

    @rx.event
    def duplicate(self, workflow_id: str) -> Any:
        if not str(workflow_id).isdigit():
            return None
        try:
            with session_scope() as session:
                actor = self._actor(session)
                source = next((r for r in self.rows if r["id"] == str(workflow_id)), {"name": ""})
                copy_name = self._tr("workflow.copy_of", name=source["name"])[:100]
                copy = duplicate_workflow(session, actor, int(workflow_id), copy_name)
                new_id = copy.id
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        return rx.redirect(f"/workflows/edit?id={new_id}")

    @rx.event
    def archive(self, workflow_id: str) -> Any:
        if not str(workflow_id).isdigit():
            return None
        try:
            self._call(set_workflow_status, int(workflow_id), "archived")
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        self._refresh()
        return rx.toast.success(self._tr("workflow.archived"))

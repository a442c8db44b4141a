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
from backoffice.workflows.campaigns.starters import (
    STARTERS,
    StarterChoices,
    coupon_options,
    create_from_starter,
    suggested_coupon,
)

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
    # a starter's key choices (which of them it asks: new_asks)
    new_asks: list[str] = []
    new_coupon: str = ""
    new_points: str = ""
    new_days: str = ""
    new_channel: str = "sms"
    new_errors: dict[str, str] = {}
    coupon_options: list[list[str]] = []

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
        self.new_asks, self.new_errors = [], {}
        self.new_store = (
            ALL if self.hq else (self.store_options[0][0] if self.store_options else "")
        )

    @rx.event
    def set_new_open(self, value: bool) -> None:
        self.new_open = bool(value)

    @rx.event
    def set_new_kind(self, value: str) -> Any:
        """Choosing a starter fills in its name and its key choices' defaults."""
        names = {self._tr(f"starter.{s.key}") for s in STARTERS}
        found = next((s for s in STARTERS if s.key == value), None)
        self.new_kind = found.key if found else BLANK
        self.new_errors, self.new_error = {}, ""
        if self.new_name in names or not self.new_name:
            self.new_name = self._tr(f"starter.{found.key}") if found else ""
        self.new_asks = list(found.asks()) if found else []
        if found is None:
            return None
        self.new_points = str(found.points)
        self.new_days = (
            str(found.trigger_config.get(found.days_field, "")) if found.days_field else ""
        )
        self.new_channel = "sms"
        try:
            with session_scope() as session:
                self._actor(session)
                self.coupon_options = [[str(i), n] for i, n in coupon_options(session)]
                suggested = suggested_coupon(session, found.key)
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        self.new_coupon = str(suggested) if suggested is not None else ""
        return None

    @rx.event
    def set_new_choice(self, name: str, value: str) -> None:
        """One of the starter's key choices (coupon, points, days, channel) as typed."""
        if name in ("coupon", "points", "days", "channel"):
            setattr(self, f"new_{name}", str(value)[:20])
            self.new_errors = {k: v for k, v in self.new_errors.items() if k != name}

    def _choices(self) -> StarterChoices:
        """The dialog's text as a starter's choices; what is not a number is a field error."""
        numbers: dict[str, int | None] = {}
        for name in ("coupon", "points", "days"):
            text = str(getattr(self, f"new_{name}")).strip()
            if name not in self.new_asks:
                numbers[name] = None
            elif text.isdigit():
                numbers[name] = int(text)
            else:
                raise ValidationFailed({name: "error.required" if not text else "error.number"})
        return StarterChoices(
            name=self.new_name,
            coupon_template_id=numbers["coupon"],
            points=numbers["points"],
            days=numbers["days"],
            channel=self.new_channel,
        )

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
                    workflow = create_from_starter(
                        session, actor, self.new_kind, stores, self.lang, self._choices()
                    )
                new_id = workflow.id
        except ValidationFailed as exc:
            self.new_errors = self._field_errors(exc)
            self.new_error = (
                ""
                if set(self.new_errors) <= set(self.new_asks)
                else (next(iter(self.new_errors.values())))
            )
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

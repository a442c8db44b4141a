"""Webhook subscriptions (/settings/webhooks): create/edit, the delivery log, redeliver."""

from __future__ import annotations

from typing import Any

import reflex as rx

from backoffice.components.dialogs import form_dialog
from backoffice.components.tables import Column, data_table
from backoffice.db import session_scope
from backoffice.errors import DomainError, ValidationFailed
from backoffice.i18n import format_when
from backoffice.pages.layout import shell
from backoffice.pages.session import SessionState, SignedOut, tr
from backoffice.services.messaging.webhook_jobs import enqueue_due
from backoffice.services.messaging.webhooks import (
    WEBHOOK_EVENTS,
    SubscriptionInput,
    create_subscription,
    delivery_log,
    list_subscriptions,
    redeliver,
    update_subscription,
)
from backoffice.services.org.stores import visible_stores


class WebhooksState(SessionState):
    rows: list[dict[str, Any]] = []
    store_options: list[dict[str, str]] = []
    dialog: str = ""  # "", "new", "edit"
    editing_id: int = 0
    values: dict[str, str] = {}
    checked_events: list[str] = []
    active: bool = True
    errors: dict[str, str] = {}
    form_version: int = 0
    new_secret: str = ""
    log_for: int = 0
    log_title: str = ""
    deliveries: list[dict[str, Any]] = []

    def _reload(self) -> Any:
        try:
            with session_scope() as session:
                actor = self._actor(session)
                subs = list_subscriptions(session, actor)
                stores = visible_stores(session, actor) if actor.can("stores.read") else []
        except (SignedOut, DomainError) as exc:
            self.rows = []
            return self._fail(exc)
        names = {s.id: s.code for s in stores}
        self.store_options = [{"value": str(s.id), "label": f"{s.code} {s.name}"} for s in stores]
        self.rows = [
            {
                "id": s.id or 0,
                "name": s.name,
                "url": s.url,
                "events": ", ".join(s.events),
                "store": self._tr("webhooks.org")
                if s.store_id is None
                else names.get(s.store_id, str(s.store_id)),
                "active": s.active,
                "failures": s.consecutive_failures,
                "disabled_reason": s.disabled_reason,
            }
            for s in subs
        ]
        return None

    def _load_log(self) -> Any:
        if not self.log_for:
            self.deliveries = []
            return None
        try:
            rows = self._call(delivery_log, self.log_for)
        except (SignedOut, DomainError) as exc:
            self.log_for = 0
            self.deliveries = []
            return self._fail(exc)
        self.deliveries = [
            {
                "id": d.id or 0,
                "event": f"{d.event_name} #{d.event_id}",
                "status": d.status.value,
                "status_label": self._tr(f"webhooks.status.{d.status.value}"),
                "attempts": d.attempts,
                "response": "" if d.response_code is None else str(d.response_code),
                "error": d.error[:120],
                "created": format_when(d.created_at, self.lang),
            }
            for d in rows
        ]
        return None

    @rx.event
    def open_page(self) -> Any:
        self.dialog = ""
        self.new_secret = ""
        self.log_for = 0
        self.deliveries = []
        return self._reload()

    def _open(self, mode: str, values: dict[str, str], events: list[str], active: bool) -> None:
        self.dialog = mode
        self.values = values
        self.checked_events = events
        self.active = active
        self.errors = {}
        self.form_version += 1

    @rx.event
    def open_new(self) -> None:
        self.editing_id = 0
        self._open("new", {"store_id": ""}, [], True)

    @rx.event
    def open_edit(self, sub_id: int) -> Any:
        try:
            subs = self._call(list_subscriptions)
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        sub = next((s for s in subs if s.id == sub_id), None)
        if sub is None:
            return None
        self.editing_id = sub.id or 0
        self._open(
            "edit",
            {"name": sub.name, "url": sub.url, "store_id": str(sub.store_id or "")},
            list(sub.events),
            sub.active,
        )
        return None

    @rx.event
    def close_dialog(self) -> None:
        self.dialog = ""
        self.errors = {}

    @rx.event
    def dialog_open_change(self, is_open: bool) -> None:
        if not is_open:
            self.close_dialog()

    @rx.event
    def dismiss_secret(self) -> None:
        self.new_secret = ""

    @rx.event
    def save(self, form: dict[str, Any]) -> Any:
        if self.dialog not in ("new", "edit"):
            return None
        store = str(form.get("store_id") or "")
        data = SubscriptionInput(
            name=str(form.get("name", ""))[:200],
            url=str(form.get("url", ""))[:600],
            events=[k[6:] for k, v in form.items() if k.startswith("event:") and v][:50],
            store_id=int(store) if store.isdigit() else None,
            active=form.get("active") in (True, "on", "true"),
        )
        self.errors = {}
        try:
            if self.dialog == "edit":
                self._call(update_subscription, self.editing_id, data)
            else:
                self.new_secret = self._call(create_subscription, data).secret
        except ValidationFailed as exc:
            self.errors = self._field_errors(exc)
            return rx.toast.error(self._tr("common.fix_errors"))
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        self.dialog = ""
        self._reload()
        return rx.toast.success(self._tr("webhooks.saved"))

    @rx.event
    def show_log(self, sub_id: int) -> Any:
        try:
            self.log_for = int(sub_id)
        except (TypeError, ValueError):
            return None
        self.log_title = next((r["name"] for r in self.rows if r["id"] == self.log_for), "")
        return self._load_log()

    @rx.event
    def redeliver(self, delivery_id: int) -> Any:
        try:
            self._call(redeliver, int(delivery_id))
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        except (TypeError, ValueError):
            return None
        enqueue_due()  # a worker sends it now (nothing without a queue: the tick will)
        self._load_log()
        return rx.toast.success(self._tr("webhooks.redelivered"))


S = WebhooksState


def _active(row: rx.Var) -> rx.Component:
    return rx.cond(
        row["active"].to(bool),
        rx.badge(tr("common.active"), color_scheme="green", variant="soft"),
        rx.tooltip(
            rx.badge(tr("common.inactive"), color_scheme="red", variant="soft"),
            content=row["disabled_reason"].to(str),
        ),
    )


def _sub_actions(row: rx.Var) -> rx.Component:
    sub_id = row["id"].to(int)
    return rx.hstack(
        rx.button(
            tr("webhooks.deliveries"),
            variant="soft",
            size="1",
            on_click=S.show_log(sub_id),
            class_name="webhook-log",
        ),
        rx.button(
            tr("common.edit"),
            variant="soft",
            size="1",
            on_click=S.open_edit(sub_id),
            class_name="webhook-edit",
        ),
        spacing="2",
    )


def sub_table() -> rx.Component:
    return data_table(
        [
            Column(tr("webhooks.name"), cell=lambda r: rx.text(r["name"], weight="medium")),
            Column(tr("webhooks.url"), cell=lambda r: rx.code(r["url"], variant="ghost", size="1")),
            Column(tr("webhooks.events"), cell=lambda r: rx.text(r["events"], size="1")),
            Column(tr("webhooks.store"), "store"),
            Column(tr("api_keys.status"), cell=_active),
            Column(tr("webhooks.failures"), "failures"),
            Column("", cell=_sub_actions),
        ],
        S.rows,
        table_id="webhook-table",
        row_class="webhook-row",
        empty=tr("common.none"),
    )


def _delivery_status(row: rx.Var) -> rx.Component:
    return rx.badge(
        row["status_label"],
        color_scheme=rx.match(
            row["status"].to(str),
            ("delivered", "green"),
            ("failed", "red"),
            ("retrying", "amber"),
            "gray",
        ),
        variant="soft",
    )


def _redeliver(row: rx.Var) -> rx.Component:
    return rx.button(
        tr("webhooks.redeliver"),
        size="1",
        variant="soft",
        on_click=S.redeliver(row["id"].to(int)),
        class_name="webhook-redeliver",
    )


def delivery_panel() -> rx.Component:
    return rx.cond(
        S.log_for > 0,
        rx.vstack(
            rx.heading(tr("webhooks.deliveries"), " · ", S.log_title, size="4"),
            data_table(
                [
                    Column(tr("api_keys.created"), "created"),
                    Column(tr("webhooks.event"), "event"),
                    Column(tr("api_keys.status"), cell=_delivery_status),
                    Column(tr("webhooks.attempts"), "attempts"),
                    Column(tr("webhooks.response"), "response"),
                    Column(tr("webhooks.error"), cell=lambda r: rx.text(r["error"], size="1")),
                    Column("", cell=_redeliver),
                ],
                S.deliveries,
                table_id="delivery-table",
                row_class="delivery-row",
            ),
            align="stretch",
            width="100%",
        ),
    )


def _error(name: str) -> rx.Component:
    return rx.cond(S.errors.contains(name), rx.text(S.errors[name], color="red", size="1"))


def _event_check(name: str) -> rx.Component:
    return rx.text(
        rx.hstack(
            rx.checkbox(
                name="event:" + name,
                id="event-" + name.replace(".", "-"),
                default_checked=S.checked_events.contains(name),
            ),
            name,
            spacing="2",
            align="center",
        ),
        as_="label",
        size="2",
    )


def _store_select() -> rx.Component:
    return rx.el.select(
        rx.el.option(tr("webhooks.org"), value=""),
        rx.foreach(S.store_options, lambda s: rx.el.option(s["label"], value=s["value"])),
        name="store_id",
        id="webhook-store",
        default_value=S.values.get("store_id", ""),
    )


def sub_dialog() -> rx.Component:
    return form_dialog(
        tr("webhooks.new"),
        rx.text(tr("webhooks.name"), size="2", weight="medium"),
        rx.input(name="name", id="webhook-name", default_value=S.values.get("name", "")),
        _error("name"),
        rx.text(tr("webhooks.url"), size="2", weight="medium"),
        rx.input(name="url", id="webhook-url", type="url", default_value=S.values.get("url", "")),
        _error("url"),
        rx.text(tr("webhooks.events"), size="2", weight="medium"),
        rx.grid(*[_event_check(e) for e in WEBHOOK_EVENTS], columns="2", spacing="2"),
        _error("events"),
        rx.text(tr("webhooks.store"), size="2", weight="medium"),
        _store_select(),
        _error("store_id"),
        rx.text(
            rx.hstack(
                rx.switch(name="active", default_checked=S.active, id="webhook-active"),
                tr("common.active"),
                spacing="2",
                align="center",
            ),
            as_="label",
            size="2",
        ),
        on_submit=S.save,
        save_label=tr("common.save"),
        cancel_label=tr("common.cancel"),
        on_cancel=S.close_dialog,
        save_id="webhook-save",
        form_id="webhook-form",
        form_key=S.form_version,
        open=S.dialog != "",
        on_open_change=S.dialog_open_change,
    )


def secret_callout() -> rx.Component:
    return rx.cond(
        S.new_secret != "",
        rx.callout.root(
            rx.callout.text(tr("webhooks.secret_once")),
            rx.code(S.new_secret, id="webhook-secret"),
            rx.button(tr("api_keys.done"), on_click=S.dismiss_secret, size="1", variant="soft"),
            color_scheme="amber",
        ),
    )


@rx.page(
    route="/settings/webhooks",
    title="Webhooks · Back-office",
    on_load=[SessionState.require_sign_in, WebhooksState.open_page],
)
def webhooks_page() -> rx.Component:
    actions = rx.button(
        rx.icon("plus", size=16), tr("webhooks.new"), on_click=S.open_new, id="new-webhook"
    )
    return shell(
        tr("webhooks.title"),
        rx.text(tr("webhooks.help"), color_scheme="gray", size="2"),
        secret_callout(),
        sub_table(),
        delivery_panel(),
        sub_dialog(),
        actions=actions,
    )

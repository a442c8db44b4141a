"""Stores in the person's scope; HQ creates and edits them."""

from __future__ import annotations

from typing import Any

import reflex as rx

from backoffice.components.dialogs import form_dialog
from backoffice.components.fields import labelled
from backoffice.components.tables import Column, data_table
from backoffice.db import session_scope
from backoffice.errors import DomainError, ValidationFailed
from backoffice.pages.layout import shell
from backoffice.pages.session import SessionState, SignedOut, tr
from backoffice.services.org.stores import (
    StoreInput,
    create_store,
    get_store,
    update_store,
    visible_stores,
)

# Suggestions only: the service accepts any IANA zone.
COMMON_ZONES = [
    "Asia/Shanghai",
    "Asia/Hong_Kong",
    "Asia/Macau",
    "Asia/Taipei",
    "Asia/Urumqi",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Asia/Seoul",
    "Europe/London",
    "America/Los_Angeles",
    "UTC",
]


class StoresState(SessionState):
    rows: list[dict[str, Any]] = []
    dialog: str = ""  # "", "new", "edit"
    editing_id: int = 0
    values: dict[str, str] = {}
    active: bool = True
    errors: dict[str, str] = {}
    form_version: int = 0

    def _reload(self) -> Any:
        try:
            stores = self._call(visible_stores, include_inactive=True)
        except (SignedOut, DomainError) as exc:
            self.rows = []
            return self._fail(exc)
        self.rows = [
            {
                "id": s.id or 0,
                "code": s.code,
                "name": s.name,
                "address": s.address,
                "phone": s.phone,
                "timezone": s.timezone,
                "is_hq": s.is_hq,
                "active": s.active,
            }
            for s in stores
        ]
        return None

    @rx.event
    def open_page(self) -> Any:
        self.dialog = ""
        return self._reload()

    def _open(self, mode: str, values: dict[str, str], active: bool) -> None:
        self.dialog = mode
        self.values = values
        self.active = active
        self.errors = {}
        self.form_version += 1

    @rx.event
    def open_new(self) -> None:
        self.editing_id = 0
        self._open("new", {"timezone": "Asia/Shanghai"}, True)

    @rx.event
    def open_edit(self, store_id: int) -> Any:
        try:
            store = self._call(get_store, int(store_id))
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        self.editing_id = store.id or 0
        self._open(
            "edit",
            {
                "code": store.code,
                "name": store.name,
                "address": store.address,
                "phone": store.phone,
                "timezone": store.timezone,
            },
            store.active,
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
    def save(self, form: dict[str, Any]) -> Any:
        if self.dialog not in ("new", "edit"):
            return None
        data = StoreInput(
            code=str(form.get("code", ""))[:40],
            name=str(form.get("name", ""))[:100],
            address=str(form.get("address", ""))[:300],
            phone=str(form.get("phone", ""))[:32],
            timezone=str(form.get("timezone", "")).strip()[:64],
            active=form.get("active") in (True, "on", "true"),
        )
        self.errors = {}
        try:
            with session_scope() as session:
                actor = self._actor(session)
                if self.dialog == "edit":
                    # Whether a store is the head office is kept as stored, never from the form.
                    data.is_hq = get_store(session, actor, self.editing_id).is_hq
                    update_store(session, actor, self.editing_id, data)
                    message = "stores.updated"
                else:
                    create_store(session, actor, data)
                    message = "stores.created"
        except ValidationFailed as exc:
            self.errors = self._field_errors(exc)
            return rx.toast.error(self._tr("common.fix_errors"))
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        self.dialog = ""
        self._reload()
        return rx.toast.success(self._tr(message))


S = StoresState


def _code(row: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.code(row["code"], variant="ghost"),
        rx.cond(
            row["is_hq"].to(bool),
            rx.badge(tr("stores.hq"), color_scheme="violet", variant="soft"),
        ),
        spacing="2",
        align="center",
    )


def _active(row: rx.Var) -> rx.Component:
    return rx.cond(
        row["active"].to(bool),
        rx.badge(tr("common.active"), color_scheme="green", variant="soft"),
        rx.badge(tr("common.inactive"), color_scheme="gray", variant="soft"),
    )


def _edit(row: rx.Var) -> rx.Component:
    return rx.cond(
        S.perms.contains("stores.manage"),
        rx.button(
            rx.icon("pencil", size=14),
            tr("common.edit"),
            on_click=S.open_edit(row["id"].to(int)),
            variant="soft",
            size="1",
            id="store-edit-" + row["code"].to(str),
        ),
    )


def store_table() -> rx.Component:
    return data_table(
        [
            Column(tr("stores.code"), cell=_code),
            Column(tr("stores.name"), cell=lambda r: rx.text(r["name"], weight="medium")),
            Column(tr("stores.address"), "address"),
            Column(tr("stores.phone"), "phone"),
            Column(tr("stores.timezone"), "timezone"),
            Column(tr("stores.status"), cell=_active),
            Column("", cell=_edit),
        ],
        S.rows,
        table_id="store-table",
        row_class="store-row",
        row_props=lambda r: {"id": "store-row-" + r["code"].to(str)},
        empty=tr("common.none"),
    )


def _text(
    name: str, label_key: str, *, required: bool = False, hint: Any = "", **props: Any
) -> rx.Component:
    return labelled(
        tr(label_key),
        rx.input(
            name=name,
            id=f"store-{name}",
            default_value=S.values.get(name, ""),
            **props,
        ),
        S.errors.get(name, ""),
        hint=hint,
        required=required,
    )


def store_dialog() -> rx.Component:
    return form_dialog(
        rx.cond(S.dialog == "edit", tr("stores.edit_title"), tr("stores.new_title")),
        rx.grid(
            _text("code", "stores.code", required=True, hint=tr("stores.code_hint"), max_length=32),
            _text("name", "stores.name", required=True, max_length=100),
            _text("phone", "stores.phone", type="tel", max_length=32),
            _text(
                "timezone",
                "stores.timezone",
                required=True,
                hint=tr("stores.timezone_hint"),
                custom_attrs={"list": "store-timezones"},
                max_length=64,
            ),
            columns="2",
            spacing="3",
            width="100%",
        ),
        rx.el.datalist(*[rx.el.option(value=zone) for zone in COMMON_ZONES], id="store-timezones"),
        _text("address", "stores.address", max_length=300),
        rx.text(
            rx.hstack(
                rx.switch(name="active", id="store-active", default_checked=S.active),
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
        save_id="store-save",
        cancel_id="store-cancel",
        form_id="store-form",
        form_key=S.form_version,
        spacing="3",
        open=S.dialog != "",
        on_open_change=S.dialog_open_change,
        max_width="600px",
    )


@rx.page(
    route="/stores",
    title="Stores · Back-office",
    on_load=[SessionState.require_sign_in, StoresState.open_page],
)
def stores_page() -> rx.Component:
    actions = rx.cond(
        S.perms.contains("stores.manage"),
        rx.button(rx.icon("plus", size=16), tr("stores.new"), on_click=S.open_new, id="new-store"),
    )
    return shell(tr("stores.title"), store_table(), store_dialog(), actions=actions)

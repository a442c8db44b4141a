"""Staff accounts: list and search; HQ creates, edits, resets passwords and unlocks."""

from __future__ import annotations

from typing import Any

import reflex as rx

from backoffice.components.dialogs import dialog_form, dialog_shell
from backoffice.components.fields import labelled
from backoffice.components.tables import Column, data_table
from backoffice.i18n import LOCALES
from backoffice.pages.layout import shell
from backoffice.pages.org.staff_state import LANGUAGE_NAMES, STORE_PREFIX, StaffState
from backoffice.pages.session import SessionState, tr

S = StaffState


def _err(name: str) -> rx.Var:
    return S.errors.get(name, "")


def _role_label(code: Any, fallback: Any) -> rx.Var:
    return S.t.get("role." + code, fallback)


def _status(row: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.cond(
            row["active"].to(bool),
            rx.badge(tr("common.active"), color_scheme="green", variant="soft"),
            rx.badge(tr("common.inactive"), color_scheme="gray", variant="soft"),
        ),
        rx.cond(
            row["locked"].to(bool),
            rx.badge(
                rx.icon("lock", size=12),
                tr("staff.locked"),
                color_scheme="red",
                variant="soft",
                class_name="staff-locked",
            ),
        ),
        spacing="1",
    )


def _actions(row: rx.Var) -> rx.Component:
    username = row["username"].to(str)
    staff_id = row["id"].to(int)
    return rx.cond(
        S.perms.contains("staff.manage"),
        rx.hstack(
            rx.button(
                rx.icon("pencil", size=14),
                tr("common.edit"),
                on_click=S.open_edit(staff_id),
                variant="soft",
                size="1",
                id="staff-edit-" + username,
            ),
            rx.button(
                rx.icon("key-round", size=14),
                tr("staff.reset_password"),
                on_click=S.open_reset(staff_id),
                variant="soft",
                color_scheme="gray",
                size="1",
                id="staff-reset-" + username,
            ),
            rx.cond(
                row["locked"].to(bool),
                rx.button(
                    rx.icon("lock-open", size=14),
                    tr("staff.unlock"),
                    on_click=S.unlock(staff_id),
                    variant="soft",
                    color_scheme="orange",
                    size="1",
                    id="staff-unlock-" + username,
                ),
            ),
            spacing="1",
        ),
    )


def staff_table() -> rx.Component:
    return data_table(
        [
            Column(tr("staff.username"), cell=lambda r: rx.code(r["username"], variant="ghost")),
            Column(
                tr("staff.display_name"), cell=lambda r: rx.text(r["display_name"], weight="medium")
            ),
            Column(tr("staff.phone"), "phone"),
            Column(
                tr("staff.role"),
                cell=lambda r: rx.badge(
                    _role_label(r["role"].to(str), r["role_name"]), variant="soft"
                ),
            ),
            Column(tr("staff.stores"), cell=lambda r: rx.text(r["stores"], size="2")),
            Column(tr("staff.status"), cell=_status),
            Column("", cell=_actions),
        ],
        S.rows,
        table_id="staff-table",
        row_class="staff-row",
        row_props=lambda r: {"id": "staff-row-" + r["username"].to(str)},
        empty=tr("common.none"),
    )


def search_bar() -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.input(
                rx.input.slot(rx.icon("search", size=16)),
                name="q",
                placeholder=tr("staff.search_hint"),
                default_value=S.q,
                width="320px",
                id="staff-search",
            ),
            rx.button(tr("common.search"), type="submit", id="staff-search-go"),
            rx.button(
                tr("common.reset"),
                type="button",
                variant="soft",
                color_scheme="gray",
                on_click=S.clear_search,
            ),
            spacing="2",
        ),
        on_submit=S.search,
        reset_on_submit=False,
        key=S.form_version,
    )


def _text(name: str, label_key: str, *, required: bool = False, **props: Any) -> rx.Component:
    return labelled(
        tr(label_key),
        rx.input(
            name=name,
            id="staff-" + name.replace("_", "-"),
            default_value=S.values.get(name, ""),
            **props,
        ),
        _err(name),
        required=required,
    )


def _store_box(store: rx.Var) -> rx.Component:
    return rx.text(
        rx.hstack(
            rx.checkbox(
                name=STORE_PREFIX + store[0],
                default_checked=S.chosen.contains(store[0]),
                id="staff-store-" + store[2],
            ),
            store[1],
            spacing="1",
            align="center",
        ),
        as_="label",
        size="2",
    )


def _form(form_id: str, on_submit: Any, *fields: rx.Component) -> rx.Component:
    """The dialog's form (new, edit, reset): fields, then cancel and save."""
    return dialog_form(
        *fields,
        on_submit=on_submit,
        save_label=tr("common.save"),
        cancel_label=tr("common.cancel"),
        on_cancel=S.close_dialog,
        save_id=f"{form_id}-save",
        cancel_id="staff-cancel",
        form_id=f"{form_id}-form",
        form_key=S.form_version,
        spacing="3",
    )


def _role_select() -> rx.Component:
    return labelled(
        tr("staff.role"),
        rx.select.root(
            rx.select.trigger(placeholder=tr("member.choose"), width="100%", id="staff-role"),
            rx.select.content(
                rx.foreach(
                    S.role_options,
                    lambda r: rx.select.item(_role_label(r[0], r[1]), value=r[0]),
                )
            ),
            name="role_code",
            default_value=S.values.get("role_code", ""),
        ),
        _err("role_code"),
        required=True,
    )


def _locale_select() -> rx.Component:
    return labelled(
        tr("staff.language"),
        rx.select.root(
            rx.select.trigger(width="100%", id="staff-locale"),
            rx.select.content(*[rx.select.item(LANGUAGE_NAMES[lc], value=lc) for lc in LOCALES]),
            name="locale",
            default_value=S.values.get("locale", "zh-CN"),
        ),
        _err("locale"),
    )


def _password_or_status() -> rx.Component:
    """A new account gets its first password; an existing one can be switched off."""
    return rx.cond(
        S.dialog == "new",
        labelled(
            tr("staff.initial_password"),
            rx.input(
                name="password",
                id="staff-password",
                type="password",
                auto_complete="new-password",
            ),
            _err("password"),
            hint=tr("staff.initial_password_hint"),
            required=True,
        ),
        labelled(
            tr("staff.status"),
            rx.text(
                rx.hstack(
                    rx.switch(name="active", id="staff-active", default_checked=S.active),
                    tr("staff.active"),
                    spacing="2",
                    align="center",
                ),
                as_="label",
                size="2",
            ),
            _err("active"),
        ),
    )


def staff_form() -> rx.Component:
    return _form(
        "staff",
        S.save,
        rx.grid(
            _text("username", "staff.username", required=True, max_length=60),
            _text("display_name", "staff.display_name", required=True, max_length=100),
            _text("phone", "staff.phone", type="tel", max_length=32),
            _role_select(),
            _locale_select(),
            _password_or_status(),
            columns="2",
            spacing="3",
            width="100%",
        ),
        labelled(
            tr("staff.stores"),
            rx.flex(
                rx.foreach(S.store_options, _store_box),
                wrap="wrap",
                spacing="3",
                id="staff-stores",
            ),
            _err("store_ids"),
            hint=tr("staff.stores_hint"),
        ),
    )


def reset_form() -> rx.Component:
    return _form(
        "reset",
        S.save_reset,
        rx.text(tr("staff.reset_help"), size="2", color_scheme="gray"),
        labelled(
            tr("staff.temp_password"),
            rx.input(
                name="password",
                id="reset-password",
                type="password",
                auto_complete="new-password",
            ),
            _err("password"),
            hint=tr("account.password_rules"),
            required=True,
        ),
        labelled(
            tr("staff.confirm_password"),
            rx.input(
                name="confirm_password",
                id="reset-confirm",
                type="password",
                auto_complete="new-password",
            ),
            _err("confirm_password"),
            required=True,
        ),
    )


def staff_dialog() -> rx.Component:
    return dialog_shell(
        rx.match(
            S.dialog,
            ("edit", tr("staff.edit_title")),
            ("reset", tr("staff.reset_password") + " · " + S.editing_name),
            tr("staff.new_title"),
        ),
        rx.cond(S.dialog == "reset", reset_form(), staff_form()),
        open=S.dialog != "",
        on_open_change=S.dialog_open_change,
    )


@rx.page(
    route="/staff",
    title="Staff · Back-office",
    on_load=[SessionState.require_sign_in, StaffState.open_page],
)
def staff_page() -> rx.Component:
    actions = rx.cond(
        S.perms.contains("staff.manage"),
        rx.button(
            rx.icon("user-plus", size=16), tr("staff.new"), on_click=S.open_new, id="new-staff"
        ),
    )
    return shell(tr("staff.title"), search_bar(), staff_table(), staff_dialog(), actions=actions)

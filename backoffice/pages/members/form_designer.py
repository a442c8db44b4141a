"""Form designer: HQ adds, edits, orders and hides the member form's custom fields."""

from __future__ import annotations

from typing import Any

import reflex as rx

from backoffice.components.dialogs import form_dialog
from backoffice.components.fields import labelled
from backoffice.components.tables import Column, data_table
from backoffice.pages.layout import shell
from backoffice.pages.members.form_designer_state import (
    CHOICE_TYPES,
    FIELD_TYPES,
    FormDesignerState,
)
from backoffice.pages.session import SessionState, tr

S = FormDesignerState


def _err(name: str) -> rx.Var:
    return S.errors.get(name, "")


def _icon_button(icon: str, label: Any, on_click: Any, id_: Any, **props: Any) -> rx.Component:
    return rx.tooltip(
        rx.icon_button(
            rx.icon(icon, size=14),
            on_click=on_click,
            variant="soft",
            color_scheme="gray",
            size="1",
            id=id_,
            aria_label=label,
            **props,
        ),
        content=label,
    )


def _field_name(row: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.text(row["label"], weight="medium", size="2"),
        rx.code(row["key"], size="1", variant="ghost"),
        spacing="0",
    )


def _field_type(row: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.text(S.t.get("forms.type." + row["type"].to(str), row["type"]), size="2"),
        rx.cond(
            row["options"] != "",
            rx.text(row["options"], size="1", color_scheme="gray"),
        ),
        spacing="0",
    )


def _rules(row: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.cond(
            row["required"].to(bool),
            rx.badge(tr("forms.required"), color_scheme="red", variant="soft"),
        ),
        rx.cond(
            row["member_editable"].to(bool),
            rx.badge(tr("forms.member_editable"), color_scheme="blue", variant="soft"),
        ),
        spacing="1",
        wrap="wrap",
    )


def _visibility(row: rx.Var) -> rx.Component:
    return rx.cond(
        row["hidden"].to(bool),
        rx.badge(tr("forms.hidden"), color_scheme="gray", variant="soft"),
        rx.badge(tr("forms.visible"), color_scheme="green", variant="soft"),
    )


def _actions(row: rx.Var) -> rx.Component:
    key = row["key"].to(str)
    field_id = row["id"].to(int)
    hidden = row["hidden"].to(bool)
    return rx.hstack(
        _icon_button(
            "arrow-up",
            tr("forms.move_up"),
            S.move(field_id, -1),
            "field-up-" + key,
            disabled=row["first"].to(bool),
        ),
        _icon_button(
            "arrow-down",
            tr("forms.move_down"),
            S.move(field_id, 1),
            "field-down-" + key,
            disabled=row["last"].to(bool),
        ),
        rx.button(
            rx.cond(hidden, rx.icon("eye", size=14), rx.icon("eye-off", size=14)),
            rx.cond(hidden, tr("forms.show"), tr("forms.hide")),
            on_click=S.set_hidden(field_id, ~hidden),
            variant="soft",
            color_scheme="gray",
            size="1",
            id="field-hide-" + key,
        ),
        rx.button(
            rx.icon("pencil", size=14),
            tr("common.edit"),
            on_click=S.open_edit(field_id),
            variant="soft",
            size="1",
            id="field-edit-" + key,
        ),
        spacing="1",
    )


def field_table() -> rx.Component:
    return data_table(
        [
            Column(tr("forms.col.order"), "position"),
            Column(tr("forms.col.field"), cell=_field_name),
            Column(tr("forms.col.type"), cell=_field_type),
            Column(tr("forms.col.rules"), cell=_rules),
            Column(
                tr("forms.col.help"),
                cell=lambda r: rx.text(r["help"], size="1", color_scheme="gray"),
            ),
            Column(tr("forms.col.status"), cell=_visibility),
            Column(tr("common.actions"), cell=_actions),
        ],
        S.rows,
        table_id="field-table",
        row_class="field-row",
        row_props=lambda r: {
            "id": "field-row-" + r["key"].to(str),
            "opacity": rx.cond(r["hidden"].to(bool), "0.6", "1"),
        },
        empty=tr("common.none"),
    )


def _checkbox(name: str, label_key: str, id_: str) -> rx.Component:
    return rx.text(
        rx.hstack(
            rx.checkbox(name=name, id=id_, default_checked=S.flags.get(name, False).to(bool)),
            tr(label_key),
            spacing="2",
            align="center",
        ),
        as_="label",
        size="2",
    )


def _key_input(editing: rx.Var) -> rx.Component:
    """The key names the stored value: set once, read-only when editing."""
    return labelled(
        tr("forms.key"),
        rx.input(
            name="key",
            id="field-key",
            default_value=S.values.get("key", ""),
            read_only=editing,
            variant=rx.cond(editing, "soft", "surface"),
            max_length=40,
        ),
        _err("key"),
        hint=rx.cond(editing, "", tr("forms.key_hint")),
        required=~editing,
    )


def _type_select(editing: rx.Var) -> rx.Component:
    return labelled(
        tr("forms.type"),
        rx.select.root(
            rx.select.trigger(width="100%", id="field-type"),
            rx.select.content(
                *[rx.select.item(tr(f"forms.type.{t}"), value=t) for t in FIELD_TYPES]
            ),
            name="type",
            value=S.field_type,
            on_change=S.set_field_type,
            disabled=editing,
        ),
        _err("type"),
        hint=rx.cond(editing, tr("forms.type_locked"), ""),
    )


def _options_input() -> rx.Component:
    return rx.cond(
        (S.field_type == CHOICE_TYPES[0]) | (S.field_type == CHOICE_TYPES[1]),
        labelled(
            tr("forms.options"),
            rx.text_area(
                name="options",
                id="field-options",
                default_value=S.values.get("options", ""),
                rows="5",
            ),
            _err("options"),
            hint=tr("forms.options_hint"),
            required=True,
        ),
    )


def field_dialog() -> rx.Component:
    editing = S.dialog == "edit"
    return form_dialog(
        rx.cond(editing, tr("forms.edit_title"), tr("forms.add_title")),
        _key_input(editing),
        labelled(
            tr("forms.label"),
            rx.input(
                name="label",
                id="field-label",
                default_value=S.values.get("label", ""),
                max_length=100,
            ),
            _err("label"),
            required=True,
        ),
        _type_select(editing),
        _options_input(),
        labelled(
            tr("forms.help_text"),
            rx.input(
                name="help_text",
                id="field-help",
                default_value=S.values.get("help_text", ""),
                max_length=300,
            ),
            _err("help_text"),
        ),
        rx.hstack(
            _checkbox("required", "forms.required", "field-required"),
            _checkbox("member_editable", "forms.member_editable", "field-member-editable"),
            spacing="5",
        ),
        on_submit=S.save_field,
        save_label=tr("common.save"),
        cancel_label=tr("common.cancel"),
        on_cancel=S.close_dialog,
        save_id="field-save",
        cancel_id="field-cancel",
        form_id="field-form",
        form_key=S.form_version,
        spacing="3",
        open=S.dialog != "",
        on_open_change=S.dialog_open_change,
        max_width="520px",
    )


@rx.page(
    route="/settings/form",
    title="Member form · Back-office",
    on_load=[SessionState.require_sign_in, FormDesignerState.open_page],
)
def form_designer_page() -> rx.Component:
    actions = rx.cond(
        S.perms.contains("forms.manage"),
        rx.button(rx.icon("plus", size=16), tr("forms.add"), on_click=S.open_add, id="add-field"),
    )
    return shell(
        tr("forms.title"),
        rx.text(tr("forms.help"), size="2", color_scheme="gray"),
        field_table(),
        field_dialog(),
        actions=actions,
    )

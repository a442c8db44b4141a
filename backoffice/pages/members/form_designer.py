"""Form designer: HQ adds, edits, orders and hides the member form's custom fields."""

from __future__ import annotations

from typing import Any

import reflex as rx

from backoffice.components.dialogs import form_dialog
from backoffice.components.fields import labelled
from backoffice.components.tables import Column, data_table
from backoffice.db import session_scope
from backoffice.errors import DomainError, NotFound, ValidationFailed
from backoffice.pages.layout import shell
from backoffice.pages.session import SessionState, SignedOut, tr
from backoffice.services.members import forms
from backoffice.services.members.forms import FieldType

FIELD_TYPES = [t.value for t in FieldType]
CHOICE_TYPES = (FieldType.CHOICE.value, FieldType.MULTI_CHOICE.value)


def _checked(form: dict[str, Any], name: str) -> bool:
    return form.get(name) in (True, "on", "true")


class FormDesignerState(SessionState):
    rows: list[dict[str, Any]] = []
    dialog: str = ""  # "", "add", "edit"
    editing_id: int = 0
    values: dict[str, str] = {}
    flags: dict[str, bool] = {}
    field_type: str = FieldType.TEXT.value
    errors: dict[str, str] = {}
    form_version: int = 0

    def _reload(self) -> Any:
        try:
            fields = self._call(forms.design_fields)
        except (SignedOut, DomainError) as exc:
            self.rows = []
            return self._fail(exc)
        last = len(fields) - 1
        self.rows = [
            {
                "id": f.id or 0,
                "position": index + 1,
                "key": f.key,
                "label": f.label,
                "type": f.type.value,
                "options": "、".join(f.options),
                "required": f.required,
                "hidden": f.hidden,
                "member_editable": f.member_editable,
                "help": f.help_text,
                "first": index == 0,
                "last": index == last,
            }
            for index, f in enumerate(fields)
        ]
        return None

    @rx.event
    def open_page(self) -> Any:
        self.dialog = ""
        self.errors = {}
        return self._reload()

    @rx.event
    def move(self, field_id: int, direction: int) -> Any:
        try:
            self._call(forms.move_field, int(field_id), 1 if int(direction) > 0 else -1)
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        return self._reload()

    @rx.event
    def set_hidden(self, field_id: int, hidden: bool) -> Any:
        hide = hidden is True
        try:
            self._call(forms.set_field_hidden, int(field_id), hide)
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        self._reload()
        return rx.toast.success(self._tr("forms.hidden_now" if hide else "forms.shown_now"))

    def _open(self, mode: str, values: dict[str, str], flags: dict[str, bool], type_: str) -> None:
        self.dialog = mode
        self.values = values
        self.flags = flags
        self.field_type = type_
        self.errors = {}
        self.form_version += 1  # remount the uncontrolled inputs with the new defaults

    @rx.event
    def open_add(self) -> None:
        self.editing_id = 0
        self._open("add", {}, {}, FieldType.TEXT.value)

    @rx.event
    def open_edit(self, field_id: int) -> Any:
        try:
            fields = self._call(forms.design_fields)
            field = next((f for f in fields if f.id == int(field_id)), None)
            if field is None:
                raise NotFound("error.not_found")
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        self.editing_id = field.id or 0
        self._open(
            "edit",
            {
                "key": field.key,
                "label": field.label,
                "options": "\n".join(field.options),
                "help_text": field.help_text,
            },
            {"required": field.required, "member_editable": field.member_editable},
            field.type.value,
        )
        return None

    @rx.event
    def set_field_type(self, value: str) -> None:
        if self.dialog == "add" and value in FIELD_TYPES:
            self.field_type = value

    @rx.event
    def close_dialog(self) -> None:
        self.dialog = ""
        self.errors = {}

    @rx.event
    def dialog_open_change(self, is_open: bool) -> None:
        if not is_open:
            self.close_dialog()

    @rx.event
    def save_field(self, form: dict[str, Any]) -> Any:
        if self.dialog not in ("add", "edit"):
            return None
        data = forms.FieldInput(
            key=str(form.get("key", ""))[:60],
            label=str(form.get("label", ""))[:100],
            type=str(form.get("type") or self.field_type),
            options=[line for line in str(form.get("options", "")).splitlines()][:200],
            required=_checked(form, "required"),
            help_text=str(form.get("help_text", ""))[:300],
            member_editable=_checked(form, "member_editable"),
        )
        self.errors = {}
        try:
            with session_scope() as session:
                actor = self._actor(session)
                if self.dialog == "edit":
                    # Type and hidden come from the stored field, not from the browser.
                    current = next(
                        (f for f in forms.design_fields(session, actor) if f.id == self.editing_id),
                        None,
                    )
                    if current is None:
                        raise NotFound("error.not_found")
                    data.type = current.type.value
                    data.hidden = current.hidden
                    forms.update_field(session, actor, self.editing_id, data)
                    message = "forms.updated"
                else:
                    forms.add_field(session, actor, data)
                    message = "forms.added"
        except ValidationFailed as exc:
            self.errors = self._field_errors(exc)
            return rx.toast.error(self._tr("common.fix_errors"))
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        self.dialog = ""
        self._reload()
        return rx.toast.success(self._tr(message))


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

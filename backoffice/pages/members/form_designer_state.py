"""The form designer's state: HQ adds, edits, orders and hides custom fields (the service checks
who may)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from backoffice.db import session_scope
from backoffice.errors import DomainError, NotFound, ValidationFailed
from backoffice.pages.session import SessionState, SignedOut
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

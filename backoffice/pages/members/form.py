"""Create and edit a member on the form HQ designed (base fields + custom fields)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from backoffice.components.fields import (
    custom_field,
    custom_field_row,
    labelled,
    read_custom_value,
)
from backoffice.db import session_scope
from backoffice.errors import DomainError, ValidationFailed
from backoffice.pages.layout import shell
from backoffice.pages.session import SessionState, SignedOut, tr
from backoffice.services.loyalty.enrolment import enrol_member
from backoffice.services.members import forms
from backoffice.services.members.profiles import (
    NOTES_MAX,
    MemberInput,
    get_member_for_edit,
    update_member,
)
from backoffice.services.org.stores import visible_stores


def _form_to_input(form: dict[str, Any], fields: list[dict[str, Any]]) -> MemberInput:
    """Browser form data → the service's input shape (the service validates everything)."""
    custom = {f["key"]: read_custom_value(form, f["key"], f["type"], f["options"]) for f in fields}
    store = str(form.get("home_store_id", ""))
    return MemberInput(
        name=str(form.get("name", "")),
        phone=str(form.get("phone", "")),
        gender=str(form.get("gender") or "unknown"),
        birthday=str(form.get("birthday", "")) or None,
        email=str(form.get("email", "")),
        home_store_id=int(store) if store.isdigit() else None,
        tags=[x for x in str(form.get("tags", "")).replace("，", ",").split(",") if x.strip()],
        notes=str(form.get("notes", "")),
        referrer_ref=str(form.get("referrer_ref", ""))[:40],
        custom=custom,
    )


class MemberFormState(SessionState):
    member_id: int = 0
    loaded: bool = False
    values: dict[str, str] = {}
    fields: list[dict[str, Any]] = []
    errors: dict[str, str] = {}
    store_options: list[list[str]] = []
    form_version: int = 0

    def _load(self, member_id: int) -> Any:
        try:
            with session_scope() as session:
                actor = self._actor(session)
                stores = [
                    s
                    for s in visible_stores(session, actor)
                    if not s.is_hq or len(visible_stores(session, actor)) == 1
                ]
                data = get_member_for_edit(session, actor, member_id) if member_id else None
                field_rows = forms.list_fields(session)
        except (SignedOut, DomainError) as exc:
            self.loaded = False
            return self._fail(exc)
        self.member_id = member_id
        self.errors = {}
        self.store_options = [[str(s.id), f"{s.name} ({s.code})"] for s in stores]
        default_store = (
            str(data.home_store_id)
            if data
            else (self.store_options[0][0] if len(self.store_options) == 1 else "")
        )
        self.values = {
            "name": data.name if data else "",
            "phone": data.phone if data else "",
            "gender": data.gender if data else "unknown",
            "birthday": str(data.birthday or "") if data else "",
            "email": data.email if data else "",
            "home_store_id": default_store,
            "tags": ", ".join(data.tags) if data else "",
            "notes": data.notes if data else "",
            "member_no": data.member_no if data else "",
        }
        custom = data.custom if data else {}
        self.fields = [
            custom_field_row(
                f.key,
                f.label,
                f.type.value,
                f.options,
                f.help_text,
                custom.get(f.key),
                required=f.required,
            )
            for f in field_rows
        ]
        self.loaded = True
        self.form_version += 1  # remount the uncontrolled inputs with the new defaults
        return None

    @rx.event
    def open_new(self) -> Any:
        return self._load(0)

    @rx.event
    def open_edit(self) -> Any:
        raw = self.router.url.query_parameters.get("id", "")
        return self._load(int(raw) if raw.isdigit() else -1)

    @rx.event
    def save(self, form: dict[str, Any]) -> Any:
        data = _form_to_input(form, self.fields)
        self.errors = {}
        try:
            with session_scope() as session:
                actor = self._actor(session)
                if self.member_id:
                    member = update_member(session, actor, self.member_id, data)
                    message = "member.updated"
                else:
                    member = enrol_member(session, actor, data)
                    message = "member.created"
                member_id = member.id
        except ValidationFailed as exc:
            self.errors = self._field_errors(exc)
            return rx.toast.error(self._tr("common.fix_errors"))
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        return [rx.toast.success(self._tr(message)), rx.redirect(f"/member?id={member_id}")]


def _err(name: str) -> rx.Var:
    return MemberFormState.errors.get(name, "")


def _text(
    name: str, label_key: str, *, type_: str = "text", required: bool = False, hint: Any = ""
) -> rx.Component:
    return labelled(
        tr(label_key),
        rx.input(
            name=name,
            id=f"member-{name}",
            type=type_,
            default_value=MemberFormState.values.get(name, ""),
        ),
        _err(name),
        hint=hint,
        required=required,
    )


def _custom_field(field: rx.Var) -> rx.Component:
    return custom_field(
        field, MemberFormState.errors, id_prefix="custom-", choose_label=tr("member.choose")
    )


def _gender_select() -> rx.Component:
    return labelled(
        tr("member.gender"),
        rx.select.root(
            rx.select.trigger(width="100%", id="member-gender"),
            rx.select.content(
                *[rx.select.item(tr(f"gender.{g}"), value=g) for g in ("unknown", "female", "male")]
            ),
            name="gender",
            default_value=MemberFormState.values.get("gender", "unknown"),
        ),
        _err("gender"),
    )


def _store_select() -> rx.Component:
    return labelled(
        tr("member.home_store"),
        rx.select.root(
            rx.select.trigger(placeholder=tr("member.choose"), width="100%", id="member-store"),
            rx.select.content(
                rx.foreach(
                    MemberFormState.store_options,
                    lambda s: rx.select.item(s[1], value=s[0]),
                )
            ),
            name="home_store_id",
            default_value=MemberFormState.values.get("home_store_id", ""),
        ),
        _err("home_store_id"),
        required=True,
    )


def _profile_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(tr("member.profile"), size="3"),
            rx.grid(
                _text("name", "member.name", required=True),
                _text("phone", "member.phone", type_="tel", required=True),
                _gender_select(),
                _text("birthday", "member.birthday", type_="date"),
                _text("email", "member.email", type_="email"),
                _store_select(),
                _text("tags", "member.tags", hint=tr("member.tags_hint")),
                rx.cond(
                    MemberFormState.member_id == 0,
                    _text("referrer_ref", "member.referrer", hint=tr("member.referrer_hint")),
                ),
                columns="2",
                spacing="4",
                width="100%",
            ),
            labelled(
                tr("member.notes"),
                rx.text_area(
                    name="notes",
                    default_value=MemberFormState.values.get("notes", ""),
                    id="member-notes",
                    max_length=NOTES_MAX + 1,  # one more: a longer paste gets the field error
                ),
                _err("notes"),
            ),
            spacing="3",
            align="stretch",
        )
    )


def _custom_card() -> rx.Component:
    return rx.cond(
        MemberFormState.fields.length() > 0,
        rx.card(
            rx.vstack(
                rx.heading(tr("member.custom_fields"), size="3"),
                rx.grid(
                    rx.foreach(MemberFormState.fields, _custom_field),
                    columns="2",
                    spacing="4",
                    width="100%",
                ),
                spacing="3",
                align="stretch",
            )
        ),
    )


def _buttons() -> rx.Component:
    return rx.hstack(
        rx.button(tr("common.save"), type="submit", size="3", id="member-save"),
        rx.button(
            tr("common.cancel"),
            type="button",
            variant="soft",
            color_scheme="gray",
            size="3",
            on_click=rx.call_script("history.back()"),
        ),
        spacing="2",
    )


def member_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            _profile_card(),
            _custom_card(),
            _buttons(),
            spacing="4",
            align="stretch",
        ),
        on_submit=MemberFormState.save,
        reset_on_submit=False,
        id="member-form",
        key=MemberFormState.form_version,
    )


@rx.page(
    route="/member/new",
    title="New member · Back-office",
    on_load=[SessionState.require_sign_in, MemberFormState.open_new],
)
def new_member_page() -> rx.Component:
    return shell(tr("member.new_title"), rx.cond(MemberFormState.loaded, member_form()))


@rx.page(
    route="/member/edit",
    title="Edit member · Back-office",
    on_load=[SessionState.require_sign_in, MemberFormState.open_edit],
)
def edit_member_page() -> rx.Component:
    return shell(
        tr("member.edit_title") + " " + MemberFormState.values.get("member_no", ""),
        rx.cond(MemberFormState.loaded, member_form()),
    )
